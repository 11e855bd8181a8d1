"""The import ledger: one row per source record and kind of write.

Statuses: ``created`` and ``reused`` (done, with the WorkOS id), ``failed``
(a refusal retrying cannot fix, with WorkOS's code), ``skipped`` (by policy,
with a reason). A row is written right after its write succeeds, so a crash
loses at most the knowledge of in-flight writes, which the idempotent creates
recover on the next run.

Kinds and their source ids: ``permission`` (Stytch ``resource:action``), ``role``
(a project role id), ``org_role`` (:func:`org_role_key`), ``organization``,
``user`` (email key), ``membership`` and ``invitation`` (member id), ``skip``. A
done row may carry a code saying more: ``updated`` or ``kept`` for a role WorkOS
already had with other permissions, ``environment_role`` for an organization's role
an environment role of the same slug stands in for, ``narrowed`` for a membership
that got fewer roles than Stytch's because WorkOS takes one per membership (the
detail names them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from stytch2workos.workspace import Workspace, now_iso

DONE = ("created", "reused", "recovered")
DONE_SQL = "('created', 'reused', 'recovered')"
# On the wire when the run stopped, or answered unreadably: the next attempt looks first.
SENDING = "sending"
UNKNOWN_OUTCOME = frozenset({"unreadable_response"})


def org_role_key(organization_id: str, role_id: str) -> str:
    """The source id of an organization's own role: Stytch ids never hold ``/`` (they are URL parts)."""
    return f"{organization_id}/{role_id}"


@dataclass(frozen=True)
class Entry:
    status: str
    target_id: str | None
    code: str | None


class Ledger:
    """Thread-safe access to the ledger table (workers share one connection)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._lock = ws.lock

    def get(self, kind: str, source_id: str) -> Entry | None:
        with self._lock:
            row = self.ws._db.execute(
                "SELECT status, target_id, code FROM ledger WHERE kind = ? AND source_id = ?",
                (kind, source_id),
            ).fetchone()
        return None if row is None else Entry(row[0], row[1], row[2])

    def done_ids(self, kind: str) -> dict[str, str]:
        with self._lock:
            return {
                str(s): str(t)
                for s, t in self.ws._db.execute(
                    f"SELECT source_id, target_id FROM ledger WHERE kind = ? AND status IN {DONE_SQL}",
                    (kind,),
                )
            }

    def record(
        self,
        kind: str,
        source_id: str,
        status: str,
        target_id: str | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        with self._lock, self.ws.transaction() as db:
            db.execute(
                "INSERT INTO ledger (kind, source_id, status, target_id, code, detail, attempts, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (kind, source_id) DO UPDATE SET "
                "status = excluded.status, target_id = COALESCE(excluded.target_id, ledger.target_id), "
                "code = excluded.code, detail = excluded.detail, attempts = ledger.attempts + 1, "
                "updated_at = excluded.updated_at",
                (kind, source_id, status, target_id, code, detail, now_iso()),
            )

    def mark_sending(self, kind: str, source_id: str) -> None:
        """Note that a write for this record is about to go out (its outcome kept otherwise)."""
        with self._lock, self.ws.transaction() as db:
            db.execute(
                "INSERT INTO ledger (kind, source_id, status, attempts, updated_at) VALUES (?, ?, ?, 0, ?) "
                "ON CONFLICT (kind, source_id) DO UPDATE SET status = excluded.status, "
                "updated_at = excluded.updated_at",
                (kind, source_id, SENDING, now_iso()),
            )

    def forget(self, kind: str, source_id: str) -> None:
        """Drop a row that no longer applies (a skip the current config reverses)."""
        with self._lock, self.ws.transaction() as db:
            db.execute("DELETE FROM ledger WHERE kind = ? AND source_id = ?", (kind, source_id))

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per kind and status."""
        result: dict[str, Counter[str]] = {}
        with self._lock:
            for kind, status, n in self.ws._db.execute(
                "SELECT kind, status, COUNT(*) FROM ledger GROUP BY 1, 2"
            ):
                result.setdefault(str(kind), Counter())[str(status)] = int(n)
        return {k: dict(v) for k, v in sorted(result.items())}

    def coded(self, kind: str, code: str, limit: int = 1000) -> tuple[int, list[dict[str, str | None]]]:
        """How many done rows of ``kind`` carry ``code``, and the first ``limit`` with their detail."""
        with self._lock:
            (total,) = self.ws._db.execute(
                f"SELECT COUNT(*) FROM ledger WHERE kind = ? AND code = ? AND status IN {DONE_SQL}",
                (kind, code),
            ).fetchone()
            rows = self.ws._db.execute(
                f"SELECT source_id, detail FROM ledger WHERE kind = ? AND code = ? AND status IN {DONE_SQL} "
                "ORDER BY source_id LIMIT ?",
                (kind, code, limit),
            ).fetchall()
        return int(total), [{"source_id": s, "detail": d} for s, d in rows]

    def failures(self, limit: int = 1000) -> list[dict[str, str | None]]:
        with self._lock:
            rows = self.ws._db.execute(
                "SELECT kind, source_id, code, detail FROM ledger WHERE status = 'failed' "
                "ORDER BY kind, source_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [{"kind": k, "source_id": s, "code": c, "detail": d} for k, s, c, d in rows]


ID_MAP_COLUMNS = (
    "kind",
    "stytch_id",
    "stytch_organization_id",
    "workos_id",
    "workos_user_id",
    "workos_invitation_id",
)


def id_map(ws: Workspace, snapshot: int) -> list[dict[str, str]]:
    """Stytch ids → WorkOS ids from the ledger, for applications to backfill their databases.

    One row per migrated permission (``stytch_id`` is ``resource:action``), project role,
    organization role (with ``stytch_organization_id``) and organization (``workos_id`` is
    the organization), and one per member whose person has a WorkOS user or who was
    invited: ``workos_id`` is the membership (empty without one), ``workos_user_id`` the
    person's user (shared by all their members), ``workos_invitation_id`` the invitation
    sent instead of a membership. One per recreated SSO connection (``workos_id`` is the
    WorkOS connection).
    """
    rows = []
    for kind, source_id, target_id in ws._db.execute(
        "SELECT kind, source_id, target_id FROM ledger WHERE kind IN ('permission', 'role', 'org_role') "
        f"AND status IN {DONE_SQL} ORDER BY kind, source_id"
    ):
        org_id, stytch_id = source_id.split("/", 1) if kind == "org_role" else ("", source_id)
        rows.append(dict(zip(ID_MAP_COLUMNS, (kind, stytch_id, org_id, target_id, "", ""), strict=True)))
    rows += [
        dict(zip(ID_MAP_COLUMNS, ("organization", s, s, t, "", ""), strict=True))
        for s, t in ws._db.execute(
            "SELECT source_id, target_id FROM ledger WHERE kind = 'organization' "
            f"AND status IN {DONE_SQL} ORDER BY source_id"
        )
    ]
    # Recreated SSO connections (kind "connection"; ``workos_id`` the WorkOS connection).
    rows += [
        dict(zip(ID_MAP_COLUMNS, ("connection", s, o, t, "", ""), strict=True))
        for s, o, t in ws._db.execute(
            "SELECT l.source_id, c.organization_id, l.target_id FROM ledger l JOIN connections c "
            "ON c.snapshot_id = ? AND c.connection_id = l.source_id "
            f"WHERE l.kind = 'connection' AND l.status IN {DONE_SQL} ORDER BY l.source_id",
            (snapshot,),
        )
    ]
    done = f"IN {DONE_SQL}"
    for member_id, org_id, user_id, om_id, inv_id in ws._db.execute(
        "SELECT m.member_id, m.organization_id, u.target_id, om.target_id, inv.target_id FROM members m "
        f"LEFT JOIN ledger u ON u.kind = 'user' AND u.source_id = m.email_key AND u.status {done} "
        f"LEFT JOIN ledger om ON om.kind = 'membership' AND om.source_id = m.member_id AND om.status {done} "
        f"LEFT JOIN ledger inv ON inv.kind = 'invitation' AND inv.source_id = m.member_id AND inv.status {done} "
        "WHERE m.snapshot_id = ? AND (u.target_id IS NOT NULL OR inv.target_id IS NOT NULL) "
        "ORDER BY m.member_id",
        (snapshot,),
    ):
        values = ("member", member_id, org_id, om_id or "", user_id or "", inv_id or "")
        rows.append(dict(zip(ID_MAP_COLUMNS, values, strict=True)))
    return rows

"""Sync's state: the baseline (what the migration last applied, per entity), the runs, the
conflicts found and the changes that failed.

The baseline is the memory that makes sync idempotent and conflict-aware: a change is the
difference between the desired values and the baseline, and a live WorkOS value that is
neither is a conflict. A baseline row is written right after its entity's write succeeds,
so a run stopped anywhere (kill -9 included) repeats at most the writes in flight, which
a read of the live entity first turns into nothing.

Thread-safe like the ledger: workers share the one connection under ``ws.lock``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stytch2workos.workspace import Workspace, now_iso

Key = tuple[str, str]


@dataclass(frozen=True)
class SyncRun:
    """One sync: a refresh cycle (``refresh``) or the webhook receiver's work (``webhook``).

    ``lag_seconds``: for a refresh, from the start of its snapshot to the end of its writes
    (how far behind Stytch WorkOS could be); for webhooks, the latest event's delay.
    """

    started_at: str
    finished_at: str | None
    mode: str
    snapshot: int | None
    applied: int
    conflicts: int
    failures: int
    lag_seconds: float | None


def _row_to_run(row: tuple[Any, ...]) -> SyncRun:
    return SyncRun(
        str(row[0]),
        None if row[1] is None else str(row[1]),
        str(row[2]),
        None if row[3] is None else int(row[3]),
        int(row[4]),
        int(row[5]),
        int(row[6]),
        None if row[7] is None else float(row[7]),
    )


_RUN_COLUMNS = "started_at, finished_at, mode, snapshot, applied, conflicts, failures, lag_seconds"


def last_run(ws: Workspace) -> SyncRun | None:
    """The latest sync run (finished or not), or None if sync never ran."""
    with ws.lock:
        row = ws._db.execute(f"SELECT {_RUN_COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else _row_to_run(row)


def unfinished_run(ws: Workspace, mode: str = "refresh") -> tuple[int, int | None] | None:
    """The id and snapshot of the latest run of ``mode`` if it never finished (a run to resume)."""
    with ws.lock:
        row = ws._db.execute(
            "SELECT id, snapshot, finished_at FROM sync_runs WHERE mode = ? ORDER BY id DESC LIMIT 1", (mode,)
        ).fetchone()
    if row is None or row[2] is not None:
        return None
    return int(row[0]), None if row[1] is None else int(row[1])


def start_run(ws: Workspace, mode: str, snapshot: int | None = None) -> int:
    with ws.lock, ws.transaction() as db:
        cur = db.execute(
            "INSERT INTO sync_runs (mode, started_at, snapshot) VALUES (?, ?, ?)", (mode, now_iso(), snapshot)
        )
    assert cur.lastrowid is not None
    return cur.lastrowid


def set_run_snapshot(ws: Workspace, run_id: int, snapshot: int) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute("UPDATE sync_runs SET snapshot = ? WHERE id = ?", (snapshot, run_id))


def add_to_run(ws: Workspace, run_id: int, applied: int = 0, conflicts: int = 0, failures: int = 0) -> None:
    """Count work into a run as it happens (a stopped run still says what it did)."""
    with ws.lock, ws.transaction() as db:
        db.execute(
            "UPDATE sync_runs SET applied = applied + ?, conflicts = conflicts + ?, failures = failures + ? "
            "WHERE id = ?",
            (applied, conflicts, failures, run_id),
        )


def finish_run(ws: Workspace, run_id: int, lag_seconds: float | None) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute(
            "UPDATE sync_runs SET finished_at = ?, lag_seconds = ? WHERE id = ?",
            (now_iso(), lag_seconds, run_id),
        )


def snapshot_started(ws: Workspace, snapshot: int) -> float | None:
    """When a snapshot's reading began (seconds since the epoch)."""
    with ws.lock:
        row = ws._db.execute("SELECT started_at FROM snapshots WHERE id = ?", (snapshot,)).fetchone()
    if row is None:
        return None
    return datetime.strptime(str(row[0]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def complete_snapshots(ws: Workspace) -> list[tuple[int, str]]:
    """The complete snapshots the workspace still holds, oldest first, with when each finished."""
    with ws.lock:
        return [
            (int(i), str(f))
            for i, f in ws._db.execute(
                "SELECT id, finished_at FROM snapshots WHERE status = 'complete' ORDER BY id"
            )
        ]


# -- baseline --------------------------------------------------------------------------------


def baseline(ws: Workspace) -> dict[Key, dict[str, Any]]:
    """Every baseline row: (kind, key) → the values the migration last applied."""
    with ws.lock:
        return {
            (str(k), str(s)): json.loads(v)
            for k, s, v in ws._db.execute("SELECT kind, key, value FROM sync_baseline")
        }


def baseline_of(ws: Workspace, keys: Iterable[Key]) -> dict[Key, dict[str, Any]]:
    found: dict[Key, dict[str, Any]] = {}
    with ws.lock:
        for kind, key in keys:
            row = ws._db.execute(
                "SELECT value FROM sync_baseline WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if row is not None:
                found[(kind, key)] = json.loads(row[0])
    return found


def save_baseline(ws: Workspace, rows: Mapping[Key, dict[str, Any]]) -> None:
    """Record what was applied (several rows in one transaction)."""
    now = now_iso()
    with ws.lock, ws.transaction() as db:
        db.executemany(
            "INSERT INTO sync_baseline (kind, key, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [(k, s, json.dumps(v, sort_keys=True, ensure_ascii=False), now) for (k, s), v in rows.items()],
        )


def forget_baseline(ws: Workspace, kind: str, key: str) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute("DELETE FROM sync_baseline WHERE kind = ? AND key = ?", (kind, key))


def rename_user(
    ws: Workspace, old: str, new: str, values: dict[str, Any], memberships: Iterable[str]
) -> None:
    """A user took a new address: its ledger row and baseline move to the new email key, and
    its memberships' baselines name it, in one transaction."""
    now = now_iso()
    with ws.lock, ws.transaction() as db:
        db.execute("DELETE FROM ledger WHERE kind = 'user' AND source_id = ?", (new,))
        db.execute(
            "UPDATE ledger SET source_id = ?, updated_at = ? WHERE kind = 'user' AND source_id = ?",
            (new, now, old),
        )
        db.execute("DELETE FROM sync_baseline WHERE kind = 'user' AND key = ?", (old,))
        db.execute(
            "INSERT OR REPLACE INTO sync_baseline (kind, key, value, updated_at) VALUES ('user', ?, ?, ?)",
            (new, json.dumps(values, sort_keys=True, ensure_ascii=False), now),
        )
        for member_id in memberships:
            row = db.execute(
                "SELECT value FROM sync_baseline WHERE kind = 'membership' AND key = ?", (member_id,)
            ).fetchone()
            if row is not None:
                value = {**json.loads(row[0]), "user": new}
                db.execute(
                    "UPDATE sync_baseline SET value = ?, updated_at = ? WHERE kind = 'membership' AND key = ?",
                    (json.dumps(value, sort_keys=True, ensure_ascii=False), now, member_id),
                )


def ledger_done(ws: Workspace, kinds: Iterable[str]) -> dict[Key, tuple[str, str]]:
    """(kind, source id) → (WorkOS id, updated_at) for every done ledger row of ``kinds``."""
    marks = ",".join("?" * len(kinds := list(kinds)))
    with ws.lock:
        return {
            (str(k), str(s)): (str(t), str(u))
            for k, s, t, u in ws._db.execute(
                f"SELECT kind, source_id, target_id, updated_at FROM ledger WHERE kind IN ({marks}) "
                "AND status IN ('created', 'reused', 'recovered')",
                kinds,
            )
        }


def mark_ledger(ws: Workspace, kind: str, source_id: str, status: str, code: str) -> None:
    """Note on the ledger row what sync did to the entity (``deleted``, ``revoked``): rollback
    and a rerun of import then know it is gone; the WorkOS id is kept."""
    with ws.lock, ws.transaction() as db:
        db.execute(
            "UPDATE ledger SET status = ?, code = ?, detail = 'by sync', updated_at = ? "
            "WHERE kind = ? AND source_id = ?",
            (status, code, now_iso(), kind, source_id),
        )


def forget_ledger(ws: Workspace, kind: str, source_id: str) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute("DELETE FROM ledger WHERE kind = ? AND source_id = ?", (kind, source_id))


# -- conflicts and failures ------------------------------------------------------------------


def record_conflict(
    ws: Workspace,
    run_id: int | None,
    kind: str,
    key: str,
    field: str,
    values: tuple[Any, Any, Any],
    resolution: str,
) -> None:
    """One conflicting field (baseline, live, desired), replacing an earlier record of it."""
    baseline_v, live, desired = (json.dumps(v, ensure_ascii=False) for v in values)
    with ws.lock, ws.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO sync_conflicts (kind, key, field, baseline, live, desired, resolution, "
            "run_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, key, field, baseline_v, live, desired, resolution, run_id, now_iso()),
        )


def conflicts(ws: Workspace, run_id: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    where, args = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, key, field, baseline, live, desired, resolution FROM sync_conflicts "
            f"{where} ORDER BY kind, key, field LIMIT ?",
            (*args, limit),
        ).fetchall()
    return [
        {
            "kind": k,
            "key": s,
            "field": f,
            "baseline": json.loads(b),
            "live": json.loads(lv),
            "desired": json.loads(d),
            "resolution": r,
        }
        for k, s, f, b, lv, d, r in rows
    ]


def record_failure(
    ws: Workspace, run_id: int | None, kind: str, key: str, action: str, code: str | None, detail: str
) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute(
            "INSERT OR REPLACE INTO sync_failures (kind, key, action, code, detail, run_id, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, key, action, code, detail, run_id, now_iso()),
        )


def clear_failure(ws: Workspace, kind: str, key: str) -> None:
    with ws.lock, ws.transaction() as db:
        db.execute("DELETE FROM sync_failures WHERE kind = ? AND key = ?", (kind, key))


def failures(ws: Workspace, limit: int = 1000) -> list[dict[str, str | None]]:
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, key, action, code, detail FROM sync_failures ORDER BY kind, key LIMIT ?", (limit,)
        ).fetchall()
    return [{"kind": k, "key": s, "action": a, "code": c, "detail": d} for k, s, a, c, d in rows]


def member_statuses(ws: Workspace, snapshot: int) -> list[tuple[str, str, str]]:
    """(member id, organization id, status) of every member in a snapshot."""
    with ws.lock:
        return [
            (str(m), str(o), str(s))
            for m, o, s in ws._db.execute(
                "SELECT member_id, organization_id, status FROM members WHERE snapshot_id = ?", (snapshot,)
            )
        ]


def member_record(ws: Workspace, snapshot: int, member_id: str) -> dict[str, Any] | None:
    """One member's stored record in a snapshot."""
    with ws.lock:
        row = ws._db.execute(
            "SELECT raw FROM members WHERE snapshot_id = ? AND member_id = ?", (snapshot, member_id)
        ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def person_records(ws: Workspace, snapshot: int, email_key: str) -> list[dict[str, Any]]:
    """Every member record of one person (one email key) in a snapshot."""
    with ws.lock:
        return [
            dict(json.loads(raw))
            for (raw,) in ws._db.execute(
                "SELECT raw FROM members WHERE snapshot_id = ? AND email_key = ? ORDER BY member_id",
                (snapshot, email_key),
            )
        ]


# -- set-based questions a refresh cycle asks ---------------------------------------------------

_SETTLED = "('created', 'reused', 'recovered', 'failed')"


def ledger_target(ws: Workspace, kind: str, source_id: str) -> str | None:
    """The WorkOS id of one done ledger row, or None."""
    with ws.lock:
        row = ws._db.execute(
            "SELECT target_id FROM ledger WHERE kind = ? AND source_id = ? "
            "AND status IN ('created', 'reused', 'recovered')",
            (kind, source_id),
        ).fetchone()
    return None if row is None else str(row[0])


def without_baseline(ws: Workspace, kinds: Iterable[str]) -> dict[Key, str]:
    """(kind, source id) → updated_at of every done ledger row of ``kinds`` with no baseline row."""
    marks = ",".join("?" * len(kinds := list(kinds)))
    with ws.lock:
        return {
            (str(k), str(s)): str(u)
            for k, s, u in ws._db.execute(
                f"SELECT l.kind, l.source_id, l.updated_at FROM ledger l WHERE l.kind IN ({marks}) "
                "AND l.status IN ('created', 'reused', 'recovered') AND NOT EXISTS "
                "(SELECT 1 FROM sync_baseline b WHERE b.kind = l.kind AND b.key = l.source_id)",
                kinds,
            )
        }


def memberships_of(ws: Workspace, user: str) -> list[str]:
    """The member ids whose membership baseline names ``user`` (an email key)."""
    with ws.lock:
        return [
            str(k)
            for (k,) in ws._db.execute(
                "SELECT key FROM sync_baseline WHERE kind = 'membership' AND json_extract(value, '$.user') = ?",
                (user,),
            )
        ]


def users_without_active_membership(ws: Workspace) -> list[str]:
    """Done users of this migration whose membership baselines exist and none is active."""
    with ws.lock:
        return [
            str(u)
            for (u,) in ws._db.execute(
                "SELECT json_extract(b.value, '$.user') AS u FROM sync_baseline b "
                "WHERE b.kind = 'membership' GROUP BY u "
                "HAVING SUM(COALESCE(json_extract(b.value, '$.status') = 'active', 0)) = 0 AND EXISTS "
                "(SELECT 1 FROM ledger l WHERE l.kind = 'user' AND l.source_id = u "
                "AND l.status IN ('created', 'reused', 'recovered')) ORDER BY u"
            )
        ]


# A member's ledger rows are settled when import would send nothing for it: its
# membership or invitation row is done or failed (import retries failures only when told),
# or its skip row carries the reason import would give now. An ``invalid_email`` skip stays
# settled while the member is unchanged since the previous snapshot. Organizations need a
# settled row; connections any row not left on the wire (a handoff or skip is re-decided
# only when the configuration changes: see :func:`import_config_changed`).
_IMPORT_NEEDED = f"""
WITH expected AS (
    SELECT m.member_id, m.status,
        CASE WHEN m.status = 'active' THEN 'membership'
             WHEN m.status = 'invited' THEN :invited
             WHEN m.status = 'pending' THEN :pending
             ELSE 'skip' END AS kind
    FROM members m WHERE m.snapshot_id = :snapshot
)
SELECT
    EXISTS (SELECT 1 FROM organizations o WHERE o.snapshot_id = :snapshot AND NOT EXISTS
        (SELECT 1 FROM ledger l WHERE l.kind = 'organization' AND l.source_id = o.organization_id
         AND l.status IN {_SETTLED}))
    OR EXISTS (SELECT 1 FROM expected e WHERE NOT EXISTS
        (SELECT 1 FROM ledger l WHERE l.source_id = e.member_id AND (
            (e.kind <> 'skip' AND l.kind = e.kind AND l.status IN {_SETTLED})
            OR (l.kind = 'skip' AND l.code = CASE
                WHEN e.status = 'deleted' THEN 'deleted'
                WHEN e.status IN ('invited', 'pending') THEN e.status || '_skipped'
                ELSE 'unknown_status' END AND e.kind = 'skip')
            OR (l.kind = 'skip' AND l.code = 'invalid_email' AND NOT EXISTS
                (SELECT 1 FROM changes c WHERE c.snapshot_id = :snapshot AND c.entity = 'member'
                 AND c.entity_id = e.member_id)))))
    OR EXISTS (SELECT 1 FROM record_problems p WHERE p.snapshot_id = :snapshot AND p.entity = 'member'
        AND p.action = 'refused' AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.kind = 'skip'
        AND l.source_id = COALESCE(p.record_id, 'character ' || p.position, 'record ' || p.rowid)))
    OR EXISTS (SELECT 1 FROM connections c WHERE c.snapshot_id = :snapshot
        AND c.organization_id IN (SELECT organization_id FROM organizations WHERE snapshot_id = :snapshot)
        AND NOT EXISTS (SELECT 1 FROM ledger l
            WHERE l.kind = CASE c.kind WHEN 'scim' THEN 'directory' ELSE 'connection' END
            AND l.source_id = c.connection_id AND l.status <> 'sending'))
"""


def import_needed(ws: Workspace, snapshot: int, invited: str, pending: str) -> bool:
    """Whether the snapshot holds an organization, member, refused member or connection
    that the ledger does not account for: the only case in which import's stages (after
    the roles, which :mod:`..destination.sync` asks about) would do anything.

    ``invited`` and ``pending``: the ledger kind each status becomes by the configuration
    (``membership``, ``invitation`` or ``skip``).
    """
    with ws.lock:
        row = ws._db.execute(
            _IMPORT_NEEDED, {"snapshot": snapshot, "invited": invited, "pending": pending}
        ).fetchone()
    return bool(row[0])


_CONFIG_KEY = "sync_import_config"


def import_config_changed(ws: Workspace, fingerprint: str) -> bool:
    """Whether import's stages last ran under another configuration (or sync never noted one)."""
    with ws.lock:
        return ws.get_meta(_CONFIG_KEY) != fingerprint


def note_import_config(ws: Workspace, fingerprint: str) -> None:
    """Note the configuration import's stages last ran under (complete)."""
    with ws.lock, ws.transaction():
        ws.set_meta(_CONFIG_KEY, fingerprint)

"""The snapshot store: writing a snapshot page by page, closing it, and reading it back.

A page's rows and the cursor that follows them are saved in one transaction, so
an interrupted export resumes from the last saved page and never stores a page
twice (rows are keyed by id; a replayed page overwrites itself). A cursor seen
before in the same stage is refused: a server loop must not become an endless
export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stytch2workos.errors import Failure, ServiceError
from stytch2workos.transform.identity import email_key
from stytch2workos.transform.validate import organization_name
from stytch2workos.workspace import file_loads, problems
from stytch2workos.workspace.core import Workspace, now_iso

# Every table whose rows belong to one snapshot.
SNAPSHOT_TABLES = (
    "organizations",
    "members",
    "connections",
    "rbac_policy",
    "checkpoints",
    "record_problems",
)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Opened:
    id: int
    active: bool  # False: the latest complete snapshot, returned as is; nothing to do
    resumed: bool  # an unfinished snapshot of the same kind, continued


def _kind(source: str) -> str:
    return source.partition(":")[0]  # "api", or "file" for "file:<name>"


def open_snapshot(ws: Workspace, source: str, refresh: bool, restart: bool = False) -> Opened:
    """The snapshot to write: the unfinished one if any (resume), else a new one.

    Without ``refresh`` or ``restart``, an existing complete snapshot is returned as
    is, inactive. ``restart`` drops an unfinished snapshot and starts a new one; a
    complete snapshot is never dropped. Whether an unfinished file load may go on
    with the file given now is the caller's check (:func:`file_loads.file_mark`).
    """
    running = ws.latest_snapshot("running")
    if running is not None:
        row = ws._db.execute("SELECT source FROM snapshots WHERE id = ?", (running,)).fetchone()
        if not restart and _kind(row[0]) == _kind(source):
            return Opened(running, True, True)
        # An unfinished snapshot from another source (a file, the API) cannot be resumed
        # by this one; drop it rather than mix the two.
        abandon_snapshot(ws, running)
    complete = ws.latest_snapshot()
    if complete is not None and not (refresh or restart):
        return Opened(complete, False, False)
    with ws.transaction() as db:
        cur = db.execute(
            "INSERT INTO snapshots (source, started_at, status) VALUES (?, ?, 'running')",
            (source, now_iso()),
        )
    assert cur.lastrowid is not None
    return Opened(cur.lastrowid, True, False)


def abandon_snapshot(ws: Workspace, snapshot: int) -> None:
    """Drop an unfinished snapshot's rows and mark it abandoned."""
    with ws.transaction() as db:
        for table in SNAPSHOT_TABLES:
            db.execute(f"DELETE FROM {table} WHERE snapshot_id = ?", (snapshot,))
        db.execute("UPDATE snapshots SET status = 'abandoned' WHERE id = ?", (snapshot,))


@dataclass
class Checkpoint:
    cursor: str | None
    done: bool
    seen: list[str]


def checkpoint(ws: Workspace, snapshot: int, stage: str, key: str) -> Checkpoint:
    row = ws._db.execute(
        "SELECT cursor, done, seen_cursors FROM checkpoints WHERE snapshot_id = ? AND stage = ? AND key = ?",
        (snapshot, stage, key),
    ).fetchone()
    if row is None:
        return Checkpoint(None, False, [])
    return Checkpoint(row[0], bool(row[1]), list(json.loads(row[2])))


def _save_checkpoint(ws: Workspace, snapshot: int, stage: str, key: str, cp: Checkpoint) -> None:
    ws._db.execute(
        "INSERT INTO checkpoints (snapshot_id, stage, key, cursor, done, seen_cursors) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (snapshot_id, stage, key) DO UPDATE SET "
        "cursor = excluded.cursor, done = excluded.done, seen_cursors = excluded.seen_cursors",
        (snapshot, stage, key, cp.cursor, int(cp.done), json.dumps(cp.seen)),
    )


def advance(cp: Checkpoint, next_cursor: str | None) -> Checkpoint:
    """The checkpoint after a page; refuses a cursor the stage has already used."""
    if next_cursor is None:
        return Checkpoint(None, True, cp.seen)
    if next_cursor in cp.seen:
        raise ServiceError(
            Failure("Stytch", None, "repeated_cursor", "the API returned a cursor it returned before")
        )
    # Only the last few cursors matter for loop detection; keep the checkpoint row small.
    return Checkpoint(next_cursor, False, [*cp.seen[-50:], next_cursor])


def org_row(snapshot: int, org: dict[str, Any], raw: str | None = None) -> tuple[Any, ...]:
    """The stored form of a checked organization; ``name`` is the name WorkOS will get."""
    return (
        snapshot,
        org["organization_id"],
        organization_name(org),
        org.get("organization_slug") or "",
        org.get("organization_external_id") or None,
        _dumps(org) if raw is None else raw,
    )


def facets(member: dict[str, Any]) -> str:
    """Space-separated tags the summary counts (roles, sign-in methods), kept beside the raw JSON
    so that counting a large snapshot does not parse every member again."""
    tags = [f"role:{r.get('role_id')}" for r in member.get("roles") or [] if r.get("role_id")]
    if member.get("member_password_id"):
        tags.append("auth:password")
    if member.get("sso_registrations"):
        tags.append("auth:sso")
    providers = {str(o.get("provider_type")) for o in member.get("oauth_registrations") or []}
    if providers:
        tags.append("auth:oauth")
        tags.extend(f"oauth:{p}" for p in sorted(providers))
    if member.get("totp_registration_id"):
        tags.append("auth:totp_mfa")
    if member.get("mfa_phone_number"):
        tags.append("auth:sms_mfa")
    return " ".join(t.replace(" ", "_") for t in tags)


def member_row(snapshot: int, member: dict[str, Any], raw: str | None = None) -> tuple[Any, ...]:
    """The stored form of a member; ``raw`` is its JSON text when the caller already has it."""
    email = str(member.get("email_address", ""))
    return (
        snapshot,
        member["member_id"],
        member["organization_id"],
        email,
        email_key(email),
        member.get("status") or "",
        _dumps(member) if raw is None else raw,
        facets(member),
    )


ORG_INSERT = (
    "INSERT OR REPLACE INTO organizations (snapshot_id, organization_id, name, slug, external_id, raw) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
MEMBER_INSERT = (
    "INSERT OR REPLACE INTO members "
    "(snapshot_id, member_id, organization_id, email, email_key, status, raw, facets) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def save_page(
    ws: Workspace,
    snapshot: int,
    stage: str,
    key: str,
    cp: Checkpoint,
    next_cursor: str | None,
    organizations: Iterable[dict[str, Any]] = (),
    members: Iterable[dict[str, Any]] = (),
    findings: Iterable[tuple[Any, ...]] = (),
) -> Checkpoint:
    """Store one page, its findings (:func:`problems.problem_rows`) and the cursor after it,
    atomically. Returns the new checkpoint."""
    new_cp = advance(cp, next_cursor)
    with ws.transaction() as db:
        db.executemany(ORG_INSERT, (org_row(snapshot, o) for o in organizations))
        db.executemany(MEMBER_INSERT, (member_row(snapshot, m) for m in members))
        problems.save(db, findings)
        _save_checkpoint(ws, snapshot, stage, key, new_cp)
    return new_cp


def save_connections(
    ws: Workspace,
    snapshot: int,
    organization_id: str,
    connections: list[tuple[str, dict[str, Any]]],
) -> None:
    """Store one organization's SSO/SCIM connections and mark it fetched, atomically."""
    with ws.transaction() as db:
        db.executemany(
            "INSERT OR REPLACE INTO connections (snapshot_id, connection_id, organization_id, kind, raw) "
            "VALUES (?, ?, ?, ?, ?)",
            [(snapshot, c["connection_id"], organization_id, kind, _dumps(c)) for kind, c in connections],
        )
        _save_checkpoint(ws, snapshot, "connections", organization_id, Checkpoint(None, True, []))


def save_policy(ws: Workspace, snapshot: int, policy: dict[str, Any] | None) -> None:
    with ws.transaction() as db:
        if policy is not None:
            db.execute(
                "INSERT OR REPLACE INTO rbac_policy (snapshot_id, raw) VALUES (?, ?)",
                (snapshot, _dumps(policy)),
            )
        _save_checkpoint(ws, snapshot, "rbac", "policy", Checkpoint(None, True, []))


def finish_snapshot(ws: Workspace, snapshot: int) -> dict[str, int]:
    """Mark the snapshot complete, record what changed since the previous one, prune older ones."""
    previous = ws.latest_snapshot()
    changes: dict[str, int] = {}
    with ws.transaction() as db:
        if previous is not None and previous != snapshot:
            for entity, table, id_col in (
                ("organization", "organizations", "organization_id"),
                ("member", "members", "member_id"),
            ):
                db.execute(
                    f"INSERT OR REPLACE INTO changes (snapshot_id, entity, entity_id, change) "
                    f"SELECT ?, ?, n.{id_col}, CASE WHEN o.{id_col} IS NULL THEN 'new' ELSE 'changed' END "
                    f"FROM {table} n LEFT JOIN {table} o ON o.snapshot_id = ? AND o.{id_col} = n.{id_col} "
                    f"WHERE n.snapshot_id = ? AND (o.{id_col} IS NULL OR o.raw != n.raw)",
                    (snapshot, entity, previous, snapshot),
                )
                db.execute(
                    f"INSERT OR REPLACE INTO changes (snapshot_id, entity, entity_id, change) "
                    f"SELECT ?, ?, o.{id_col}, 'deleted' FROM {table} o "
                    f"LEFT JOIN {table} n ON n.snapshot_id = ? AND n.{id_col} = o.{id_col} "
                    f"WHERE o.snapshot_id = ? AND n.{id_col} IS NULL",
                    (snapshot, entity, snapshot, previous),
                )
            # A member soft-deleted since the previous snapshot is a deletion, not an edit.
            db.execute(
                "UPDATE changes SET change = 'deleted' WHERE snapshot_id = ? AND entity = 'member' "
                "AND change = 'changed' AND entity_id IN (SELECT member_id FROM members "
                "WHERE snapshot_id = ? AND status = 'deleted')",
                (snapshot, snapshot),
            )
            for entity, change, count in db.execute(
                "SELECT entity, change, COUNT(*) FROM changes WHERE snapshot_id = ? GROUP BY 1, 2",
                (snapshot,),
            ):
                changes[f"{entity}s_{change}"] = int(count)
        db.execute(
            "UPDATE snapshots SET status = 'complete', finished_at = ? WHERE id = ?",
            (now_iso(), snapshot),
        )
        # Keep the previous snapshot (sync diffs against it); drop anything older.
        keep = (snapshot, previous if previous is not None else snapshot)
        for table in SNAPSHOT_TABLES:
            db.execute(f"DELETE FROM {table} WHERE snapshot_id NOT IN (?, ?)", keep)
    return changes


# -- export bookkeeping ----------------------------------------------------------------


def has_checkpoints(ws: Workspace, snapshot: int) -> bool:
    """Whether an export of this snapshot already saved anything (so this run resumes it)."""
    row = ws._db.execute("SELECT COUNT(*) FROM checkpoints WHERE snapshot_id = ?", (snapshot,)).fetchone()
    return int(row[0]) > 0


def done_keys(ws: Workspace, snapshot: int, stage: str) -> set[str]:
    """The keys of ``stage`` whose checkpoint is done (organizations whose connections are stored)."""
    return {
        str(r[0])
        for r in ws._db.execute(
            "SELECT key FROM checkpoints WHERE snapshot_id = ? AND stage = ? AND done = 1",
            (snapshot, stage),
        )
    }


def organization_ids(ws: Workspace, snapshot: int) -> list[str]:
    return [
        str(r[0])
        for r in ws._db.execute(
            "SELECT organization_id FROM organizations WHERE snapshot_id = ? ORDER BY organization_id",
            (snapshot,),
        )
    ]


def save_rows(
    ws: Workspace,
    organizations: list[tuple[Any, ...]],
    members: list[tuple[Any, ...]],
    findings: Iterable[tuple[Any, ...]] = (),
    file_read: tuple[int, int, str] | None = None,
) -> None:
    """Store rows already in their stored form (:func:`org_row`, :func:`member_row`,
    :func:`problems.problem_rows`) atomically, with ``file_read`` = (snapshot, bytes read,
    their SHA-256) for a file load."""
    with ws.transaction() as db:
        db.executemany(ORG_INSERT, organizations)
        db.executemany(MEMBER_INSERT, members)
        problems.save(db, findings)
        if file_read is not None:
            file_loads.mark_loaded(db, *file_read)


def orphan_members(ws: Workspace, snapshot: int) -> int:
    """Members whose organization is not in the snapshot."""
    row = ws._db.execute(
        "SELECT COUNT(*) FROM members m WHERE m.snapshot_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM organizations o WHERE o.snapshot_id = m.snapshot_id "
        "AND o.organization_id = m.organization_id)",
        (snapshot,),
    ).fetchone()
    return int(row[0])


# -- reads for plan and import -----------------------------------------------------------


def members_by_email(ws: Workspace, snapshot: int, batch: int = 500) -> Iterator[tuple[str, str]]:
    """(email key, raw member JSON) ordered by email, read in short batches under the workspace lock.

    Import workers write the ledger on the same connection meanwhile; no statement stays
    open across their transactions.
    """
    after = ("", "")
    while True:
        with ws.lock:
            rows = ws._db.execute(
                "SELECT email_key, member_id, raw FROM members WHERE snapshot_id = ? "
                "AND (email_key, member_id) > (?, ?) ORDER BY email_key, member_id LIMIT ?",
                (snapshot, *after, batch),
            ).fetchall()
        for key, _, raw in rows:
            yield str(key), str(raw)
        if len(rows) < batch:
            return
        after = (str(rows[-1][0]), str(rows[-1][1]))


def count_people(ws: Workspace, snapshot: int, scope: frozenset[str] | None) -> int:
    """Distinct email keys among the members of ``scope`` (every organization when None)."""
    if scope is None:
        row = ws._db.execute(
            "SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ?", (snapshot,)
        )
    else:
        marks = ",".join("?" * len(scope))
        row = ws._db.execute(
            "SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ? "
            f"AND organization_id IN ({marks})",
            (snapshot, *sorted(scope)),
        )
    return int(row.fetchone()[0])


def role_counts(ws: Workspace, snapshot: int) -> dict[str, int]:
    """Explicit role assignments per Stytch role id among members that are not deleted."""
    return {
        str(role): int(n)
        for role, n in ws._db.execute(
            "SELECT json_extract(r.value, '$.role_id'), COUNT(*) FROM members m, json_each(m.raw, '$.roles') r "
            "WHERE m.snapshot_id = ? AND m.status != 'deleted' GROUP BY 1",
            (snapshot,),
        )
    }

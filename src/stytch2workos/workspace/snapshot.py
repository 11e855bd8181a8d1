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
from stytch2workos.workspace import changes, file_loads, problems
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
        # What its pages recorded as changed (:func:`member_diff_base`) goes with them.
        db.execute("DELETE FROM changes WHERE snapshot_id = ?", (snapshot,))
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
    diff_against: int | None = None,
) -> Checkpoint:
    """Store one page, its findings (:func:`problems.problem_rows`) and the cursor after it,
    atomically. Returns the new checkpoint.

    ``diff_against`` (see :func:`member_diff_base`): record, in the same transaction, how
    the page's members differ from that snapshot's."""
    new_cp = advance(cp, next_cursor)
    rows = [member_row(snapshot, m) for m in members]
    with ws.transaction() as db:
        db.executemany(ORG_INSERT, (org_row(snapshot, o) for o in organizations))
        db.executemany(MEMBER_INSERT, rows)
        if diff_against is not None and rows:
            changes.record_page(db, snapshot, diff_against, [row[1] for row in rows])
        problems.save(db, findings)
        _save_checkpoint(ws, snapshot, stage, key, new_cp)
    return new_cp


def member_diff_base(ws: Workspace, snapshot: int, fresh: bool) -> int | None:
    """The snapshot that member pages of ``snapshot`` are compared with as they are saved.

    Comparing page by page spreads the work of :func:`finish_snapshot` over the paced
    member searches instead of adding it at the end. None when there is no previous
    snapshot, or for an unfinished snapshot whose first pages were saved without it (then
    :func:`finish_snapshot` compares every member). ``fresh``: the snapshot was just opened.
    """
    previous = ws.latest_snapshot()
    if previous is None:
        return None
    if fresh:
        with ws.transaction():
            _save_checkpoint(ws, snapshot, "diff", "members", Checkpoint(None, True, []))
        return previous
    return previous if checkpoint(ws, snapshot, "diff", "members").done else None


def save_connections(
    ws: Workspace,
    snapshot: int,
    found: Iterable[tuple[str, list[tuple[str, dict[str, Any]]]]],
) -> int:
    """Store the SSO/SCIM connections of each (organization id, [(kind, connection)]) in
    ``found`` and mark each organization fetched, in one transaction (one commit for the
    many organizations read while a member page was on its way). Returns how many."""
    done = 0
    with ws.transaction() as db:
        for organization_id, connections in found:
            db.executemany(
                "INSERT OR REPLACE INTO connections (snapshot_id, connection_id, organization_id, kind, raw) "
                "VALUES (?, ?, ?, ?, ?)",
                [(snapshot, c["connection_id"], organization_id, kind, _dumps(c)) for kind, c in connections],
            )
            _save_checkpoint(ws, snapshot, "connections", organization_id, Checkpoint(None, True, []))
            done += 1
    return done


def save_policy(ws: Workspace, snapshot: int, policy: dict[str, Any] | None) -> None:
    with ws.transaction() as db:
        if policy is not None:
            db.execute(
                "INSERT OR REPLACE INTO rbac_policy (snapshot_id, raw) VALUES (?, ?)",
                (snapshot, _dumps(policy)),
            )
        _save_checkpoint(ws, snapshot, "rbac", "policy", Checkpoint(None, True, []))


def finish_snapshot(ws: Workspace, snapshot: int, members_diffed: bool = False) -> dict[str, int]:
    """Mark the snapshot complete, record what changed since the previous one, prune older ones.

    ``members_diffed``: every member page was compared as it was saved
    (:func:`member_diff_base`), so only what no page shows is left to find here.
    """
    previous = ws.latest_snapshot()
    changed: dict[str, int] = {}
    with ws.transaction() as db:
        if previous is not None and previous != snapshot:
            changed = changes.record_snapshot(db, snapshot, previous, members_diffed)
        db.execute(
            "UPDATE snapshots SET status = 'complete', finished_at = ? WHERE id = ?",
            (now_iso(), snapshot),
        )
        # Keep the previous snapshot (sync diffs against it); drop anything older.
        low, high = sorted((snapshot, previous if previous is not None else snapshot))
        for table in SNAPSHOT_TABLES:
            # Every id but the two kept, as ranges the snapshot_id indexes can answer
            # (`NOT IN` would read every row of both snapshots kept).
            db.execute(
                f"DELETE FROM {table} WHERE snapshot_id < ? OR (snapshot_id > ? AND snapshot_id < ?) "
                "OR snapshot_id > ?",
                (low, low, high, high),
            )
    return changed


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

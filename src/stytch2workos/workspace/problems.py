"""Records an export refused or adjusted, stored beside the snapshot they were found in.

A *refused* record is not in the snapshot at all: plan and import never see it,
and import writes one ``skip`` ledger row per refused member. An *adjusted*
record is in the snapshot; one of its fields is left out or replaced on the way
to WorkOS. Positions are characters from the start of a JSON file (none for
records read from the API).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from stytch2workos.transform.validate import (
    DUPLICATE_ID,
    ORGANIZATION_REFUSED,
    Entity,
    Finding,
    IssueTally,
    record_id,
)
from stytch2workos.workspace.core import Workspace

PROBLEM_INSERT = (
    "INSERT INTO record_problems "
    "(snapshot_id, entity, record_id, organization_id, position, code, action, reason) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_TABLE = {"organization": ("organizations", "organization_id"), "member": ("members", "member_id")}
# How a refused record is named where it has no usable id: by its place in the file (or,
# read from the API, by its row here).
_NAME = "COALESCE(record_id, 'character ' || position, 'record ' || rowid)"
_MAX_REASONS = 3


def problem_rows(
    snapshot: int, kind: Entity, value: Any, position: int | None, findings: Sequence[Finding]
) -> list[tuple[Any, ...]]:
    """The stored form of one record's findings: a single row if it is refused (its first
    code, its reasons), else one row per adjusted field."""
    if not findings:
        return []
    rid = record_id(kind, value)
    org: Any = value.get("organization_id") if kind == "member" and isinstance(value, dict) else rid
    org = org if isinstance(org, str) and org else None
    refused = [f for f in findings if f.refused]
    if refused:
        reason = "; ".join(f.reason for f in refused[:_MAX_REASONS])
        if len(refused) > _MAX_REASONS:
            reason += f"; and {len(refused) - _MAX_REASONS} more"
        return [(snapshot, kind, rid, org, position, refused[0].code, "refused", reason)]
    return [(snapshot, kind, rid, org, position, f.code, "adjusted", f.reason) for f in findings]


def clear(db: sqlite3.Connection, snapshot: int) -> None:
    """Forget a snapshot's findings (a resumed load finds them again)."""
    db.execute("DELETE FROM record_problems WHERE snapshot_id = ?", (snapshot,))


def refuse_first_copies(
    ws: Workspace, snapshot: int, copies: dict[tuple[Entity, str], tuple[int, int]]
) -> None:
    """Take the first copy of each repeated id out of the snapshot, refused as a duplicate.

    ``copies`` maps (kind, id) to (the first copy's position, the next copy's position);
    later copies were refused as they were read.
    """
    with ws.transaction() as db:
        for (kind, rid), (first, other) in copies.items():
            table, id_col = _TABLE[kind]
            org_col = "organization_id"
            row = db.execute(
                f"SELECT {org_col} FROM {table} WHERE snapshot_id = ? AND {id_col} = ?", (snapshot, rid)
            ).fetchone()
            if row is None:  # the first copy was refused for a reason of its own
                row = db.execute(
                    "SELECT organization_id FROM record_problems WHERE snapshot_id = ? AND entity = ? "
                    "AND record_id = ? AND position = ?",
                    (snapshot, kind, rid, first),
                ).fetchone()
            db.execute(f"DELETE FROM {table} WHERE snapshot_id = ? AND {id_col} = ?", (snapshot, rid))
            db.execute(
                "DELETE FROM record_problems WHERE snapshot_id = ? AND entity = ? AND record_id = ? "
                "AND position = ?",
                (snapshot, kind, rid, first),
            )
            reason = f"{kind}_id also at character {other}; every copy is refused"
            org = row[0] if row is not None else None
            db.execute(PROBLEM_INSERT, (snapshot, kind, rid, org, first, DUPLICATE_ID, "refused", reason))


def refused_organization_ids(ws: Workspace, snapshot: int) -> set[str]:
    return {
        str(r[0])
        for r in ws._db.execute(
            "SELECT record_id FROM record_problems WHERE snapshot_id = ? AND entity = 'organization' "
            "AND action = 'refused' AND record_id IS NOT NULL",
            (snapshot,),
        )
    }


def refuse_members_of_refused_organizations(ws: Workspace, snapshot: int) -> int:
    """Take the members of refused organizations out of the snapshot; how many there were."""
    refused = (
        "SELECT record_id FROM record_problems WHERE snapshot_id = ? AND entity = 'organization' "
        "AND action = 'refused' AND record_id IS NOT NULL"
    )
    with ws.transaction() as db:
        db.execute(
            "INSERT INTO record_problems "
            "(snapshot_id, entity, record_id, organization_id, position, code, action, reason) "
            "SELECT snapshot_id, 'member', member_id, organization_id, NULL, ?, 'refused', "
            "'its organization ' || organization_id || ' was refused' "
            f"FROM members WHERE snapshot_id = ? AND organization_id IN ({refused})",
            (ORGANIZATION_REFUSED, snapshot, snapshot),
        )
        cur = db.execute(
            f"DELETE FROM members WHERE snapshot_id = ? AND organization_id IN ({refused})",
            (snapshot, snapshot),
        )
    return int(cur.rowcount)


def _scope_clause(scope: frozenset[str] | None) -> tuple[str, tuple[str, ...]]:
    if scope is None:
        return "", ()
    return f" AND organization_id IN ({','.join('?' * len(scope))})", tuple(sorted(scope))


def tallies(
    ws: Workspace, snapshot: int, scope: frozenset[str] | None = None, examples: int = 5
) -> list[IssueTally]:
    """Findings per entity, outcome and code, with a few record ids each.

    Counted by record, as import sees them: the copies of a repeated id are one record
    (one ledger row). With a ``scope`` (a pilot's organizations), only the records of
    those organizations.
    """
    where, params = _scope_clause(scope)
    found: list[IssueTally] = []
    groups = ws._db.execute(
        f"SELECT entity, action, code, COUNT(DISTINCT {_NAME}) "
        f"FROM record_problems WHERE snapshot_id = ?{where} GROUP BY 1, 2, 3 ORDER BY 2 DESC, 1 DESC, 4 DESC, 3",
        (snapshot, *params),
    ).fetchall()
    for entity, action, code, count in groups:
        ids = ws._db.execute(
            f"SELECT DISTINCT {_NAME} FROM record_problems "
            f"WHERE snapshot_id = ? AND entity = ? AND action = ? AND code = ?{where} "
            "ORDER BY 1 LIMIT ?",
            (snapshot, entity, action, code, *params, examples),
        )
        found.append(
            IssueTally(str(entity), str(code), action == "refused", int(count), tuple(str(r[0]) for r in ids))
        )
    return found


def summary(ws: Workspace, snapshot: int, examples: int = 50) -> dict[str, dict[str, Any]]:
    """``{"refused_records": …, "adjusted_records": …}``: counts by code and the first examples."""
    result: dict[str, dict[str, Any]] = {}
    for action in ("refused", "adjusted"):
        by_code = {
            str(code): int(n)
            for code, n in ws._db.execute(
                "SELECT code, COUNT(*) FROM record_problems WHERE snapshot_id = ? AND action = ? "
                "GROUP BY 1 ORDER BY 2 DESC, 1",
                (snapshot, action),
            )
        }
        rows = ws._db.execute(
            "SELECT entity, record_id, organization_id, position, code, reason FROM record_problems "
            "WHERE snapshot_id = ? AND action = ? ORDER BY position, entity, record_id LIMIT ?",
            (snapshot, action, examples),
        )
        keys = ("entity", "id", "organization_id", "position", "code", "reason")
        result[f"{action}_records"] = {
            "count": sum(by_code.values()),
            "by_code": by_code,
            "examples": [dict(zip(keys, row, strict=True)) for row in rows],
        }
    return result


def refused_members(
    ws: Workspace, snapshot: int, scope: frozenset[str] | None = None
) -> list[tuple[str, str, str]]:
    """(ledger id, code, reason) of every refused member; the ledger id is the member id,
    or ``character N`` for a record without one."""
    where, params = _scope_clause(scope)
    return [
        (str(rid), str(code), str(reason))
        for rid, code, reason in ws._db.execute(
            # Every copy of a repeated id is refused for the same reason: one ledger row for them.
            f"SELECT {_NAME}, MIN(code), MIN(reason) "
            f"FROM record_problems WHERE snapshot_id = ? AND entity = 'member' AND action = 'refused'{where} "
            "GROUP BY 1 ORDER BY 1",
            (snapshot, *params),
        )
    ]


def save(db: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Store rows from :func:`problem_rows` (inside the caller's transaction)."""
    db.executemany(PROBLEM_INSERT, rows)

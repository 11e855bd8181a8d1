"""Counts over a snapshot for the summaries: grouped rows, never records, emails or secrets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from stytch2workos.workspace.core import Workspace


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    source: str
    started_at: str
    finished_at: str | None


def _pairs(ws: Workspace, sql: str, params: tuple[Any, ...]) -> dict[str, int]:
    return {str(k): int(v) for k, v in ws._db.execute(sql, params) if k is not None}


def snapshot_info(ws: Workspace, snapshot: int) -> SnapshotInfo:
    row = ws._db.execute(
        "SELECT source, started_at, finished_at FROM snapshots WHERE id = ?", (snapshot,)
    ).fetchone()
    return SnapshotInfo(snapshot, str(row[0]), str(row[1]), row[2])


def members_by_status(ws: Workspace, snapshot: int) -> dict[str, int]:
    return _pairs(ws, "SELECT status, COUNT(*) FROM members WHERE snapshot_id = ? GROUP BY 1", (snapshot,))


def facet_counts(ws: Workspace, snapshot: int) -> Counter[str]:
    """How many members carry each summary tag (``role:…``, ``auth:…``, ``oauth:…``).

    Deleted members count only in the roles, not among sign-in methods.
    """
    tags: Counter[str] = Counter()
    live = ws._db.execute(
        "SELECT facets FROM members WHERE snapshot_id = ? AND status != 'deleted'", (snapshot,)
    )
    while chunk := live.fetchmany(20_000):
        tags.update(" ".join(f for (f,) in chunk).split())
    for (row_facets,) in ws._db.execute(
        "SELECT facets FROM members WHERE snapshot_id = ? AND status = 'deleted'", (snapshot,)
    ):
        tags.update(t for t in row_facets.split() if t.startswith("role:"))
    return tags


def members_per_organization(ws: Workspace, snapshot: int) -> list[tuple[str, str, int]]:
    """(organization id, name, members), largest first."""
    return [
        (str(oid), str(name), int(n))
        for oid, name, n in ws._db.execute(
            "SELECT o.organization_id, o.name, COUNT(m.member_id) FROM organizations o "
            "LEFT JOIN members m ON m.snapshot_id = o.snapshot_id AND m.organization_id = o.organization_id "
            "WHERE o.snapshot_id = ? GROUP BY o.organization_id ORDER BY 3 DESC, 1",
            (snapshot,),
        )
    ]


def live_people(ws: Workspace, snapshot: int) -> int:
    row = ws._db.execute(
        "SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ? AND status != 'deleted'",
        (snapshot,),
    ).fetchone()
    return int(row[0])


def connections_by_kind(ws: Workspace, snapshot: int) -> dict[str, int]:
    return _pairs(ws, "SELECT kind, COUNT(*) FROM connections WHERE snapshot_id = ? GROUP BY 1", (snapshot,))


def changes(ws: Workspace, snapshot: int) -> dict[str, int]:
    """What changed since the previous snapshot: ``members_new``, ``organizations_deleted``, …"""
    return _pairs(
        ws,
        "SELECT entity || 's_' || change, COUNT(*) FROM changes WHERE snapshot_id = ? GROUP BY 1",
        (snapshot,),
    )

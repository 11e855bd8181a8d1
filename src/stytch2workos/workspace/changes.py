"""What changed between two snapshots: the ``changes`` rows a refresh records.

A row says an organization or member of the new snapshot is ``new``, ``changed``
(its stored JSON differs) or ``deleted`` (gone, or soft-deleted since). An export
from the API compares each member page as it is saved (:func:`record_page`), inside
the page's transaction, so the comparison runs while the member searches wait on
their budget; :func:`record_snapshot` then finds only what no page can show. A
snapshot loaded any other way is compared whole at the end.
"""

from __future__ import annotations

import json
import sqlite3

# Rows of the new snapshot that the previous one lacks or holds otherwise.
# Parameters: the previous snapshot, then the new one.
_NEW_OR_CHANGED = (
    "INSERT OR REPLACE INTO changes (snapshot_id, entity, entity_id, change) "
    "SELECT n.snapshot_id, '{entity}', n.{id}, CASE WHEN o.{id} IS NULL THEN 'new' ELSE 'changed' END "
    "FROM {table} n LEFT JOIN {table} o ON o.snapshot_id = ? AND o.{id} = n.{id} "
    "WHERE n.snapshot_id = ? AND (o.{id} IS NULL OR o.raw != n.raw)"
)
_ENTITIES = (("organization", "organizations", "organization_id"), ("member", "members", "member_id"))


def record_page(db: sqlite3.Connection, snapshot: int, previous: int, member_ids: list[str]) -> None:
    """Compare the members just saved to ``snapshot`` with ``previous``, in the caller's transaction."""
    ids = json.dumps(member_ids)
    # A member met again on a later page (changed while the export ran) is compared again.
    db.execute(
        "DELETE FROM changes WHERE snapshot_id = ? AND entity = 'member' "
        "AND entity_id IN (SELECT value FROM json_each(?))",
        (snapshot, ids),
    )
    db.execute(
        _NEW_OR_CHANGED.format(entity="member", table="members", id="member_id")
        + " AND n.member_id IN (SELECT value FROM json_each(?))",
        (previous, snapshot, ids),
    )


def record_snapshot(
    db: sqlite3.Connection, snapshot: int, previous: int, members_recorded: bool
) -> dict[str, int]:
    """Record every change from ``previous`` to ``snapshot``; counts as ``{"members_new": n, ...}``.

    ``members_recorded``: every member page went through :func:`record_page`.
    """
    for entity, table, id_col in _ENTITIES:
        if entity == "member" and members_recorded:
            # Members taken out after their page was saved (their organization was refused).
            db.execute(
                "DELETE FROM changes WHERE snapshot_id = ? AND entity = 'member' AND NOT EXISTS "
                "(SELECT 1 FROM members n WHERE n.snapshot_id = changes.snapshot_id "
                "AND n.member_id = changes.entity_id)",
                (snapshot,),
            )
        else:
            db.execute(_NEW_OR_CHANGED.format(entity=entity, table=table, id=id_col), (previous, snapshot))
        db.execute(
            f"INSERT OR REPLACE INTO changes (snapshot_id, entity, entity_id, change) "
            f"SELECT ?, ?, o.{id_col}, 'deleted' FROM {table} o "
            f"LEFT JOIN {table} n ON n.snapshot_id = ? AND n.{id_col} = o.{id_col} "
            f"WHERE o.snapshot_id = ? AND n.{id_col} IS NULL",
            (snapshot, entity, snapshot, previous),
        )
    # A member soft-deleted since the previous snapshot is a deletion, not an edit.
    # (Each changed row looks its member up: listing the deleted members would read them all.)
    db.execute(
        "UPDATE changes SET change = 'deleted' WHERE snapshot_id = ? AND entity = 'member' "
        "AND change = 'changed' AND EXISTS (SELECT 1 FROM members m WHERE m.snapshot_id = "
        "changes.snapshot_id AND m.member_id = changes.entity_id AND m.status = 'deleted')",
        (snapshot,),
    )
    return {
        f"{entity}s_{change}": int(count)
        for entity, change, count in db.execute(
            "SELECT entity, change, COUNT(*) FROM changes WHERE snapshot_id = ? GROUP BY 1, 2",
            (snapshot,),
        )
    }

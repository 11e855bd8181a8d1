"""Reads for the readiness report: members with their summary tags, by email, and whether hashes are loaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from stytch2workos.workspace.core import Workspace


class MemberRow(NamedTuple):
    email_key: str
    raw: str  # the member's JSON
    facets: str  # the summary tags stored beside it (snapshot.facets)


def member_rows(ws: Workspace, snapshot: int, chunk: int = 2_000) -> Iterator[MemberRow]:
    """Every member of ``snapshot``, ordered by email key (then id), read a chunk at a time."""
    cursor = ws._db.execute(
        "SELECT email_key, raw, facets FROM members WHERE snapshot_id = ? ORDER BY email_key, member_id",
        (snapshot,),
    )
    while rows := cursor.fetchmany(chunk):
        for key, raw, facets in rows:
            yield MemberRow(str(key), str(raw), str(facets))


def passwords_loaded(ws: Workspace) -> bool:
    """Whether ``passwords load`` has stored anything (then its reset list is the one to use)."""
    row = ws._db.execute("SELECT EXISTS (SELECT 1 FROM password_hashes)").fetchone()
    return bool(row[0])

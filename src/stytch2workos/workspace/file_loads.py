"""Which file a snapshot is loaded from, so that an unfinished load never goes on with another.

A file is known by its size and the SHA-256 of the part the stored rows came from,
both taken while the file is read (no second pass over it). A resumed load reads
the file again from the start, so a file of the same size whose first bytes match
yields exactly the rows already stored.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from stytch2workos.workspace import problems
from stytch2workos.workspace.core import Workspace


@dataclass(frozen=True)
class FileMark:
    """Which file an unfinished snapshot is loaded from: its size, and the SHA-256 of its
    first ``loaded`` bytes, which hold every row stored so far."""

    size: int | None  # None: loaded by a version that did not record it
    loaded: int
    sha256: str | None


def file_mark(ws: Workspace, snapshot: int) -> FileMark:
    row = ws._db.execute(
        "SELECT file_size, file_loaded, file_sha256 FROM snapshots WHERE id = ?", (snapshot,)
    ).fetchone()
    return FileMark(row[0], int(row[1] or 0), row[2])


def start_file_load(ws: Workspace, snapshot: int, size: int, fresh: bool) -> None:
    """Record the file a load reads; a resumed load forgets its findings (it finds them again).

    ``fresh``: nothing stored came from another file, so the mark starts over."""
    with ws.transaction() as db:
        problems.clear(db, snapshot)
        if fresh:
            db.execute(
                "UPDATE snapshots SET file_size = ?, file_loaded = 0, file_sha256 = NULL WHERE id = ?",
                (size, snapshot),
            )


def mark_loaded(db: sqlite3.Connection, snapshot: int, loaded: int, sha256: str) -> None:
    """Note that the rows stored so far came from the file's first ``loaded`` bytes."""
    # A resumed load reads the file from the start again: the mark only ever grows, so it
    # keeps covering every row the earlier run stored.
    db.execute(
        "UPDATE snapshots SET file_loaded = ?, file_sha256 = ? WHERE id = ? AND COALESCE(file_loaded, 0) <= ?",
        (loaded, sha256, snapshot, loaded),
    )

"""Reads for ``status`` and the HTML report: grouped counts over the ledger, the snapshots
and the loaded hashes. Read-only, and nothing here returns hash material: the ledger's
``detail`` is read for failed rows only (a done ``password`` row keeps a fingerprint of
the hash there).
"""

from __future__ import annotations

from dataclasses import dataclass

from stytch2workos.workspace.core import Workspace
from stytch2workos.workspace.ledger import DONE_SQL

# How long a prefix of an ISO timestamp (``2024-05-01T12:34:56Z``) is one bucket.
BUCKETS = {"minute": 16, "hour": 13, "day": 10}


@dataclass(frozen=True)
class SnapshotRow:
    id: int
    source: str
    status: str
    started_at: str
    finished_at: str | None


@dataclass(frozen=True)
class FailureRow:
    kind: str
    source_id: str
    code: str
    detail: str
    updated_at: str


def snapshots(ws: Workspace) -> list[SnapshotRow]:
    """Every snapshot, newest first (a running export is one whose status is ``running``)."""
    return [
        SnapshotRow(int(i), str(s), str(st), str(a), None if f is None else str(f))
        for i, s, st, a, f in ws._db.execute(
            "SELECT id, source, status, started_at, finished_at FROM snapshots ORDER BY id DESC"
        )
    ]


def ledger_counts(ws: Workspace) -> dict[str, dict[str, int]]:
    """Rows per kind and status."""
    found: dict[str, dict[str, int]] = {}
    for kind, status, n in ws._db.execute("SELECT kind, status, COUNT(*) FROM ledger GROUP BY 1, 2"):
        found.setdefault(str(kind), {})[str(status)] = int(n)
    return found


def ledger_span(ws: Workspace) -> tuple[str | None, str | None]:
    """The first and last moment a done row was written."""
    row = ws._db.execute(
        f"SELECT MIN(updated_at), MAX(updated_at) FROM ledger WHERE status IN {DONE_SQL}"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def done_over_time(ws: Workspace, bucket: str) -> list[tuple[str, str, int]]:
    """(kind, time bucket, done rows written in it), oldest first; ``bucket`` is a key of BUCKETS.

    A row counts at its last update: a record done, then redone, moves to the later bucket.
    """
    width = BUCKETS[bucket]
    return [
        (str(k), str(t), int(n))
        for k, t, n in ws._db.execute(
            f"SELECT kind, substr(updated_at, 1, ?), COUNT(*) FROM ledger WHERE status IN {DONE_SQL} "
            "GROUP BY 1, 2 ORDER BY 2, 1",
            (width,),
        )
    ]


def failures_by_code(ws: Workspace) -> list[tuple[str, str, int]]:
    """(kind, code, failed rows), most first."""
    return [
        (str(k), str(c), int(n))
        for k, c, n in ws._db.execute(
            "SELECT kind, COALESCE(code, 'unknown'), COUNT(*) FROM ledger WHERE status = 'failed' "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
        )
    ]


def failures(ws: Workspace, limit: int) -> list[FailureRow]:
    """Failed ledger rows, most recent first, with WorkOS's code and the redacted detail."""
    return [
        FailureRow(str(k), str(s), str(c or ""), str(d or ""), str(u))
        for k, s, c, d, u in ws._db.execute(
            "SELECT kind, source_id, code, detail, updated_at FROM ledger WHERE status = 'failed' "
            "ORDER BY updated_at DESC, kind, source_id LIMIT ?",
            (limit,),
        )
    ]


def hash_statuses(ws: Workspace) -> dict[str, int]:
    """Loaded password-hash rows by status (``selected``, ``refused``, ``superseded``, …)."""
    return {
        str(s): int(n) for s, n in ws._db.execute("SELECT status, COUNT(*) FROM password_hashes GROUP BY 1")
    }


def last_hash_load(ws: Workspace) -> str | None:
    row = ws._db.execute("SELECT MAX(loaded_at) FROM password_hashes").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def last_event_received(ws: Workspace) -> str | None:
    """When the webhook receiver last stored a WorkOS event."""
    row = ws._db.execute("SELECT MAX(received_at) FROM workos_events").fetchone()
    return None if row is None or row[0] is None else str(row[0])

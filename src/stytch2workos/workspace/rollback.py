"""The rollback's state: one row per WorkOS entity a rollback undid or decided about.

Statuses: ``sending`` (the revoke or delete was on the wire when the run stopped: the
next run looks the entity up first), ``deleted`` (this rollback removed it), ``gone``
(already absent: a 404, or an invitation no longer pending), ``kept`` (in use outside
the migration; the code says how), ``failed`` (a refusal, with WorkOS's code).

An undone entity's import-ledger row turns ``rolled_back`` in the same transaction (its
WorkOS id kept as history), so ``import`` creates it afresh and a rerun of ``rollback``
finds nothing left to undo. A deleted user's ``password`` row goes with it, and sync's
baseline of every undone entity is forgotten: sync starts over from import's values.

Thread-safe like the ledger: workers share the one connection under ``ws.lock``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass

from stytch2workos.expected_rollback import UndoFact
from stytch2workos.plan_rollback import LedgerFact
from stytch2workos.workspace import Workspace, now_iso
from stytch2workos.workspace.ledger import DONE_SQL

ROLLED_BACK = "rolled_back"
UNDONE = ("deleted", "gone")
PASSWORD_KIND = "password"


@dataclass(frozen=True)
class RollbackRow:
    kind: str
    source_id: str
    target_id: str
    status: str
    code: str | None
    detail: str | None


def ledger_facts(ws: Workspace) -> list[LedgerFact]:
    """Every import-ledger row a rollback plans from: done ones and those on the wire."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, source_id, status, target_id, updated_at FROM ledger "
            f"WHERE status IN {DONE_SQL} OR status = 'sending'"
        ).fetchall()
    return [
        LedgerFact(str(k), str(s), str(st), None if t is None else str(t), str(u)) for k, s, st, t, u in rows
    ]


def undo_facts(ws: Workspace) -> list[UndoFact]:
    """Every rollback-ledger row, over every rollback this workspace ran (none: never rolled back)."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, source_id, target_id, status, code, detail, updated_at FROM rollback_ledger"
        ).fetchall()
    return [UndoFact(str(k), str(s), str(t), str(st), c, d, str(u)) for k, s, t, st, c, d, u in rows]


def has_rolled_back(ws: Workspace) -> bool:
    """Whether any rollback was applied here (the cheap question verify asks first)."""
    with ws.lock:
        return ws._db.execute("SELECT 1 FROM rollback_ledger LIMIT 1").fetchone() is not None


def all_ledger_facts(ws: Workspace) -> list[LedgerFact]:
    """Every import-ledger row whatever its status (``rolled_back`` ones too): what verify
    decides after a rollback from."""
    with ws.lock:
        rows = ws._db.execute("SELECT kind, source_id, status, target_id, updated_at FROM ledger").fetchall()
    return [
        LedgerFact(str(k), str(s), str(st), None if t is None else str(t), str(u)) for k, s, st, t, u in rows
    ]


def entry(ws: Workspace, kind: str, source_id: str, target_id: str) -> RollbackRow | None:
    with ws.lock:
        row = ws._db.execute(
            "SELECT status, code, detail FROM rollback_ledger WHERE kind = ? AND source_id = ? AND target_id = ?",
            (kind, source_id, target_id),
        ).fetchone()
    return None if row is None else RollbackRow(kind, source_id, target_id, row[0], row[1], row[2])


def record(
    ws: Workspace,
    kind: str,
    source_id: str,
    target_id: str,
    status: str,
    code: str | None = None,
    detail: str | None = None,
) -> None:
    """Note a decision or an outcome that leaves the import ledger as it is (sending, kept, failed)."""
    with ws.lock, ws.transaction() as db:
        _upsert(db, kind, source_id, target_id, status, code, detail)


def undone(ws: Workspace, kind: str, source_id: str, target_id: str, status: str, detail: str) -> None:
    """The entity is no longer in WorkOS (``deleted`` or ``gone``): settle both ledgers at once."""
    assert status in UNDONE
    now = now_iso()
    with ws.lock, ws.transaction() as db:
        _upsert(db, kind, source_id, target_id, status, None, detail)
        db.execute(
            "UPDATE ledger SET status = ?, code = ?, detail = ?, updated_at = ? "
            "WHERE kind = ? AND source_id = ? AND target_id = ?",
            (ROLLED_BACK, status, detail, now, kind, source_id, target_id),
        )
        if kind == "user":
            # The hash went with the user: a recreated user needs it sent again.
            db.execute(
                "UPDATE ledger SET status = ?, code = ?, updated_at = ? "
                f"WHERE kind = ? AND source_id = ? AND target_id = ? AND status IN {DONE_SQL}",
                (ROLLED_BACK, status, now, PASSWORD_KIND, source_id, target_id),
            )
        db.execute("DELETE FROM sync_baseline WHERE kind = ? AND key = ?", (kind, source_id))


def _upsert(
    db: sqlite3.Connection,
    kind: str,
    source_id: str,
    target_id: str,
    status: str,
    code: str | None,
    detail: str | None,
) -> None:
    db.execute(
        "INSERT INTO rollback_ledger (kind, source_id, target_id, status, code, detail, attempts, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT (kind, source_id, target_id) DO UPDATE SET "
        "status = excluded.status, code = excluded.code, detail = excluded.detail, "
        "attempts = rollback_ledger.attempts + 1, updated_at = excluded.updated_at",
        (kind, source_id, target_id, status, code, detail, now_iso()),
    )


def counts(ws: Workspace) -> dict[str, dict[str, int]]:
    """Rows per kind and status, over every rollback this workspace ran."""
    result: dict[str, Counter[str]] = {}
    with ws.lock:
        for kind, status, n in ws._db.execute(
            "SELECT kind, status, COUNT(*) FROM rollback_ledger GROUP BY 1, 2"
        ):
            result.setdefault(str(kind), Counter())[str(status)] = int(n)
    return {k: dict(v) for k, v in sorted(result.items())}

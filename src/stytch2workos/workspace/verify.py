"""Verify's rows: each run (its counts and exit code) and the findings it reported; and the
reads verify needs from the snapshot and the ledger in one statement each.

The status command reads :func:`last_run`; the findings of the latest few runs are kept
(older ones are dropped so the table cannot grow without end), the run rows forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from stytch2workos.workspace.core import Workspace, now_iso
from stytch2workos.workspace.ledger import DONE_SQL

# Runs whose findings are kept; a 100,000-member drift is many rows, and only the latest matter.
KEEP_FINDINGS = 5


@dataclass(frozen=True)
class VerifyRun:
    """One finished verify: what it compared against and what it found."""

    finished_at: str
    snapshot: int
    missing: int
    different: int
    unexpected: int
    exit_code: int
    mode: str = "migration"  # "rollback": checked that nothing the rollback removed is left
    left: int = 0  # after a rollback: still in WorkOS though the rollback removed it
    kept: int = 0  # after a rollback: kept by it on purpose


class FindingRow(Protocol):
    """What is stored of one finding (``verify.Finding`` has these fields)."""

    @property
    def category(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def workos_id(self) -> str | None: ...
    @property
    def field(self) -> str: ...
    @property
    def expected(self) -> str: ...
    @property
    def found(self) -> str: ...
    @property
    def detail(self) -> str: ...


@dataclass(frozen=True)
class LedgerRow:
    """A done ledger row: ``created``, ``reused`` or ``recovered``, with the WorkOS id."""

    status: str
    target_id: str | None
    code: str | None
    detail: str | None


def done_rows(ws: Workspace, kinds: Iterable[str]) -> dict[tuple[str, str], LedgerRow]:
    """Every done ledger row of ``kinds``, by ``(kind, source id)``."""
    wanted = sorted(set(kinds))
    marks = ",".join("?" * len(wanted))
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, source_id, status, target_id, code, detail FROM ledger "
            f"WHERE kind IN ({marks}) AND status IN {DONE_SQL}",
            wanted,
        ).fetchall()
    return {(str(k), str(s)): LedgerRow(str(st), t, c, d) for k, s, st, t, c, d in rows}


def member_statuses(ws: Workspace, snapshot: int) -> Iterator[tuple[str, str, str]]:
    """``(member id, organization id, status)`` of every member in the snapshot."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT member_id, organization_id, status FROM members WHERE snapshot_id = ?", (snapshot,)
        ).fetchall()
    for member_id, org_id, status in rows:
        yield str(member_id), str(org_id), str(status)


def start_run(ws: Workspace, snapshot: int, scope: str | None) -> int:
    """Note a verify run beginning; its id."""
    with ws.lock, ws.transaction() as db:
        cur = db.execute(
            "INSERT INTO verify_runs (started_at, snapshot, scope) VALUES (?, ?, ?)",
            (now_iso(), snapshot, scope),
        )
        return int(cur.lastrowid or 0)


def finish_run(
    ws: Workspace,
    run_id: int,
    findings: Iterable[FindingRow],
    exit_code: int,
    list_calls: int,
    mode: str = "migration",
) -> VerifyRun:
    """Store the run's findings and counts in one transaction; drop old runs' findings."""
    counts = {"missing": 0, "different": 0, "unexpected": 0, "left": 0, "kept": 0}
    rows = []
    for seq, f in enumerate(findings):
        counts[f.category] = counts.get(f.category, 0) + 1
        rows.append(
            (run_id, seq, f.category, f.kind, f.key, f.workos_id, f.field, f.expected, f.found, f.detail)
        )
    finished = now_iso()
    with ws.lock, ws.transaction() as db:
        db.executemany(
            "INSERT INTO verify_findings (run_id, seq, category, kind, key, workos_id, field, expected, "
            "found, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute(
            "UPDATE verify_runs SET finished_at = ?, missing = ?, different = ?, unexpected = ?, "
            "exit_code = ?, list_calls = ?, mode = ?, left_behind = ?, kept = ? WHERE id = ?",
            (
                finished,
                counts["missing"],
                counts["different"],
                counts["unexpected"],
                exit_code,
                list_calls,
                mode,
                counts["left"],
                counts["kept"],
                run_id,
            ),
        )
        db.execute(
            "DELETE FROM verify_findings WHERE run_id IN (SELECT id FROM verify_runs "
            "ORDER BY id DESC LIMIT -1 OFFSET ?)",
            (KEEP_FINDINGS,),
        )
        (snapshot,) = db.execute("SELECT snapshot FROM verify_runs WHERE id = ?", (run_id,)).fetchone()
    return VerifyRun(
        finished,
        int(snapshot),
        counts["missing"],
        counts["different"],
        counts["unexpected"],
        exit_code,
        mode,
        counts["left"],
        counts["kept"],
    )


def last_run(ws: Workspace) -> VerifyRun | None:
    """The latest finished verify run, or None if verify never finished one."""
    with ws.lock:
        row = ws._db.execute(
            "SELECT finished_at, snapshot, missing, different, unexpected, exit_code, mode, left_behind, "
            "kept FROM verify_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    finished, snapshot, missing, different, unexpected, code, mode, left, kept = row
    return VerifyRun(
        str(finished),
        int(snapshot),
        int(missing),
        int(different),
        int(unexpected),
        int(code),
        str(mode),
        int(left),
        int(kept),
    )


def last_findings(ws: Workspace, limit: int = 1000) -> list[dict[str, str | None]]:
    """The latest finished run's findings (the first ``limit``), as plain rows."""
    columns = ("category", "kind", "key", "workos_id", "field", "expected", "found", "detail")
    with ws.lock:
        rows = ws._db.execute(
            f"SELECT {', '.join(columns)} FROM verify_findings WHERE run_id = (SELECT id FROM "
            "verify_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1) ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
    return [dict(zip(columns, row, strict=True)) for row in rows]

"""One verify run over an open workspace: what ``migrate`` runs as its last stage.

The same steps as the ``verify`` command (expected state from the snapshot, config and
ledger; WorkOS's lists; the comparison; every finding to an owner-only CSV; the run's
counts to the workspace for ``status``), callable with a workspace and a target that
are already open.

After a finished rollback the check is another (:mod:`.expected_rollback`, decided from
the two ledgers): nothing the rollback removed may be left, what it kept is listed, what
the migration only reused must still be there. A rollback that stopped part way is not
verified: the one line says to finish it.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.errors import ConfigError, Stytch2WorkOSError
from stytch2workos.private_files import open_private_text
from stytch2workos.progress import Progress
from stytch2workos.readiness_report import cell
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.destination.live import LiveState
    from stytch2workos.expected_rollback import UndoFact
    from stytch2workos.plan_rollback import LedgerFact
    from stytch2workos.verify import Report

CSV_NAME = "verify-findings.csv"
CSV_COLUMNS = ("category", "kind", "key", "workos_id", "field", "expected", "found", "detail")
MAX_WORKERS = 8  # read workers: enough to keep the read budget busy


class RollbackUnfinished(Stytch2WorkOSError):
    """The last rollback stopped part way: there is no end state to verify yet (exit 1)."""


def verify_workspace(
    ws: Workspace,
    cfg: MigrationConfig,
    target: WorkOSTarget,
    scope: frozenset[str] | None,
    bar: Progress,
    csv_out: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    """Compare live WorkOS with what the workspace says it should hold: (exit code, summary)."""
    from stytch2workos.expected_rollback import decide_mode, unfinished_message
    from stytch2workos.workspace import rollback as undo_store
    from stytch2workos.workspace import verify as runs
    from stytch2workos.workspace.snapshot import organization_ids

    snapshot = ws.require_snapshot()
    if scope is not None:
        unknown = scope - set(organization_ids(ws, snapshot))
        if unknown:
            raise ConfigError(f"--org: not in the snapshot: {', '.join(sorted(unknown))}")
    mode = "migration"
    facts: list[LedgerFact] = []
    undo: list[UndoFact] = []
    if undo_store.has_rolled_back(ws):
        facts, undo = undo_store.all_ledger_facts(ws), undo_store.undo_facts(ws)
        decision = decide_mode(facts, undo)
        if decision.mode == "unfinished":
            raise RollbackUnfinished(unfinished_message(decision))
        mode = decision.mode
    if mode == "rollback" and scope is not None:
        raise ConfigError("--org: a rollback is verified whole; run verify without --org")
    out = csv_out or ws.path / CSV_NAME
    run_id = runs.start_run(ws, snapshot, ",".join(sorted(scope)) if scope else None)
    if mode == "rollback":
        report, live = _after_rollback(ws, cfg, target, snapshot, bar, facts, undo)
    else:
        report, live = _migration(ws, cfg, target, scope, bar)
    return _finish(ws, run_id, report, live, mode, out, snapshot, scope)


def _migration(
    ws: Workspace, cfg: MigrationConfig, target: WorkOSTarget, scope: frozenset[str] | None, bar: Progress
) -> tuple[Report, LiveState]:
    """The migration's check: the snapshot, config and ledger against WorkOS."""
    from stytch2workos.destination.live import read_live
    from stytch2workos.expected import load_expected, load_ledger, reads_for
    from stytch2workos.verify import compare

    ledger = load_ledger(ws)
    reads = reads_for(ledger, scope)
    with ThreadPoolExecutor(1, thread_name_prefix="verify-read") as reader:
        # WorkOS is read while the expected state is computed: the read budget, not the
        # two one after the other, sets how long a large project takes.
        reading = reader.submit(
            read_live,
            target,
            reads.membership_orgs,
            reads.org_role_orgs,
            rbac=reads.rbac,
            connections=reads.connections,
            workers=min(MAX_WORKERS, cfg.pacing.concurrency),
            progress=bar,
        )
        expected = load_expected(ws, cfg, scope, ledger)
        live = reading.result()
    return compare(expected, live), live


def _after_rollback(
    ws: Workspace,
    cfg: MigrationConfig,
    target: WorkOSTarget,
    snapshot: int,
    bar: Progress,
    facts: list[LedgerFact],
    undo: list[UndoFact],
) -> tuple[Report, LiveState]:
    """The rollback's check: what the two ledgers say is gone, kept and still there."""
    from stytch2workos.destination.live import read_live
    from stytch2workos.expected_rollback import expect_rollback, reads_for_rollback
    from stytch2workos.transform.records import org_request
    from stytch2workos.verify_rollback import compare_rollback
    from stytch2workos.workspace.verify import member_statuses

    external_ids = {o["organization_id"]: org_request(o, cfg).external_id for o in ws.organizations(snapshot)}
    member_orgs = {member: org for member, org, _ in member_statuses(ws, snapshot)}
    state = expect_rollback(facts, undo, external_ids, member_orgs)
    reads = reads_for_rollback(state)
    live = read_live(
        target,
        reads.membership_orgs,
        reads.org_role_orgs,
        rbac=reads.rbac,
        connections=reads.connections,
        users=reads.users,
        invitations=reads.invitations,
        organizations=reads.organizations,
        workers=min(MAX_WORKERS, cfg.pacing.concurrency),
        progress=bar,
    )
    return compare_rollback(state, live, reads), live


def _finish(
    ws: Workspace,
    run_id: int,
    report: Report,
    live: LiveState,
    mode: str,
    out: Path,
    snapshot: int,
    scope: frozenset[str] | None,
) -> tuple[int, dict[str, Any]]:
    """Every finding to the CSV, the run to the workspace; (exit code, summary)."""
    from stytch2workos.verify import summary
    from stytch2workos.workspace import verify as runs

    with open_private_text(out) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for f in report.findings:
            values = (f.category, f.kind, f.key, f.workos_id or "", f.field, f.expected, f.found, f.detail)
            writer.writerow([cell(v) for v in values])
    run = runs.finish_run(ws, run_id, report.findings, report.exit_code, live.total_calls, mode)
    result = {"mode": mode, **summary(report)}
    result.update(
        snapshot=snapshot,
        scope=sorted(scope) if scope else None,
        csv=str(out),
        list_calls={"made": live.total_calls, "minimum": live.total_minimum, "per_list": dict(live.calls)},
        finished_at=run.finished_at,
    )
    return report.exit_code, result

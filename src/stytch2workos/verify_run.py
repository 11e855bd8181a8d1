"""One verify run over an open workspace: what ``migrate`` runs as its last stage.

The same steps as the ``verify`` command (expected state from the snapshot, config and
ledger; WorkOS's lists; the comparison; every finding to an owner-only CSV; the run's
counts to the workspace for ``status``), callable with a workspace and a target that
are already open.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.errors import ConfigError
from stytch2workos.private_files import open_private_text
from stytch2workos.progress import Progress
from stytch2workos.readiness_report import cell
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget

CSV_NAME = "verify-findings.csv"
CSV_COLUMNS = ("category", "kind", "key", "workos_id", "field", "expected", "found", "detail")
MAX_WORKERS = 8  # read workers: enough to keep the read budget busy


def verify_workspace(
    ws: Workspace,
    cfg: MigrationConfig,
    target: WorkOSTarget,
    scope: frozenset[str] | None,
    bar: Progress,
    csv_out: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    """Compare live WorkOS with what the workspace says it should hold: (exit code, summary)."""
    from stytch2workos.destination.live import read_live
    from stytch2workos.expected import load_expected, load_ledger, reads_for
    from stytch2workos.verify import compare, summary
    from stytch2workos.workspace import verify as runs
    from stytch2workos.workspace.snapshot import organization_ids

    snapshot = ws.require_snapshot()
    if scope is not None:
        unknown = scope - set(organization_ids(ws, snapshot))
        if unknown:
            raise ConfigError(f"--org: not in the snapshot: {', '.join(sorted(unknown))}")
    out = csv_out or ws.path / CSV_NAME
    run_id = runs.start_run(ws, snapshot, ",".join(sorted(scope)) if scope else None)
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
    report = compare(expected, live)
    with open_private_text(out) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for f in report.findings:
            values = (f.category, f.kind, f.key, f.workos_id or "", f.field, f.expected, f.found, f.detail)
            writer.writerow([cell(v) for v in values])
    run = runs.finish_run(ws, run_id, report.findings, report.exit_code, live.total_calls)
    result = summary(report)
    result.update(
        snapshot=snapshot,
        scope=sorted(scope) if scope else None,
        csv=str(out),
        list_calls={"made": live.total_calls, "minimum": live.total_minimum, "per_list": dict(live.calls)},
        finished_at=run.finished_at,
    )
    return report.exit_code, result

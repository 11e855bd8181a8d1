"""The ``verify`` command: does WorkOS hold what the latest snapshot and the config say?

Reads only (list endpoints, paced at WorkOS's read budget); writes nothing to WorkOS.
Exit 0 when nothing is missing or different (unexpected records alone are reported, not
failures), 1 otherwise. Every finding goes to an owner-only CSV, and the run's counts to
the workspace for ``status``.

After a finished rollback it verifies the rollback instead (``mode`` "rollback"): exit 1
when anything the rollback removed is still in WorkOS (``left``) or something the migration
only reused is gone (``missing``); what the rollback kept on purpose is listed (``kept``).
A rollback that stopped part way: one line saying to finish it, exit 1.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    WorkspaceOpt,
    handled,
    open_existing_workspace,
    progress,
    workos_target,
)
from stytch2workos.config import load_config
from stytch2workos.settings import workos_credentials
from stytch2workos.verify_run import CSV_NAME, verify_workspace

commands = typer.Typer()


OrgOpt = Annotated[
    list[str] | None,
    typer.Option("--org", help="Only this Stytch organization id (repeatable): verify a pilot."),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option("--csv", help=f"Where to write every finding (default: <workspace>/{CSV_NAME})."),
]


@commands.command("verify")
@handled
def verify(
    workspace: WorkspaceOpt = None,
    org: OrgOpt = None,
    config: ConfigOpt = None,
    csv_path: CsvOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare live WorkOS with what the latest snapshot and migration.toml say it should hold.

    After a rollback, check instead that nothing it removed is left in WorkOS (what it kept is listed).

    Example: `stytch2workos verify -w ./acme-migration --csv findings.csv`
    """
    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        creds = workos_credentials(os.environ)
        with workos_target(creds, cfg) as target, progress(as_json) as bar:
            code, result = verify_workspace(ws, cfg, target, frozenset(org) if org else None, bar, csv_path)
    if as_json:
        console.print_json(result)
    else:
        _print(result)
    if code:
        raise typer.Exit(code)


def _print(result: dict[str, object]) -> None:
    totals = result["totals"]
    by_kind = result["by_kind"]
    checked = result["checked"]
    assert isinstance(totals, dict) and isinstance(by_kind, dict) and isinstance(checked, dict)
    rollback = result["mode"] == "rollback"
    categories = list(totals)
    title = "Verify: WorkOS after the rollback" if rollback else "Verify: WorkOS against the latest snapshot"
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("")
    for name in ("checked", *categories):
        table.add_column(name, justify="right")
    for kind in sorted(checked.keys() | by_kind.keys()):
        row = by_kind.get(kind, {})
        table.add_row(
            escape(kind),
            f"{checked.get(kind, 0):,}",
            *(f"{row.get(c, 0):,}" for c in categories),
        )
    console.out.print(table)
    examples = result["examples"]
    assert isinstance(examples, dict)
    for category in categories:
        for f in examples[category][:5]:
            what = f"{f['kind']} {f['key']}"
            if f["field"]:
                what += f": {f['field']} expected {f['expected']}, found {f['found']}"
            elif f["detail"]:
                what += f": {f['detail']}"
            console.out.print(f"  {category:<10} " + escape(what))
    passwords = result["passwords_expected"]
    if passwords:
        console.out.print(
            escape(
                f"{passwords:,} user(s) should have a password from this migration (per the ledger; "
                "WorkOS never shows password hashes, so this is not checked)"
            )
        )
    line = ", ".join(f"{totals[c]:,} {c}" for c in categories)
    if rollback:
        ok = (
            "[green]Nothing the rollback removed is left.[/green]"
            if result["ok"]
            else "[red]The rollback is not clean.[/red]"
        )
    else:
        ok = "[green]WorkOS matches.[/green]" if result["ok"] else "[red]WorkOS differs.[/red]"
    console.out.print(f"{ok} {escape(line)}; every finding: {escape(str(result['csv']))}")

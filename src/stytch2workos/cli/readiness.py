"""``readiness``: what the team must do before cutover, from the workspace alone."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import ConfigOpt, JsonOpt, WorkspaceOpt, handled, open_workspace_for_reading
from stytch2workos.config import load_config
from stytch2workos.readiness_report import write_readiness

commands = typer.Typer()

_COLOUR = {"no_equivalent": "red", "configure": "yellow", "unknown": "magenta", "carried": "green"}


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, show_lines=False)
    for column in columns:
        table.add_column(column, justify="right" if column in ("members", "people", "orgs") else "left")
    return table


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _print(report: dict[str, Any]) -> None:
    # Every cell is data (organization names, domains, methods): plain text, never markup.
    policies = _table("Organization policies", "setting", "Stytch", "orgs", "WorkOS", "what to do", "e.g.")
    for g in report["organization_settings"]:
        colour = _COLOUR.get(g["status"], "dim")
        policies.add_row(
            escape(g["setting"]),
            escape(g["stytch"]),
            f"{g['organizations']:,}",
            f"[{colour}]{escape(g['status'].replace('_', ' '))}[/{colour}]: {escape(g['workos'])}",
            escape(g["action"]),
            escape(", ".join(g["examples"])),
        )
    console.out.print(policies)
    methods = _table("Sign-in methods", "method", "members", "people", "WorkOS", "what to do")
    for row in report["sign_in_methods"]:
        methods.add_row(
            escape(row["method"]),
            _count(row["members"]),
            _count(row["people"]),
            escape(row["workos"]),
            escape(row["what_to_do"]),
        )
    console.out.print(methods)
    if report["people_actions"]:
        console.out.print(
            console.counts_table("People to tell", report["people_actions"], "action", "people")
        )
    left = report["metadata_not_carried"]
    if left["keys"]:
        console.out.print(console.counts_table("Metadata not carried", left["by_reason"], "reason", "keys"))
    if not report["passwords_loaded"]:
        console.warn(
            "no password hashes loaded: everyone with a password is on the reset list until "
            "`stytch2workos passwords load` runs"
        )
    for name, path in report["files"].items():
        console.out.print(f"Wrote {escape(name)}: {escape(path)}")


@commands.command()
@handled
def readiness(workspace: WorkspaceOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """What to do before cutover: organization policies, sign-in methods, the people to tell (no network).

    Example: `stytch2workos readiness -w ./acme-migration --json`
    """
    with open_workspace_for_reading(workspace) as ws:
        report = write_readiness(ws, load_config(ws.path, config))
    if as_json:
        console.print_json(report)
    else:
        _print(report)

"""``init``, ``plan``, ``import`` and ``mapping``: from the snapshot into WorkOS."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    AcceptOpt,
    ConfigOpt,
    JsonOpt,
    OrgOpt,
    WorkspaceOpt,
    YesOpt,
    confirm_writes,
    handled,
    open_existing_workspace,
    open_workspace_for_reading,
    progress,
    workos_target,
)
from stytch2workos.config import MigrationConfig, load_config
from stytch2workos.config_proposal import write_proposed_config
from stytch2workos.errors import ConfigError
from stytch2workos.plan import Plan
from stytch2workos.plan_connections import ConnectionPlan
from stytch2workos.plan_workspace import make_plan
from stytch2workos.private_files import open_private_text
from stytch2workos.progress import Progress
from stytch2workos.settings import workos_credentials
from stytch2workos.transform.connections import REASONS
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.ledger import ID_MAP_COLUMNS, id_map

commands = typer.Typer()


@commands.command()
@handled
def init(
    workspace: WorkspaceOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing migration.toml.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write migration.toml, proposing a WorkOS slug for every Stytch role in the snapshot.

    Example: `stytch2workos init -w ./acme-migration`
    """
    with open_existing_workspace(workspace) as ws:
        path = write_proposed_config(ws, force)
    if as_json:
        console.print_json({"config": str(path), "next": "review it, then run `stytch2workos plan`"})
        return
    console.out.print(
        f"Wrote {escape(str(path))}: review \\[roles.map] and \\[permissions.map] before `stytch2workos plan`."
    )


def _make_plan(
    ws: Workspace, config_path: Path | None, orgs: list[str] | None, bar: Progress
) -> tuple[Plan, MigrationConfig]:
    config = load_config(ws.path, config_path)
    creds = workos_credentials(os.environ)
    with workos_target(creds, config) as target:
        return make_plan(ws, config, target, orgs, bar), config


def _print_connections(sso: ConnectionPlan) -> None:
    if not sso.total:
        return
    colour = {"unknown": "yellow", "unavailable": "red", "available": "dim"}[sso.api]
    console.out.print(f"[{colour}]SSO connections:[/{colour}] " + escape(sso.api_message))
    for title, counts in (("handed off to the customer's admin", sso.handoff), ("not migrated", sso.skip)):
        for reason, n in sorted(counts.items()):
            console.out.print(escape(f"  {n:,} {title}: {reason} — {REASONS.get(reason, reason)}"))
    for note in sso.to_json()["notes"]:
        examples = f"; e.g. {', '.join(note['examples'][:3])}" if note["examples"] else ""
        console.out.print(
            "[dim]info[/dim] " + escape(f"{note['code']}: {note['message']} — {note['count']:,}{examples}")
        )


def _print_plan(plan: Plan, accepted: list[str]) -> None:
    table = Table(title="Plan", title_justify="left", show_edge=False)
    table.add_column("")
    table.add_column("create", justify="right")
    table.add_column("reuse", justify="right")
    table.add_row("organizations", f"{plan.organizations['create']:,}", f"{plan.organizations['reuse']:,}")
    table.add_row("users", f"{plan.users['create']:,}", f"{plan.users['reuse']:,}")
    roles = plan.roles
    for label, counts in (
        ("permissions", roles.permissions),
        ("roles", roles.roles),
        ("organization roles", roles.org_roles),
    ):
        if counts:
            existing = sum(n for action, n in counts.items() if action != "create")
            table.add_row(label, f"{counts['create']:,}", f"{existing:,}")
    table.add_row("memberships", f"{plan.memberships:,}", "")
    table.add_row("invitations", f"{plan.invitations:,}", "")
    if plan.connections.total:
        table.add_row("SSO connections", f"{plan.connections.create:,}", f"{plan.connections.reuse:,}")
    console.out.print(table)
    _print_connections(plan.connections)
    if plan.skipped:
        console.out.print(console.counts_table("Skipped members", dict(plan.skipped), "reason"))
    for problem in plan.problems:
        colour = {"blocking": "red", "warning": "yellow", "info": "dim"}[problem.severity]
        flag = " (accepted)" if problem.code in accepted else ""
        examples = f"; e.g. {', '.join(problem.examples)}" if problem.examples else ""
        # Examples are emails, role ids and organization names: text from the data, not markup.
        console.out.print(
            f"[{colour}]{problem.severity}{flag}[/{colour}] "
            + escape(f"{problem.code}: {problem.message} — {problem.count:,}{examples}")
        )


@commands.command()
@handled
def plan(
    workspace: WorkspaceOpt = None,
    org: OrgOpt = None,
    accept: AcceptOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show what import would create, reuse and skip, and every problem found (no writes).

    Example: `stytch2workos plan -w ./acme-migration --org organization-live-1234`
    """
    with open_workspace_for_reading(workspace) as ws, progress(as_json) as bar:
        result, _ = _make_plan(ws, config, org, bar)
    if as_json:
        console.print_json(result.to_json())
    else:
        _print_plan(result, accept or [])
    if result.blocking(accept or []):
        raise typer.Exit(1)


@commands.command("import")
@handled
def import_(
    workspace: WorkspaceOpt = None,
    org: OrgOpt = None,
    accept: AcceptOpt = None,
    config: ConfigOpt = None,
    yes: YesOpt = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry records that failed before.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create organizations, users, memberships and invitations in WorkOS. Safe to rerun.

    Example: `stytch2workos import -w ./acme-migration --yes --json`
    """
    with open_existing_workspace(workspace) as ws:
        with progress(as_json) as bar:
            the_plan, cfg = _make_plan(ws, config, org, bar)
        blocking = the_plan.blocking(accept or [])
        if blocking:
            if not as_json:
                _print_plan(the_plan, accept or [])
            codes = ", ".join(p.code for p in blocking)
            raise ConfigError(f"the plan has blocking problems ({codes}); fix them or pass --accept CODE")
        creds = workos_credentials(os.environ)
        if not yes:
            if not as_json:
                _print_plan(the_plan, accept or [])
            confirm_writes(
                creds,
                "Write these changes to WorkOS?",
                escape(
                    f"WorkOS will email {the_plan.invitation_emails:,} invitation(s) to invited and "
                    "pending members ([statuses] in migration.toml)."
                ),
                "Tip: pause WorkOS webhook endpoints during a bulk import to avoid an event flood.",
            )
        from stytch2workos.destination.importer import ImportOptions, run_import
        from stytch2workos.destination.passwords_source import password_lookup

        options = ImportOptions(frozenset(org) if org else None, retry_failed)
        with workos_target(creds, cfg) as target, progress(as_json) as bar:
            result = run_import(ws, target, cfg, options, bar, password_lookup(ws))
    summary = {
        "ledger": result.counts,
        "run": result.run,
        "failures": result.failures[:50],
        "retries": result.retries,
        "narrowed": {"count": result.narrowed, "members": result.narrowed_members},
        "connections_api": result.connections_api,
    }
    if as_json:
        console.print_json(summary)
    else:
        _print_ledger(result.counts)
        console.out.print(_run_line(result.run))
        if result.narrowed:
            console.warn(
                f"{result.narrowed:,} member(s) got one role instead of several: this WorkOS environment "
                "takes one role per membership (Multiple Roles is off in the dashboard). The first by "
                "[roles.map] order was kept:"
            )
            for row in result.narrowed_members[:20]:
                console.warn(f"  {row['source_id']}: {row['detail']}")
        _print_handoff_hint(result.counts, result.connections_api)
        for failure in result.failures[:20]:
            console.warn(f"{failure['kind']} {failure['source_id']}: {failure['detail']}")
        if len(result.failures) > 20:
            console.warn(f"… and {len(result.failures) - 20} more (stytch2workos import --json for all)")
    if result.failures:
        raise typer.Exit(1)


def _print_handoff_hint(counts: dict[str, dict[str, int]], api: str | None) -> None:
    if api == "unavailable":
        console.warn(
            "WorkOS answered 404 to POST /connections: the Create Connection API is not enabled for this "
            "environment, so every SSO connection went to the Admin Portal handoff. Ask WorkOS support to "
            "enable it and run import again, or hand the packets to your customers as they are."
        )
    if any(counts.get(kind) for kind in ("connection", "directory")):
        console.out.print(
            "SSO and directories: `stytch2workos packets` writes what each customer's IT admin changes; "
            "`stytch2workos handoff` shows where each stands."
        )


def _run_line(run: dict[str, dict[str, int]]) -> str:
    totals: dict[str, int] = {}
    for row in run.values():
        for outcome, n in row.items():
            totals[outcome] = totals.get(outcome, 0) + n
    order = ["created", "recovered", "reused", "failed", "skipped", "handoff", "unchanged"]
    parts = [f"{totals[o]:,} {o}" for o in order if totals.get(o)]
    return "This run: " + (", ".join(parts) if parts else "nothing to do")


def _print_ledger(counts: dict[str, dict[str, int]]) -> None:
    table = Table(title="Import ledger", title_justify="left", show_edge=False)
    statuses = ["created", "recovered", "reused", "skipped", "handoff", "failed"]
    table.add_column("")
    for status in statuses:
        table.add_column(status, justify="right")
    for kind, row in counts.items():
        table.add_row(kind, *(f"{row.get(s, 0):,}" for s in statuses))
    console.out.print(table)


@commands.command()
@handled
def mapping(
    workspace: WorkspaceOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path("id-map.csv"),
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    as_json: JsonOpt = False,
) -> None:
    """Write the id map (Stytch ids → WorkOS ids) for applications to backfill their databases.

    Example: `stytch2workos mapping -w ./acme-migration -o id-map.csv`
    """
    if fmt not in ("csv", "json"):
        raise ConfigError("--format must be csv or json")
    with open_workspace_for_reading(workspace) as ws:
        rows = id_map(ws, ws.require_snapshot())
    with open_private_text(output) as out:
        if fmt == "json":
            json.dump(rows, out, indent=2)
        else:
            writer = csv.DictWriter(out, fieldnames=list(ID_MAP_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
    if as_json:
        console.print_json({"file": str(output), "format": fmt, "rows": len(rows)})
        return
    console.out.print(f"Wrote {len(rows):,} rows to {escape(str(output))}")

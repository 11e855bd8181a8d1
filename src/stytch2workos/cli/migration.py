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
    ConfigOpt,
    JsonOpt,
    WorkspaceOpt,
    YesOpt,
    confirm_writes,
    handled,
    open_workspace,
    progress,
    workos_target,
)
from stytch2workos.config import CONFIG_NAME, MigrationConfig, load_config, render_config
from stytch2workos.errors import ConfigError
from stytch2workos.plan import Plan, build_plan, iter_people, scoped_organizations
from stytch2workos.private_files import open_private_text
from stytch2workos.progress import Progress
from stytch2workos.settings import workos_credentials
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.ledger import ID_MAP_COLUMNS, id_map
from stytch2workos.workspace.snapshot import members_by_email, role_counts

commands = typer.Typer()

OrgOpt = Annotated[
    list[str] | None, typer.Option("--org", help="Only this Stytch organization id (repeatable): a pilot.")
]
AcceptOpt = Annotated[
    list[str] | None,
    typer.Option("--accept", help="Proceed despite a blocking problem with this code (repeatable)."),
]


@commands.command()
@handled
def init(
    workspace: WorkspaceOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing migration.toml.")] = False,
) -> None:
    """Write migration.toml, proposing a WorkOS slug for every Stytch role in the snapshot."""
    with open_workspace(workspace) as ws:
        snapshot = ws.require_snapshot()
        path = ws.path / CONFIG_NAME
        if path.exists() and not force:
            raise ConfigError(f"{path} exists; edit it, or pass --force to overwrite it")
        counts = role_counts(ws, snapshot)
        policy = ws.rbac_policy(snapshot) or {}
        descriptions = {str(r.get("role_id")): str(r.get("description", "")) for r in policy.get("roles", [])}
        for role in descriptions:
            counts.setdefault(role, 0)
        for org in ws.organizations(snapshot):
            for role in org.get("custom_roles") or []:
                counts.setdefault(str(role.get("role_id")), 0)
        with open_private_text(path) as out:
            out.write(render_config(counts, descriptions))
    console.out.print(f"Wrote {escape(str(path))}: review \\[roles.map] before `stytch2workos plan`.")


def _make_plan(
    ws: Workspace, config_path: Path | None, orgs: list[str] | None, bar: Progress
) -> tuple[Plan, MigrationConfig]:
    from stytch2workos.destination.inventory import read_target

    config = load_config(ws.path, config_path)
    snapshot = ws.require_snapshot()
    scope = frozenset(orgs) if orgs else None
    every_org = scoped_organizations(ws.organizations(snapshot), None)
    org_rows = [o for o in every_org if scope is None or o["organization_id"] in scope]
    if scope is not None:
        unknown = scope - {o["organization_id"] for o in org_rows}
        if unknown:
            raise ConfigError(f"--org: not in the snapshot: {', '.join(sorted(unknown))}")
    creds = workos_credentials(os.environ)
    with workos_target(creds, config) as target:
        state = read_target(target, bar)
    people = iter_people(members_by_email(ws, snapshot), config, scope)
    plan = build_plan(org_rows, people, config, state, every_org)
    with open_private_text(ws.path / "plan.json") as out:
        json.dump(plan.to_json(), out, indent=2, ensure_ascii=False)
    return plan, config


def _print_plan(plan: Plan, accepted: list[str]) -> None:
    table = Table(title="Plan", title_justify="left", show_edge=False)
    table.add_column("")
    table.add_column("create", justify="right")
    table.add_column("reuse", justify="right")
    table.add_row("organizations", f"{plan.organizations['create']:,}", f"{plan.organizations['reuse']:,}")
    table.add_row("users", f"{plan.users['create']:,}", f"{plan.users['reuse']:,}")
    table.add_row("memberships", f"{plan.memberships:,}", "")
    table.add_row("invitations", f"{plan.invitations:,}", "")
    console.out.print(table)
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
    """Show what import would create, reuse and skip, and every problem found (no writes)."""
    with open_workspace(workspace) as ws, progress(as_json) as bar:
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
    """Create organizations, users, memberships and invitations in WorkOS. Safe to rerun."""
    with open_workspace(workspace) as ws:
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
    }
    if as_json:
        console.print_json(summary)
    else:
        _print_ledger(result.counts)
        console.out.print(_run_line(result.run))
        for failure in result.failures[:20]:
            console.warn(f"{failure['kind']} {failure['source_id']}: {failure['detail']}")
        if len(result.failures) > 20:
            console.warn(f"… and {len(result.failures) - 20} more (stytch2workos import --json for all)")
    if result.failures:
        raise typer.Exit(1)


def _run_line(run: dict[str, dict[str, int]]) -> str:
    totals: dict[str, int] = {}
    for row in run.values():
        for outcome, n in row.items():
            totals[outcome] = totals.get(outcome, 0) + n
    order = ["created", "reused", "failed", "skipped", "unchanged"]
    parts = [f"{totals[o]:,} {o}" for o in order if totals.get(o)]
    return "This run: " + (", ".join(parts) if parts else "nothing to do")


def _print_ledger(counts: dict[str, dict[str, int]]) -> None:
    table = Table(title="Import ledger", title_justify="left", show_edge=False)
    statuses = ["created", "reused", "skipped", "failed"]
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
) -> None:
    """Write the id map (Stytch ids → WorkOS ids) for applications to backfill their databases."""
    if fmt not in ("csv", "json"):
        raise ConfigError("--format must be csv or json")
    with open_workspace(workspace) as ws:
        rows = id_map(ws, ws.require_snapshot())
    with open_private_text(output) as out:
        if fmt == "json":
            json.dump(rows, out, indent=2)
        else:
            writer = csv.DictWriter(out, fieldnames=list(ID_MAP_COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
    console.out.print(f"Wrote {len(rows):,} rows to {escape(str(output))}")

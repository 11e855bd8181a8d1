"""``stytch2workos export``: snapshot a Stytch project into the workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    ReadsPerSecondOpt,
    SearchesPerMinuteOpt,
    StytchAttemptsOpt,
    StytchTimeoutOpt,
    WorkspaceOpt,
    handled,
    open_workspace,
    progress,
)
from stytch2workos.config import load_pacing
from stytch2workos.errors import ConfigError
from stytch2workos.source.jsonfile import write_export
from stytch2workos.source.take import take_snapshot
from stytch2workos.stytch_pace import PaceSettings, check_flags, resolve_pace

commands = typer.Typer()


@commands.command()
@handled
def export(
    workspace: WorkspaceOpt = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Take a fresh snapshot and record what changed since the last.")
    ] = False,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Drop an unfinished snapshot (never a complete one) and take a new one from the start.",
        ),
    ] = False,
    from_json: Annotated[
        Path | None,
        typer.Option(
            "--from-json", help='Load a {"organizations", "members"} file instead of calling Stytch.'
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json-out", help='Also write the snapshot as {"organizations", "members"} JSON.'),
    ] = None,
    searches_per_minute: SearchesPerMinuteOpt = None,
    reads_per_second: ReadsPerSecondOpt = None,
    timeout: StytchTimeoutOpt = None,
    max_attempts: StytchAttemptsOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export organizations, members (every status), SSO/SCIM connections and RBAC roles.

    Credentials come from STYTCH_PROJECT_ID and STYTCH_SECRET (STYTCH_BASE_URL
    overrides the API address). An interrupted export resumes where it stopped; an
    interrupted --from-json load resumes only with the same file. Malformed records are
    refused (listed in the summary) and the rest is exported. Stytch's pace comes from the
    flags, else from \\[pacing] stytch_* in the workspace's migration.toml, else the defaults.

    Example: `stytch2workos export -w ./acme-migration`
    """
    flags = PaceSettings(searches_per_minute, reads_per_second, timeout, max_attempts)
    check_flags(flags)
    with open_workspace(workspace) as ws:
        pace, sources = resolve_pace(flags, _configured_pace(ws.path, config))
        with progress(as_json) as bar:
            summary = take_snapshot(
                ws, os.environ, pace, bar, refresh=refresh, restart=restart, from_json=from_json
            )
        summary["pace"] = pace.to_json(sources)
        if json_out is not None:
            orgs, members = write_export(ws, summary["snapshot"]["id"], json_out)
            summary["json_out"] = {"path": str(json_out), "organizations": orgs, "members": members}
    if as_json:
        console.print_json(summary)
    else:
        _print_summary(summary)


def _configured_pace(workspace: Path, config: Path | None) -> PaceSettings:
    """The Stytch pace migration.toml sets, as export reads it: only its [pacing] table."""
    if config is not None:
        return load_pacing(workspace, config).stytch  # a file named on purpose: its problems stop the run
    try:
        return load_pacing(workspace).stytch
    except ConfigError as exc:
        # Export runs before init and needs nothing else from the file, and the defaults keep
        # within Stytch's documented limits: a file being edited must not block a snapshot.
        # The problem is still said once: plan and import will refuse the same file.
        console.warn(f"{exc}; exporting at the default pace (or the flags')")
        return PaceSettings()


def _print_summary(summary: dict[str, Any]) -> None:
    if summary["already_complete"]:
        console.err.print(
            "[dim]The workspace already holds a complete snapshot; use --refresh for a new one.[/dim]"
        )
    console.out.print(
        f"[bold]Snapshot {summary['snapshot']['id']}[/bold]: {summary['organizations']:,} organizations, "
        f"{summary['members']:,} members ({summary['people']:,} distinct people)"
    )
    console.out.print(console.counts_table("Members by status", summary["members_by_status"], "status"))
    console.out.print(console.counts_table("Members by role", summary["members_by_role"], "role"))
    console.out.print(
        console.counts_table("Members by auth method", summary["members_by_auth_method"], "method")
    )
    if summary["connections"]:
        console.out.print(console.counts_table("Connections", summary["connections"], "kind"))
    orgs = summary["members_by_organization"]
    table = Table(title="Largest organizations", title_justify="left", show_edge=False)
    table.add_column("organization")
    table.add_column("members", justify="right")
    for org in orgs[:10]:
        table.add_row(escape(org["name"]), f"{org['members']:,}")
    console.out.print(table)
    if summary["changes_since_previous"]:
        console.out.print(
            console.counts_table("Changes since previous snapshot", summary["changes_since_previous"])
        )
    if "json_out" in summary:
        console.out.print(f"Wrote {escape(summary['json_out']['path'])}")
    _warn_findings(summary)


def _warn_findings(summary: dict[str, Any], shown: int = 10) -> None:
    """Refused and adjusted records, on stderr: they need a look before import."""
    for key, what in (
        ("refused_records", "refused (not in the snapshot; they will not be migrated)"),
        ("adjusted_records", "adjusted (a field WorkOS would refuse is left out or replaced)"),
    ):
        found = summary[key]
        if not found["count"]:
            continue
        codes = ", ".join(f"{code} {n:,}" for code, n in found["by_code"].items())
        console.warn(f"{found['count']:,} record(s) {what}: {codes}")
        for example in found["examples"][:shown]:
            where = f" at character {example['position']}" if example["position"] is not None else ""
            name = example["id"] or "(no id)"
            console.warn(f"  {example['entity']} {name}{where}: {example['reason']}")
        if found["count"] > shown:
            console.warn(
                f"  … and {found['count'] - shown:,} more (stytch2workos export --json lists {len(found['examples'])})"
            )

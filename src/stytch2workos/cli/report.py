"""``report --html FILE``: one self-contained page to share: status, charts, tables, packet links.

Reads the workspace without a lock and writes only FILE (owner-only); ``--live`` also
asks WorkOS for the handoff as it is now, as ``status --live`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    LiveOpt,
    WorkspaceOpt,
    gather_status,
    handled,
    open_workspace_for_reading,
)
from stytch2workos.config import load_config
from stytch2workos.errors import ConfigError, OutputError

commands = typer.Typer()


@commands.command()
@handled
def report(
    html: Annotated[
        Path,
        typer.Option(
            "--html", help="The HTML file to write (opens offline; owner-only).", show_default=False
        ),
    ],
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    live: LiveOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write one HTML page of where the migration stands, with charts and sortable tables.

    Example: stytch2workos report --html migration-report.html
    """
    from stytch2workos.report_details import gather_details
    from stytch2workos.report_html import write_report
    from stytch2workos.status import STAGES

    # Said before the workspace is read, not after: the page is written last.
    if html.is_dir():
        raise ConfigError(f"--html {html} is a directory: name the file to write")
    if not html.absolute().parent.is_dir():
        raise OutputError(f"cannot write {html}: the directory {html.absolute().parent} does not exist")
    with open_workspace_for_reading(workspace) as ws:
        result = gather_status(ws, load_config(ws.path, config), live)
        snapshot = result.snapshot["id"] if result.snapshot else None
        details = gather_details(ws, snapshot, STAGES)
    write_report(html, result, details)
    if as_json:
        console.print_json({"written": str(html), "status": result.to_json()})
    else:
        console.out.print(f"Wrote {escape(str(html))}")

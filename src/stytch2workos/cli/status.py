"""``status``: where the migration stands, on one screen, from the workspace alone.

Reads the workspace without a lock (``import`` may be running beside it) and writes
nothing; ``--live`` also asks WorkOS, paced like every other read.
"""

from __future__ import annotations

import typer

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

commands = typer.Typer()


@commands.command()
@handled
def status(
    workspace: WorkspaceOpt = None, config: ConfigOpt = None, live: LiveOpt = False, as_json: JsonOpt = False
) -> None:
    """Where the migration stands: snapshot, problems, each stage, passwords, handoff, sync, verify.

    Example: stytch2workos status -w ./acme-migration --json
    """
    from stytch2workos.status_view import render

    with open_workspace_for_reading(workspace) as ws:
        result = gather_status(ws, load_config(ws.path, config), live)
    if as_json:
        console.print_json(result.to_json())
    else:
        render(console.out, result)

"""``status``: where the migration stands, on one screen, from the workspace alone.

Reads the workspace without a lock (``import`` may be running beside it) and writes
nothing; ``--live`` also asks WorkOS, paced like every other read.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

import typer

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    WorkspaceOpt,
    handled,
    open_workspace_for_reading,
    workos_target,
)
from stytch2workos.config import load_config

commands = typer.Typer()

LiveOpt = Annotated[
    bool,
    typer.Option(
        "--live", help="Also ask WorkOS: organization and user counts, and the handoff as it is now."
    ),
]


@commands.command()
@handled
def status(
    workspace: WorkspaceOpt = None, config: ConfigOpt = None, live: LiveOpt = False, as_json: JsonOpt = False
) -> None:
    """Where the migration stands: snapshot, problems, each stage, passwords, handoff, sync, verify.

    Example: stytch2workos status -w ./acme-migration --json
    """
    from stytch2workos.status import gather
    from stytch2workos.status_view import render

    with open_workspace_for_reading(workspace) as ws:
        cfg = load_config(ws.path, config)
        if live:
            from stytch2workos.settings import workos_credentials

            with workos_target(workos_credentials(os.environ), cfg) as target:
                result = gather(ws, cfg, datetime.now(UTC), target)
        else:
            result = gather(ws, cfg, datetime.now(UTC))
    if as_json:
        console.print_json(result.to_json())
    else:
        render(console.out, result)

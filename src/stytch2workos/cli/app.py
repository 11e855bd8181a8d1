"""The command line: one Typer app composed from the command modules.

Each command module owns its commands and imports only ``cli.common``; this
module is the one place that knows them all, so nothing imports in a circle.

Signals: from the program's first moment (``python -m stytch2workos``, or the
console script importing this module) SIGINT, SIGTERM and SIGHUP end it with one
line; while a command runs, ``cli.common.handled`` turns them into a graceful stop.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

from stytch2workos import stopping

# The console script imports this module before it calls main(), and loading the CLI
# takes a while: as that program (not a test importing the app), take the signals now.
if sys.argv and Path(sys.argv[0]).name == "stytch2workos":
    stopping.exit_at_once_on_signals()

import typer

from stytch2workos.cli import (
    emulate,
    export,
    handoff,
    migrate,
    migration,
    passwords,
    readiness,
    report,
    rollback,
    status,
    sync,
    verify,
)
from stytch2workos.cli.help import hide_flag_types

app = typer.Typer(
    name="stytch2workos",
    help="Move a Stytch B2B project to WorkOS: export, plan, import, passwords; emulators for rehearsals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"stytch2workos {metadata.version('stytch2workos')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Move a Stytch B2B project to WorkOS: export, plan, import, passwords; emulators for rehearsals."""


app.add_typer(migrate.commands)
app.add_typer(status.commands)
app.add_typer(export.commands)
app.add_typer(migration.commands)
app.add_typer(readiness.commands)
app.add_typer(handoff.commands)
app.add_typer(verify.commands)
app.add_typer(sync.commands)
app.add_typer(rollback.commands)
app.add_typer(report.commands)
app.add_typer(passwords.passwords_app, name="passwords")
app.add_typer(emulate.commands)


def command() -> Any:
    """The command line as Click runs it, with help texts tidied (see cli.help)."""
    built = typer.main.get_command(app)
    hide_flag_types(built)
    return built


def main() -> None:
    """Console-script entry point."""
    stopping.exit_at_once_on_signals()
    command()(prog_name="stytch2workos")

"""The command line: one Typer app composed from the command modules.

Each command module owns its commands and imports only ``cli.common``; this
module is the one place that knows them all, so nothing imports in a circle.
"""

from __future__ import annotations

import typer

from stytch2workos.cli import emulate, export, migration, passwords

app = typer.Typer(
    name="stytch2workos",
    help="Move a Stytch B2B project to WorkOS: export, plan, import, passwords; emulators for rehearsals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(export.commands)
app.add_typer(migration.commands)
app.add_typer(passwords.passwords_app, name="passwords")
app.add_typer(emulate.commands)


def main() -> None:
    """Console-script entry point."""
    app()

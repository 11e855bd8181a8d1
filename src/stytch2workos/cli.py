"""Command line: flags → settings → library call; progress, tables and exit codes.

Exit codes: 0 done; 1 done, but some records failed or need attention;
2 bad usage, configuration, input file or workspace; 3 an API refused us
(credentials, a fatal error, or retries ran out); 130 interrupted (rerun to resume).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from . import console
from .errors import Stytch2WorkOSError, clip
from .settings import secret_values, workspace_dir
from .workspace import Workspace

app = typer.Typer(
    name="stytch2workos",
    help="Move a Stytch B2B project to WorkOS: export, plan, import, passwords; emulators for rehearsals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace directory (one per migration). Default: $STYTCH2WORKOS_WORKSPACE or ./stytch2workos-workspace.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]

P = ParamSpec("P")
R = TypeVar("R")


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the tool's errors into one clear line and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        os.umask(0o077)  # everything the tool writes is owner-only
        console.keep_secret(secret_values(os.environ))
        try:
            return fn(*args, **kwargs)
        except Stytch2WorkOSError as exc:
            console.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.error("interrupted; everything saved so far is kept, run the same command to resume")
            raise typer.Exit(130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("STYTCH2WORKOS_DEBUG"):
                raise
            console.error(
                f"unexpected {type(exc).__name__}: {clip(str(exc))}. Nothing saved is lost; rerun to "
                "resume (set STYTCH2WORKOS_DEBUG=1 for details)"
            )
            raise typer.Exit(1) from None

    return wrapper


def open_workspace(flag: str | None) -> Workspace:
    return Workspace(workspace_dir(flag, os.environ, Path.cwd()))


def progress(json_mode: bool) -> console.RichProgress:
    return console.RichProgress(enabled=not json_mode and sys.stderr.isatty())


# Commands live in their own modules and register on `app`.
from . import cli_emulate, cli_export, cli_import, cli_passwords  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()

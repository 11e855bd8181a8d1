"""What every command shares: common options, error handling, confirmation, progress.

Exit codes: 0 done; 1 done, but some records failed or need attention, or a plan
with blocking problems; 2 bad usage, configuration, input file, output path or
workspace; 3 an API refused us (credentials, a fatal error, or retries ran out);
130 interrupted (rerun to resume).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.markup import escape

from stytch2workos import console
from stytch2workos.config import MigrationConfig
from stytch2workos.errors import Stytch2WorkOSError, clip
from stytch2workos.pacing import RetryPolicy
from stytch2workos.settings import WorkOSCredentials, secret_values, workspace_dir
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget


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
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="migration.toml to use (default: the workspace's).")
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")]

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


def confirm_writes(creds: WorkOSCredentials, question: str, *notes: str) -> None:
    """Name the WorkOS environment about to be written to and ask; anything but yes exits 1."""
    console.err.print(f"Target: [bold]{escape(creds.environment_label)}[/bold]")
    for note in notes:
        console.err.print(note)
    try:
        confirmed = bool(typer.confirm(question, default=False, err=True))
    except (typer.Abort, EOFError):
        confirmed = False  # no answer (closed stdin, Ctrl-D) is not a yes
    if not confirmed:
        console.err.print("Nothing was written.")
        raise typer.Exit(1)


def workos_target(creds: WorkOSCredentials, config: MigrationConfig) -> WorkOSTarget:
    """The WorkOS target under the config's pacing and attempt limit."""
    # The WorkOS SDK takes a second to import: only the commands that talk to WorkOS pay for it.
    from stytch2workos.destination.client import WorkOSTarget

    return WorkOSTarget(creds, config.pacing, policy=RetryPolicy(max_attempts=config.pacing.max_attempts))

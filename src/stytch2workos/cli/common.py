"""What every command shares: common options, error handling, confirmation, progress.

Exit codes (the README's table says the same; ``errors.py`` draws the exceptions behind them):

    0    done
    1    done, but some records failed or need attention — or a plan with blocking problems
    2    bad usage, configuration, input file, output path, or workspace (none there, in use,
         another project's, a schema this version cannot use)
    3    an API refused the tool (credentials, a fatal error), or retries ran out
    4    the machine failed: disk full or over quota, an I/O error, a read-only file system,
         out of memory. Nothing saved is lost: fix it and run the same command again
    5    internal error, a defect in the tool: a crash report is written (the message names it)
    130  interrupted (Ctrl-C, SIGINT)   ┐ everything saved so far is kept:
    143  stopped by SIGTERM             │ run the same command to resume
    129  stopped by SIGHUP              ┘

Workspaces: only ``export`` creates one (:func:`open_workspace`). A command that writes
to the workspace opens it with :func:`open_existing_workspace` (exclusive: one writer at
a time); a command that only reads it uses :func:`open_workspace_for_reading`, which
takes no lock and so runs while ``import`` holds the workspace.

``STYTCH2WORKOS_DEBUG=1`` lets an internal error end in its traceback (for developing
the tool; it may show data) instead of a crash report.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import click
import typer
from rich.markup import escape

from stytch2workos import console, crash, stopping
from stytch2workos.causes import EnvironmentCause, os_cause
from stytch2workos.config import MigrationConfig
from stytch2workos.errors import (
    ConfigError,
    EnvironmentFailure,
    InputError,
    InternalError,
    RetriesExhausted,
    ServiceError,
    Stopped,
    Stytch2WorkOSError,
    clip,
)
from stytch2workos.pacing import RetryPolicy
from stytch2workos.settings import WorkOSCredentials, secret_values, workspace_dir
from stytch2workos.stytch_pace import StytchPace
from stytch2workos.workspace import DB_NAME, Workspace
from stytch2workos.workspace.core import storage_cause

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.status import Status


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
# Every code a plan marks blocking (plan.py, plan_roles.py): the ones --accept takes.
ACCEPT_CODES = ("unmapped_role", "missing_role", "slug_collision", "invalid_slug", "role_permissions_differ")
AcceptOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--accept",
        help="Proceed despite a blocking problem with this code (repeatable): "
        + ", ".join(ACCEPT_CODES)
        + ".",
    ),
]
OrgOpt = Annotated[
    list[str] | None, typer.Option("--org", help="Only this Stytch organization id (repeatable): a pilot.")
]
# A password delivery from Stytch support (``passwords load``, ``migrate --passwords-delivery``).
KeyOpt = Annotated[
    Path | None, typer.Option("--key", help="key.bin.enc from the same delivery (for an encrypted file).")
]
PrivateKeyOpt = Annotated[
    Path | None,
    typer.Option("--private-key", help="Your RSA private key (PEM) that key.bin.enc is encrypted to."),
]
IterationsOpt = Annotated[
    int | None,
    typer.Option("--iterations", min=1, help="Only if Stytch used 'openssl enc -iter N' (PBKDF2 rounds)."),
]
HostOpt = Annotated[str, typer.Option("--host", help="Address --listen binds.")]
# Stytch's pace. None when not given: the flag wins over migration.toml's [pacing] stytch_*
# key, which wins over the default (stytch_pace.resolve_pace). Help is Rich markup: "\\[" is "[".
_PACE = StytchPace()
SearchesPerMinuteOpt = Annotated[
    int | None,
    typer.Option(
        "--searches-per-minute",
        help="Pace for each Stytch search endpoint (documented limit: 100/min). "
        f"Default: \\[pacing] stytch_searches_per_minute in migration.toml, else {_PACE.searches_per_minute}.",
        show_default=False,
    ),
]
ReadsPerSecondOpt = Annotated[
    float | None,
    typer.Option(
        "--reads-per-second",
        help="Pace for other Stytch reads (SSO/SCIM connections, RBAC); no documented limit. "
        f"Default: \\[pacing] stytch_reads_per_second, else {_PACE.reads_per_second:g}.",
        show_default=False,
    ),
]
StytchTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help="Seconds before a Stytch request is abandoned and retried. "
        f"Default: \\[pacing] stytch_timeout, else {_PACE.timeout:g}.",
        show_default=False,
    ),
]
StytchAttemptsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-attempts",
        help="Attempts per Stytch request before giving up (429/5xx/network errors). "
        f"Default: \\[pacing] stytch_max_attempts, else {_PACE.max_attempts}.",
        show_default=False,
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class _Command:
    """What the error handling needs to know about the running command."""

    # The workspace it opened (or tried to): where SQLite failed, where a crash report goes.
    workspace: Path | None = None


_command = _Command()


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the tool's errors into one clear line and an exit code; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        os.umask(0o077)  # everything the tool writes is owner-only
        console.keep_secret(secret_values(os.environ))
        _command.workspace = None
        with stopping.stop_on_signals():
            try:
                result = fn(*args, **kwargs)
                # A signal whose Stopped was dropped (see stopping.check) still ends as a stop.
                stopping.check()
                return result
            except (typer.Exit, typer.TyperException):
                raise
            except typer.Abort:
                # A prompt turns a signal into "no answer": it still means stop.
                signum = stopping.received()
                if signum is None:
                    raise
                code = _stopped(signum)
            except KeyboardInterrupt as exc:
                code = _stopped(exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
            except Exception as exc:
                code = _failed(exc)
        raise typer.Exit(code)

    return wrapper


def _stopped(signum: int) -> int:
    # After SIGHUP the terminal may be gone: the exit code still says what happened.
    with contextlib.suppress(OSError):
        console.error(stopping.stopped_message(signum))
    return stopping.exit_code(signum)


def _failed(exc: Exception) -> int:
    """Print the one line that explains ``exc``; return the exit code."""
    if isinstance(exc, EnvironmentFailure | ServiceError | RetriesExhausted):
        # An API's answer keeps its own code whatever lies beneath (a reset socket is not a full disk).
        console.error(str(exc))
        return exc.exit_code
    cause = _environment_cause(exc)
    if cause is not None:
        console.error(cause.message(str(exc) if isinstance(exc, Stytch2WorkOSError) else None))
        return EnvironmentFailure.exit_code
    if isinstance(exc, Stytch2WorkOSError):
        console.error(str(exc))
        return exc.exit_code
    if os.environ.get("STYTCH2WORKOS_DEBUG"):
        raise exc
    return _crashed(exc)


def _environment_cause(exc: Exception) -> EnvironmentCause | None:
    if isinstance(exc, BrokenPipeError):
        # Whoever read stdout went away (`| head`); anything still buffered has nowhere to go,
        # and Python's own flush at exit must not fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EnvironmentCause(
            "the output was closed before everything was written (broken pipe)",
            "let the reader take all of it (or send it to a file)",
        )
    return storage_cause(exc, _command.workspace) or os_cause(exc)


def _crashed(exc: Exception) -> int:
    now = datetime.now(UTC)
    text = crash.render(exc, sys.argv[1:], console.secrets(), now)
    try:
        path = crash.write(text, crash_places(_command.workspace, os.environ, Path.cwd()), now)
        where = f"the crash report is {path}"
    except Exception as failure:  # the report is a courtesy: its failure must not hide the first
        where = f"no crash report could be written ({type(failure).__name__}: {clip(str(failure), 80)})"
    what = crash.mask(clip(str(exc), 200), console.secrets())
    console.error(
        f"internal error ({type(exc).__name__}: {what}); {where}. Nothing saved is lost; "
        "please report this with the crash report"
    )
    return InternalError.exit_code


def crash_places(opened: Path | None, env: Mapping[str, str], cwd: Path) -> list[Path | None]:
    """Where a crash report may go, best first; ``None`` is a new temporary directory.

    The workspace the command opened; else, when it crashed before getting that far, the
    workspace it would use by default, if one exists there.
    """
    places: list[Path | None] = []
    if opened is not None and opened.is_dir():
        places.append(opened)
    default = workspace_dir(None, env, cwd)
    if (default / DB_NAME).is_file() and default not in places:
        places.append(default)
    return [*places, None]


def _resolve(flag: str | None) -> Path:
    path = workspace_dir(flag, os.environ, Path.cwd())
    _command.workspace = path
    return path


def open_workspace(flag: str | None) -> Workspace:
    """The workspace, created if there is none: for ``export``, the one command that starts one."""
    return Workspace(_resolve(flag), create=True)


def open_existing_workspace(flag: str | None) -> Workspace:
    """The workspace, for a command that writes to it: exclusive, and never created here."""
    return Workspace(_resolve(flag), create=False)


def open_workspace_for_reading(flag: str | None) -> Workspace:
    """The workspace, for a command that only reads it: no lock, no schema changes, never created."""
    return Workspace(_resolve(flag), readonly=True)


# The longest wait between two refreshes ``--watch`` takes: 30 days. More is a typo (or
# ``inf``, which Click parses as a float and no sleep can take).
MAX_WATCH_SECONDS = 30 * 24 * 3600


def check_watch(seconds: float | None) -> None:
    """Refuse a ``--watch`` interval that is not a number of seconds above 0 (nan, inf, 0, -5)."""
    if seconds is not None and not 0 < seconds <= MAX_WATCH_SECONDS:
        raise ConfigError(
            f"--watch takes a number of seconds greater than 0 and at most {MAX_WATCH_SECONDS:,} "
            f"(30 days); got {seconds:g}"
        )


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
        signum = stopping.received()
        if signum is not None:  # the prompt swallowed a signal: stop, as anywhere else
            raise Stopped(signum) from None
        confirmed = False  # no answer (closed stdin, Ctrl-D) is not a yes
    if not confirmed:
        console.err.print("Nothing was written.")
        raise typer.Exit(1)


def read_secret(prompt: str) -> str:
    """A secret from a hidden prompt, or the first line of stdin when stdin is not a terminal."""
    if sys.stdin.isatty():
        try:
            return str(typer.prompt(prompt, hide_input=True, err=True))
        except (click.exceptions.Abort, typer.Abort, EOFError):
            raise InputError(f"no answer to '{prompt}'") from None
    line = sys.stdin.readline()
    if not line:
        raise InputError(
            f"{prompt.lower()}: nothing on standard input; pipe it in, or run the command in a terminal"
        )
    return line.rstrip("\r\n")


def workos_target(creds: WorkOSCredentials, config: MigrationConfig) -> WorkOSTarget:
    """The WorkOS target under the config's pacing and attempt limit."""
    # The WorkOS SDK takes a second to import: only the commands that talk to WorkOS pay for it.
    from stytch2workos.destination.client import WorkOSTarget

    return WorkOSTarget(creds, config.pacing, policy=RetryPolicy(max_attempts=config.pacing.max_attempts))


LiveOpt = Annotated[
    bool,
    typer.Option(
        "--live", help="Also ask WorkOS: organization and user counts, and the handoff as it is now."
    ),
]


def gather_status(ws: Workspace, cfg: MigrationConfig, live: bool) -> Status:
    """The workspace's status; with ``live``, WorkOS is asked too (``status`` and ``report``)."""
    from stytch2workos.status import gather

    if not live:
        return gather(ws, cfg, datetime.now(UTC))
    from stytch2workos.settings import workos_credentials

    with workos_target(workos_credentials(os.environ), cfg) as target:
        return gather(ws, cfg, datetime.now(UTC), target)

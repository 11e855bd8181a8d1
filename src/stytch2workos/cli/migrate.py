"""``migrate``: the whole migration in one command, stage by stage, resumable.

Which stage comes next is decided in :mod:`stytch2workos.migrate` from the workspace;
this module runs each stage in-process through the same library calls as the stage's
own command (``export``, ``init``, ``plan``, ``passwords load``, ``import``,
``passwords apply``, ``packets``, ``verify``), asks before each stage that writes to
WorkOS, and ends with one summary whose exit code is the worst stage's.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console, stopping
from stytch2workos.cli.common import (
    AcceptOpt,
    ConfigOpt,
    IterationsOpt,
    JsonOpt,
    KeyOpt,
    OrgOpt,
    PrivateKeyOpt,
    WorkspaceOpt,
    YesOpt,
    confirm_writes,
    handled,
    open_workspace,
    progress,
    read_secret,
    workos_target,
)
from stytch2workos.config import CONFIG_NAME, MigrationConfig
from stytch2workos.errors import ConfigError, InputError, Stytch2WorkOSError, clip
from stytch2workos.migrate import (
    WRITES_WORKOS,
    Stage,
    StageResult,
    Stop,
    next_stages,
    read_state,
    what_next,
    worst_exit,
)
from stytch2workos.migrate_stages import RUNNERS, Options
from stytch2workos.progress import Progress
from stytch2workos.settings import WorkOSCredentials, workos_credentials
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget

commands = typer.Typer()


class _StageBar:
    """The library's progress sink with the stage in front of each task's name."""

    def __init__(self, inner: console.RichProgress, stage: Stage) -> None:
        self.inner, self.stage = inner, stage

    def _name(self, task: str) -> str:
        return f"{self.stage}: {task}"

    def start(self, task: str, total: int | None = None) -> None:
        self.inner.start(self._name(task), total)

    def advance(self, task: str, amount: int = 1) -> None:
        self.inner.advance(self._name(task), amount)

    def finish(self, task: str) -> None:
        self.inner.finish(self._name(task))

    def note(self, message: str) -> None:
        self.inner.note(message)


class _Edges:
    """What the stages get from the terminal: progress, confirmation, the target, a passphrase."""

    def __init__(self, yes: bool, as_json: bool) -> None:
        self.yes, self.as_json = yes, as_json
        self._creds: WorkOSCredentials | None = None

    def creds(self) -> WorkOSCredentials:
        if self._creds is None:
            self._creds = workos_credentials(os.environ)
        return self._creds

    @contextmanager
    def progress(self, stage: Stage) -> Iterator[Progress]:
        with progress(self.as_json) as rich:
            yield _StageBar(rich, stage)

    def target(self, config: MigrationConfig) -> AbstractContextManager[WorkOSTarget]:
        return workos_target(self.creds(), config)

    def confirm(self, question: str, *notes: str) -> None:
        if not self.yes:
            confirm_writes(self.creds(), question, *(escape(n) for n in notes))

    def passphrase(self) -> str:
        return read_secret("Passphrase for the private key")


@dataclass
class _Run:
    ws: Workspace
    options: Options
    edges: _Edges
    as_json: bool
    results: list[StageResult] = field(default_factory=list)


def _command_line() -> str:
    """How the operator ran this, to quote in 'run … again' (the arguments hold no secret)."""
    args = [a for a in sys.argv[1:] if a not in ("--dry-run",)]
    return "stytch2workos " + " ".join(shlex.quote(a) for a in args) if args else "stytch2workos migrate"


def _run_stages(run: _Run, dry_run: bool) -> Stop | None:
    """Run stage after stage until the route ends or a stage stops it."""
    done: set[Stage] = set()
    config_default = run.ws.path / CONFIG_NAME
    first = True
    while True:
        stopping.check()
        state = read_state(
            run.ws,
            config=run.options.config_path is not None or config_default.exists(),
            refresh=run.options.refresh,
            delivery=run.options.delivery,
            dry_run=dry_run,
            verify=True,
            done=frozenset(done),
        )
        route = next_stages(state)
        if first and state.snapshot == "complete" and Stage.EXPORT not in route.stages:
            run.results.append(
                StageResult(
                    Stage.EXPORT, "kept", 0, {}, "the last complete snapshot; --refresh takes a new one"
                )
            )
        first = False
        stage = route.next
        if stage is None:
            return route.stop
        if not run.as_json:
            console.err.rule(f"[bold]{stage}")
        try:
            result = RUNNERS[stage](run.ws, run.options, run.edges)
        except typer.Exit as exc:
            if stage in WRITES_WORKOS and exc.exit_code == 1:  # the confirmation was declined
                run.results.append(StageResult(stage, "declined", 1, {}, "nothing was written"))
            raise
        except Stytch2WorkOSError as exc:
            run.results.append(StageResult(stage, "failed", exc.exit_code, {}, clip(str(exc), 160)))
            raise
        run.results.append(result)
        done.add(stage)
        if not run.as_json:
            for note in result.notes:  # text from the data (emails, names): never markup
                console.err.print(escape(console.safe(note)), soft_wrap=True)
        if result.outcome == "stopped":
            return route.stop if stage == Stage.INIT else None


def _print_summary(results: list[StageResult], advice: str) -> None:
    table = Table(title="Migration", title_justify="left", show_edge=False)
    for column in ("stage", "outcome", "counts", "detail"):
        table.add_column(column)
    colours = {"done": "green", "kept": "dim", "findings": "yellow", "stopped": "yellow"}
    for r in results:
        colour = colours.get(r.outcome, "red" if r.exit_code > 1 or r.outcome == "declined" else "")
        outcome = f"[{colour}]{r.outcome}[/{colour}]" if colour else r.outcome
        counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in r.counts.items())
        table.add_row(str(r.stage), outcome, escape(counts), escape(console.safe(r.detail)))
    console.out.print(table)
    console.out.print(escape(advice), soft_wrap=True)


def _report(run: _Run, stop: Stop | None, code: int) -> None:
    advice = what_next(run.results, stop, _command_line())
    if run.as_json:
        console.print_json(
            {
                "workspace": str(run.ws.path),
                "stages": [r.to_json() for r in run.results],
                "stopped": stop,
                "exit_code": code,
                "next": advice,
            }
        )
    else:
        _print_summary(run.results, advice)


@commands.command()
@handled
def migrate(
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    org: OrgOpt = None,
    accept: AcceptOpt = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Take a new snapshot of Stytch first (else the last is kept).")
    ] = False,
    passwords_delivery: Annotated[
        Path | None,
        typer.Option(
            "--passwords-delivery",
            help="Stytch support's hashes file (.enc, with --key and --private-key; or a decrypted CSV).",
        ),
    ] = None,
    key: KeyOpt = None,
    private_key: PrivateKeyOpt = None,
    iterations: IterationsOpt = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry records and hashes that failed before.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Stop after the plan: nothing is written to WorkOS.")
    ] = False,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole migration: export, init, plan, passwords, import, packets, verify.

    Stops once after init so a person reviews migration.toml, on blocking plan problems,
    and asks before each stage that writes to WorkOS. Safe to rerun after Ctrl-C, kill -9
    or a failure: it resumes where it stopped. Stytch's pace is \\[pacing] stytch_* in
    migration.toml (else the defaults). Example: stytch2workos migrate --yes
    """
    from stytch2workos.source.hash_input import check_delivery_options

    if passwords_delivery is None and (key or private_key or iterations):
        raise ConfigError("--key, --private-key and --iterations go with --passwords-delivery")
    if passwords_delivery is not None:
        check_delivery_options(key, private_key, iterations)
        if not passwords_delivery.is_file():
            raise InputError(f"cannot read the hashes file {passwords_delivery}: no such file")
    with open_workspace(workspace) as ws:
        options = Options(
            config,
            org,
            tuple(accept or ()),
            refresh,
            passwords_delivery,
            key,
            private_key,
            iterations,
            retry_failed,
        )
        run = _Run(ws, options, _Edges(yes, as_json), as_json)
        stop: Stop | None = None
        try:
            stop = _run_stages(run, dry_run)
        except (Stytch2WorkOSError, typer.Exit):
            # The error's own line (and exit code) follow from `handled`: first, where things stand.
            _report(run, None, worst_exit(run.results))
            raise
        code = worst_exit(run.results)
        _report(run, stop, code)
    if code:
        raise typer.Exit(code)

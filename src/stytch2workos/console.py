"""Terminal output for the CLI: Rich progress with rate and ETA, tables, errors.

Everything goes to stderr except a command's result, so ``--json`` output on
stdout stays machine-readable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from stytch2workos.errors import redact

# No highlighting or :emoji: codes: names from the data are printed as they are.
err = Console(stderr=True, highlight=False, emoji=False)
out = Console(highlight=False, emoji=False)
# Values never to print, whatever message they turn up in (an SDK error quoting a request).
_secrets: set[str] = set()


def keep_secret(values: Iterable[str]) -> None:
    """Remove these values (the credentials) from every message printed here."""
    _secrets.update(value for value in values if value)


def secrets() -> frozenset[str]:
    """The values given to :func:`keep_secret`: for anything else that must not show them."""
    return frozenset(_secrets)


def safe(message: str) -> str:
    """``message`` with every value given to :func:`keep_secret` redacted."""
    return redact(message, _secrets)


class RichProgress:
    """The library's Progress sink, drawn with Rich (quiet when stderr is not a terminal)."""

    def __init__(self, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, task: str, total: int | None = None) -> None:
        if task in self._tasks:
            self._progress.update(self._tasks[task], total=total)
        else:
            self._tasks[task] = self._progress.add_task(task, total=total, rate="")

    def advance(self, task: str, amount: int = 1) -> None:
        if task not in self._tasks:
            self.start(task)
        task_id = self._tasks[task]
        self._progress.advance(task_id, amount)
        speed = self._progress.tasks[task_id].speed if task_id < len(self._progress.tasks) else None
        self._progress.update(task_id, rate=f"{speed:,.1f}/s" if speed else "")

    def finish(self, task: str) -> None:
        if task in self._tasks:
            task_id = self._tasks[task]
            done = self._progress.tasks[task_id].completed
            self._progress.update(task_id, total=done, completed=done)

    def note(self, message: str) -> None:
        # Library notes quote API errors: plain text, like error() and warn().
        self._progress.console.print(f"[dim]{escape(safe(message))}[/dim]")


def print_json(data: Any) -> None:
    sys.stdout.write(safe(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")


def error(message: str) -> None:
    # Messages are plain text: "[pacing] safety ..." must not be read as Rich markup. One
    # message, one line: a log or a script reading stderr must not get it cut at 80 columns.
    err.print(f"[bold red]error:[/bold red] {escape(safe(message))}", soft_wrap=True)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(safe(message))}", soft_wrap=True)


def counts_table(title: str, rows: dict[str, int], key: str = "", value: str = "count") -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(key)
    table.add_column(value, justify="right")
    for k, v in rows.items():
        table.add_row(escape(k), f"{v:,}")
    return table

"""How library code reports progress without printing: the CLI supplies a sink."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """A sink for progress: named tasks with an optional total, advanced in steps."""

    def start(self, task: str, total: int | None = None) -> None: ...
    def advance(self, task: str, amount: int = 1) -> None: ...
    def finish(self, task: str) -> None: ...
    def note(self, message: str) -> None: ...


class NullProgress:
    """Progress that goes nowhere (tests, ``--json``)."""

    def start(self, task: str, total: int | None = None) -> None:
        pass

    def advance(self, task: str, amount: int = 1) -> None:
        pass

    def finish(self, task: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass

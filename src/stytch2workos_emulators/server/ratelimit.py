"""Server-side rate limits for the emulators, with the statistics tests need.

Stytch documents fixed windows aligned to the clock ("intervals are not rolling");
WorkOS documents budgets per window without saying more, so its emulator uses
sliding windows, the stricter reading. ``scaled:K`` divides every window by K so
that a test can exercise a minute-long budget in a fraction of a second.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Budget:
    name: str
    limit: int
    window: float  # seconds, as documented
    kind: Literal["fixed", "sliding"] = "sliding"


def parse_mode(mode: str) -> float | None:
    """Window divisor for a mode string: 1 for ``real``, K for ``scaled:K``, None for ``off``."""
    if mode == "real":
        return 1.0
    if mode == "off":
        return None
    if mode.startswith("scaled:"):
        try:
            factor = float(mode.split(":", 1)[1])
        except ValueError:
            factor = 0.0
        if factor > 0:
            return factor
    raise ValueError(f"rate-limit mode must be real, off or scaled:K (K > 0), not {mode!r}")


class RateLimiter:
    """Counts requests per (budget, key) and refuses those over a budget."""

    def __init__(self, budgets: list[Budget], clock: Callable[[], float] = time.time) -> None:
        self.budgets = {b.name: b for b in budgets}
        self.clock = clock
        self.mode = "real"
        self._divisor: float | None = 1.0
        self.reset()

    def reset(self) -> None:
        self._fixed: dict[tuple[str, str], tuple[int, int]] = {}
        self._sliding: dict[tuple[str, str], deque[float]] = {}
        self.max_in_window: dict[str, int] = {name: 0 for name in self.budgets}
        self.refused: dict[str, int] = {name: 0 for name in self.budgets}

    def set_mode(self, mode: str) -> None:
        self._divisor = parse_mode(mode)
        self.mode = mode
        self.reset()

    def window(self, budget: Budget) -> float:
        return budget.window / (self._divisor or 1.0)

    def check(self, hits: list[tuple[str, str]]) -> float | None:
        """Record the hits and return None, or refuse all of them and return seconds to wait."""
        if self._divisor is None or not hits:
            return None
        now = self.clock()
        waits: list[float] = []
        for name, key in hits:
            budget = self.budgets[name]
            wait = self._wait(budget, key, now)
            if wait is not None:
                self.refused[name] += 1
                waits.append(wait)
        if waits:
            return max(waits)
        for name, key in hits:
            self._record(self.budgets[name], key, now)
        return None

    def _wait(self, budget: Budget, key: str, now: float) -> float | None:
        window = self.window(budget)
        if budget.kind == "fixed":
            index = math.floor(now / window)
            current, count = self._fixed.get((budget.name, key), (index, 0))
            if current == index and count >= budget.limit:
                return (index + 1) * window - now
            return None
        stamps = self._sliding.setdefault((budget.name, key), deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= budget.limit:
            return stamps[0] + window - now
        return None

    def _record(self, budget: Budget, key: str, now: float) -> None:
        if budget.kind == "fixed":
            window = self.window(budget)
            index = math.floor(now / window)
            current, count = self._fixed.get((budget.name, key), (index, 0))
            count = count + 1 if current == index else 1
            self._fixed[(budget.name, key)] = (index, count)
        else:
            stamps = self._sliding[(budget.name, key)]
            stamps.append(now)
            count = len(stamps)
        if count > self.max_in_window[budget.name]:
            self.max_in_window[budget.name] = count

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "budgets": {
                b.name: {"limit": b.limit, "window_seconds": self.window(b), "kind": b.kind}
                for b in self.budgets.values()
            },
        }

"""What keeps a refresh cycle cheap beyond skipping work: wall time per stage (reported in
the cycle's JSON, read by ``bench/sync.py``) and the WorkOS SDK's import moved off the
critical path, beside the refresh that mostly waits on Stytch's search budget.
"""

from __future__ import annotations

import threading
import time


class Stages:
    """Wall time per stage, into ``timings``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.mark = time.perf_counter()

    def restart(self) -> None:
        self.mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.mark
        self.mark = now


def warm_up() -> None:
    """Import the WorkOS side in a background thread (for a refresh to call once its
    first request is under way): the SDK's second of import then overlaps the refresh."""

    def load() -> None:
        try:
            import stytch2workos.destination.client
            import stytch2workos.destination.importer
            import stytch2workos.destination.sync_writes  # noqa: F401
        except BaseException:
            pass  # the main thread's own import of the same modules reports any failure

    threading.Thread(target=load, name="warm-up", daemon=True).start()

"""A bounded pool of workers for the write stages (import, passwords apply).

At most ``2 × workers`` tasks are queued or running, so a stage streaming a
million people holds a handful in memory. The first exception a task raises
(an auth failure, retries exhausted, Ctrl-C) stops the tasks not yet started and
is raised again in the caller's thread once running tasks end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from stytch2workos.progress import Progress


class WorkerPool:
    """Runs tasks concurrently and reports each finished one to ``progress``."""

    def __init__(self, workers: int, progress: Progress, name: str = "worker") -> None:
        self.workers = max(1, workers)
        self.progress = progress
        self.name = name
        self._fatal: BaseException | None = None
        self._stop = threading.Event()

    def run(self, tasks: Iterable[Callable[[], None]], task: str) -> None:
        """Run every task (progress counted under ``task``); raise the first fatal error."""
        slots = threading.Semaphore(self.workers * 2)

        def run_one(fn: Callable[[], None]) -> None:
            try:
                if not self._stop.is_set():
                    fn()
            except BaseException as exc:  # handed to the caller's thread
                if self._fatal is None:
                    self._fatal = exc
                self._stop.set()
            finally:
                slots.release()
                self.progress.advance(task)

        try:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name) as pool:
                futures: list[Future[None]] = []
                try:
                    for fn in tasks:
                        if self._stop.is_set():
                            break
                        slots.acquire()
                        futures.append(pool.submit(run_one, fn))
                        if len(futures) > self.workers * 8:
                            futures = [f for f in futures if not f.done()]
                except BaseException:
                    # Ctrl-C or SIGTERM while submitting: queued tasks end at once rather than
                    # run to completion while the pool shuts down.
                    self._stop.set()
                    raise
        except BaseException:
            # ... or while the pool waits for its queue to drain.
            self._stop.set()
            raise
        if self._fatal is not None:
            raise self._fatal

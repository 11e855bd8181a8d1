"""A bounded pool of workers for the write stages (import, passwords apply).

At most ``2 × workers`` tasks are queued or running, so a stage streaming a
million people holds a handful in memory. The first exception a task raises
(an auth failure, retries exhausted, Ctrl-C) stops the tasks not yet started and
is raised again in the caller's thread once running tasks end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from stytch2workos import stopping
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

        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name)
        futures: list[Future[None]] = []
        try:
            for fn in tasks:
                stopping.check()
                if self._stop.is_set():
                    break
                slots.acquire()
                futures.append(pool.submit(run_one, fn))
                if len(futures) > self.workers * 8:
                    futures = [f for f in futures if not f.done()]
            pool.shutdown(wait=True)
        except BaseException:
            # A signal while submitting or while waiting for the queue to drain: queued tasks
            # end at once (run_one skips them once stopped), and running ones are waited for,
            # so the caller never closes the workspace under a task still recording its
            # outcome (a second signal exits at once). Waiting on the futures, not joining the
            # threads: on Python 3.11 a join interrupted by a signal can mark a still-running
            # thread as finished. Not cancel_futures: a future cancelled in the queue never
            # counts as done for wait().
            self._stop.set()
            pool.shutdown(wait=False)
            wait(futures)
            raise
        if self._fatal is not None:
            raise self._fatal
        stopping.check()

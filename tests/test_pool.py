"""The worker pool stops on a signal without leaving a task running and without hanging."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from stytch2workos import stopping
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.errors import Stopped
from stytch2workos.progress import NullProgress

WORKERS = 3


@pytest.mark.timeout(60)
@pytest.mark.parametrize("after", [0.0, 0.05, 0.3])
def test_a_signal_ends_the_run_once_running_tasks_have_ended(after: float) -> None:
    lock = threading.Lock()
    running, started, finished = 0, 0, 0

    def task() -> None:
        nonlocal running, started, finished
        with lock:
            running, started = running + 1, started + 1
        time.sleep(0.02)
        with lock:
            running, finished = running - 1, finished + 1

    # From another thread, as a signal from outside would: the handler runs on the main
    # thread wherever it is (submitting, or waiting for the queue to drain).
    with stopping.stop_on_signals(), pytest.raises(Stopped):
        threading.Timer(after, os.kill, (os.getpid(), signal.SIGTERM)).start()
        WorkerPool(WORKERS, NullProgress()).run((task for _ in range(1000)), "tasks")
        time.sleep(5)  # the run ended before the signal: wait for it here
    assert running == 0  # nothing left writing once the caller gets control back
    assert started == finished
    assert started < 1000


@pytest.mark.timeout(60)
def test_without_a_signal_every_task_runs() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def task(i: int) -> None:
        with lock:
            done.append(i)

    with stopping.stop_on_signals():
        WorkerPool(WORKERS, NullProgress()).run(((lambda i=i: task(i)) for i in range(200)), "tasks")
    assert sorted(done) == list(range(200))

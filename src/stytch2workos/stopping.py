"""Stopping on a signal: Ctrl-C (SIGINT), ``kill`` from a CI runner, systemd or Kubernetes
(SIGTERM) and a closed terminal (SIGHUP) all stop a command the same way.

While a command runs, a signal raises :class:`~.errors.Stopped` in the main thread: the
path Ctrl-C has always taken, so queued work stops, running requests finish, an open
workspace transaction rolls back, and the CLI exits ``128 + signal`` with one line.

Before a command runs (the interpreter importing the CLI) and after it has finished,
no work is in progress, so a signal ends the process at once with one line instead of
a traceback. So does a
second signal while the first is being handled: every write is already safe to cut
short (the same guarantee that makes ``kill -9`` safe).

A signal the tool was started with ignored stays ignored: ``nohup stytch2workos import``
(SIGHUP) and a background job of a script (SIGINT) run on as their user asked.

Standard library only: this module is imported before anything else of the tool.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from stytch2workos.errors import Stopped

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
RESUME = "everything saved so far is kept, run the same command to resume"

Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None
# The signals received since the running command installed its handlers, first first.
_received: list[int] = []


def exit_code(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


def stopped_message(signum: int) -> str:
    """The one line a stopped command prints."""
    if signum == signal.SIGINT:
        return f"interrupted; {RESUME}"
    return f"stopped by {signal.Signals(signum).name}; {RESUME}"


def _say(line: str) -> None:
    # os.write, not sys.stderr: a handler may run while the main thread is inside a print,
    # and the buffered stream refuses to be entered twice. A closed terminal (SIGHUP) is fine.
    with contextlib.suppress(OSError):
        os.write(2, f"error: {line}\n".encode())


def _exit_at_once(signum: int, frame: FrameType | None) -> None:
    what = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
    _say(f"{what} while no work was in progress; nothing is lost")
    os._exit(exit_code(signum))


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    if _received:
        _say(f"{signal.Signals(signum).name} again: stopping at once; {RESUME}")
        os._exit(exit_code(_received[0]))
    _received.append(signum)
    raise Stopped(signum)


def _quiet_lost_stop(unraisable: sys.UnraisableHookArgs) -> None:
    # Python drops an exception raised inside a weakref callback or ``__del__``; a signal's
    # Stopped can land there. It is not an error to show: check() raises it again.
    if not isinstance(unraisable.exc_value, Stopped):
        sys.__unraisablehook__(unraisable)


def check() -> None:
    """Raise :class:`Stopped` if a signal was received: a loop's checkpoint.

    A handler's exception that lands in a weakref callback or ``__del__`` is dropped by
    Python, so without a checkpoint the command would carry on as if nothing was asked.
    """
    if _received:
        raise Stopped(_received[0])


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handled_signals() -> list[int]:
    return [signum for signum in SIGNALS if signal.getsignal(signum) != signal.SIG_IGN]


def exit_at_once_on_signals() -> None:
    """Before a command runs: a signal ends the process at once, with one line and ``128 + signal``."""
    if _on_main_thread():
        for signum in _handled_signals():
            signal.signal(signum, _exit_at_once)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While a command runs: a signal raises :class:`Stopped`; the previous handlers come back after."""
    if not _on_main_thread():  # only the main thread may handle signals
        yield
        return
    _received.clear()
    previous: dict[int, Handler] = {
        signum: signal.signal(signum, _raise_stopped) for signum in _handled_signals()
    }
    hook, sys.unraisablehook = sys.unraisablehook, _quiet_lost_stop
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            # None: a handler installed outside Python, which Python cannot put back.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def received() -> int | None:
    """The first signal the running command received, if any.

    For code that sees the interrupt only as something else (a confirmation prompt turns
    it into "no answer") and must stop rather than carry on.
    """
    return _received[0] if _received else None

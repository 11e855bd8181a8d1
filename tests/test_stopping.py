"""A signal whose exception Python drops still stops the command (pure: no subprocess)."""

from __future__ import annotations

import signal
import weakref

import pytest

from stytch2workos import stopping
from stytch2workos.errors import Stopped


class _Owner:
    pass


def _signal_inside_a_weakref_callback() -> None:
    # The handler runs inside the callback, so its Stopped lands where Python drops it.
    owner = _Owner()
    ref = weakref.ref(owner, lambda _: signal.raise_signal(signal.SIGTERM))
    del owner
    assert ref() is None


def test_a_dropped_stop_is_raised_again_at_the_next_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with stopping.stop_on_signals():
        _signal_inside_a_weakref_callback()  # carries on: the exception was dropped
        assert stopping.received() == signal.SIGTERM
        with pytest.raises(Stopped) as stopped:
            stopping.check()
    assert stopped.value.signum == signal.SIGTERM
    assert "Traceback" not in capsys.readouterr().err


def test_a_checkpoint_without_a_signal_carries_on() -> None:
    with stopping.stop_on_signals():
        stopping.check()
    assert stopping.received() is None


def test_other_dropped_exceptions_are_still_shown(capsys: pytest.CaptureFixture[str]) -> None:
    def fail(_: object) -> None:
        raise ValueError("a real bug")

    with stopping.stop_on_signals():
        owner = _Owner()
        ref = weakref.ref(owner, fail)
        del owner
        assert ref() is None
    assert "a real bug" in capsys.readouterr().err

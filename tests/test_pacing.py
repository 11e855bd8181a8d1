"""The pacing and retry policy, with a fake clock: nothing here really waits."""

from __future__ import annotations

import pytest

from stytch2workos.errors import Failure, RetriesExhausted, Retryable
from stytch2workos.pacing import Budget, Pacer, RetryPolicy, TokenBucket, bucket_for, parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _admitted_per_window(bucket: TokenBucket, clock: FakeClock, window: float, requests: int) -> int:
    stamps = []
    for _ in range(requests):
        bucket.acquire()
        stamps.append(clock.now)
    # The largest number of admissions inside any sliding window of the budget.
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize(
    ("limit", "window"), [(500, 10.0), (100, 60.0), (1000, 10.0), (6000, 60.0), (50, 60.0), (3, 1.0)]
)
def test_bucket_never_exceeds_budget_in_any_window(limit: int, window: float) -> None:
    clock = FakeClock()
    bucket = bucket_for(Budget("b", limit, window), clock=clock, sleep=clock.sleep)
    assert _admitted_per_window(bucket, clock, window, limit * 3) <= limit


def test_bucket_runs_close_to_the_budget() -> None:
    clock = FakeClock()
    bucket = bucket_for(Budget("writes", 500, 10.0), clock=clock, sleep=clock.sleep)
    for _ in range(5000):
        bucket.acquire()
    rate = 5000 / clock.now
    assert 0.93 * 50 <= rate <= 50


def test_pause_holds_every_caller() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=100.0, burst=5, clock=clock, sleep=clock.sleep)
    bucket.pause(2.0)
    bucket.acquire()
    assert clock.now == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0", 0.0), (" 1.5 ", 1.5), ("", None), (None, None), ("soon", None), ("-2", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", now=lambda: 40.0) == pytest.approx(60.0)


def _failure(retry_after: float | None = None) -> Retryable:
    return Retryable(Failure("WorkOS", 503, None, "unavailable", retry_after=retry_after))


def test_pacer_retries_then_succeeds_with_backoff() -> None:
    clock = FakeClock()
    calls = []

    def flaky() -> str:
        calls.append(clock.now)
        if len(calls) < 4:
            raise _failure()
        return "ok"

    pacer = Pacer(None, RetryPolicy(base_delay=1.0, max_delay=3.0), sleep=clock.sleep, rand=lambda: 0.5)
    assert pacer.call(flaky) == "ok"
    assert clock.slept == [1.0, 2.0, 3.0]  # doubled, then capped
    assert pacer.retries == 3


def test_pacer_honours_retry_after_through_the_bucket() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1000.0, burst=10, clock=clock, sleep=clock.sleep)
    attempts = []

    def limited() -> int:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise _failure(retry_after=7.0)
        return 1

    Pacer(bucket, sleep=clock.sleep).call(limited)
    assert attempts[1] - attempts[0] == pytest.approx(7.0)


def test_pacer_gives_up_with_the_last_failure() -> None:
    clock = FakeClock()

    def always() -> None:
        raise _failure()

    with pytest.raises(RetriesExhausted) as info:
        Pacer(None, RetryPolicy(max_attempts=3), sleep=clock.sleep, rand=lambda: 0.0).call(always)
    assert info.value.attempts == 3
    assert "HTTP 503" in str(info.value)


def test_non_retryable_errors_pass_straight_through() -> None:
    def broken() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Pacer(None).call(broken)

"""The one pacing and retry policy, for every request the tool sends.

Pacing is proactive: a token bucket per documented budget keeps the tool just
under the limit instead of bouncing off it. A bucket holding ``burst`` tokens and
refilling at ``rate`` admits at most ``burst + rate * window`` requests in any
window, so :func:`bucket_for` sizes the pair to stay under ``limit * safety`` in
every sliding window (which also satisfies a server counting fixed windows).

Retries are reactive: 429, 5xx and transport errors are retried with capped
exponential backoff and jitter; a server's ``Retry-After`` wins when given and
also pauses the bucket, so concurrent workers back off together. Clock, sleep and
randomness are injected so tests never wait.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

from stytch2workos.errors import RetriesExhausted, Retryable

T = TypeVar("T")

# Statuses worth another attempt, for every API: a timeout, a rate limit, a server fault.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Budget:
    """A documented rate limit: ``limit`` requests per ``window`` seconds."""

    name: str
    limit: int
    window: float


# Per-operation budgets, beside the per-path ones the config sizes (WorkOS "Rate limits"):
# DELETE /organizations/{id} is limited to 50 per 60 s per API key, whatever else is sent.
ORGANIZATION_DELETES = Budget("organization_deletes", 50, 60.0)


class TokenBucket:
    """Thread-safe token bucket; :meth:`acquire` blocks until a token is free."""

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token (possibly going into debt) and return how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
            return max(wait, self._paused_until - now)

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (a server asked us to slow down)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._tokens = min(self._tokens, 0.0)


def bucket_for(
    budget: Budget,
    safety: float = 0.97,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenBucket:
    """A bucket that never exceeds ``safety * limit`` requests in any window of the budget."""
    allowed = max(1.0, budget.limit * safety)
    burst = max(1.0, min(10.0, allowed * 0.02))
    rate = max(allowed - burst, 1.0) / budget.window
    return TokenBucket(rate, burst, clock, sleep)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying a request that failed in a retryable way."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Wait before attempt ``attempt + 1`` (attempt counts from 1)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff: float = min(self.base_delay * 2.0 ** (attempt - 1), self.max_delay)
        return backoff * (0.5 + rand())


DEFAULT_POLICY = RetryPolicy()


class Pacer:
    """Runs calls under a bucket and the retry policy. One per budget, shared by workers."""

    def __init__(
        self,
        bucket: TokenBucket | None,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        on_retry: Callable[[Retryable, float], None] | None = None,
    ) -> None:
        self.bucket = bucket
        self.policy = policy
        self._sleep = sleep
        self._rand = rand
        self._on_retry = on_retry
        self.retries = 0

    def call(self, fn: Callable[[], T], *extra: TokenBucket) -> T:
        """Call ``fn`` (which raises :class:`Retryable` for retryable failures) until it succeeds.

        ``extra`` buckets are acquired too, for requests that count against several budgets.
        """
        attempt = 0
        while True:
            attempt += 1
            for bucket in (self.bucket, *extra):
                if bucket is not None:
                    bucket.acquire()
            try:
                return fn()
            except Retryable as exc:
                if attempt >= self.policy.max_attempts:
                    raise RetriesExhausted(exc.failure, attempt) from None
                wait = self.policy.delay(attempt, exc.failure.retry_after, self._rand)
                self.retries += 1
                if self._on_retry is not None:
                    self._on_retry(exc, wait)
                buckets = [b for b in (self.bucket, *extra) if b is not None]
                if exc.failure.retry_after is not None and buckets:
                    # Everyone sharing the bucket waits, not just this caller; the next
                    # acquire() does the sleeping.
                    for bucket in buckets:
                        bucket.pause(wait)
                else:
                    self._sleep(wait)

"""Signed webhook delivery from a background thread, with bounded retries, to loopback only.

Each event goes to every enabled endpoint subscribed to it: one ``POST`` of the
event JSON with ``Content-Type: application/json`` and ``WorkOS-Signature``. A 2xx
answer delivers it; anything else (another status, a refused connection, a timeout)
is retried after each of :data:`RETRY_DELAYS`, then the delivery is ``failed``. WorkOS
does not publish its own schedule, so these delays are the emulator's, short enough
for tests; the seed's ``webhook_retry_delays`` replaces them.

Every attempt is signed afresh with the wall clock, because the receiver checks the
timestamp against its own clock (the SDK's tolerance is 180 s). An endpoint whose
host is not a loopback address is never contacted: the delivery is recorded as
``skipped``, so an emulator can never post events to a machine on the network.
Deliveries are kept as records (``webhook_deliveries`` in the control API's state).
"""

from __future__ import annotations

import heapq
import http.client
import ipaddress
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from stytch2workos_emulators.workos.webhooks import signature_header

RETRY_DELAYS: tuple[float, ...] = (0.2, 1.0, 5.0)
MAX_RETRIES = 10
MAX_DELAY = 60.0
TIMEOUT = 5.0


@dataclass
class Delivery:
    """One event on its way to one endpoint."""

    id: str
    endpoint_id: str
    endpoint_url: str
    event_id: str
    event: str
    body: bytes
    secret: str
    status: str = "pending"  # pending | delivered | failed | skipped
    attempts: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None

    def record(self) -> dict[str, Any]:
        """The delivery as the control API shows it: everything but the secret and the body."""
        return {
            "id": self.id,
            "endpoint_id": self.endpoint_id,
            "endpoint_url": self.endpoint_url,
            "event_id": self.event_id,
            "event": self.event,
            "status": self.status,
            "attempts": [dict(a) for a in self.attempts],
            "reason": self.reason,
        }


def is_loopback(url: str) -> bool:
    """True for http(s) URLs on 127.0.0.0/8, ::1 or ``localhost``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_retry_delays(value: Any) -> tuple[float, ...]:
    """A seed's ``webhook_retry_delays``: at most 10 delays of 0-60 seconds (ValueError otherwise)."""
    if (
        not isinstance(value, list)
        or len(value) > MAX_RETRIES
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= MAX_DELAY for v in value
        )
    ):
        raise ValueError(
            f"webhook_retry_delays takes at most {MAX_RETRIES} delays of 0 to {MAX_DELAY:g} seconds"
        )
    return tuple(float(v) for v in value)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST without proxies or redirects (``http.client``, not ``urllib``); the status code."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class WebhookDispatcher:
    """A queue of deliveries worked by one daemon thread, retried on a schedule."""

    def __init__(
        self,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        sender: Callable[[str, bytes, dict[str, str], float], int] = post,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.retry_delays = retry_delays
        self.sender = sender
        self.wall_clock = wall_clock
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._records: list[Delivery] = []
        self._seq = itertools.count()
        self._generation = 0  # bumped by reset(): answers to older attempts are dropped
        self._thread: threading.Thread | None = None

    def submit(self, endpoint_id: str, url: str, secret: str, event_id: str, event: str, body: bytes) -> None:
        """Queue one event for one endpoint (or record it skipped if not on loopback)."""
        with self._lock:
            d = Delivery(f"whd_{next(self._seq)}", endpoint_id, url, event_id, event, body, secret)
            self._records.append(d)
            if not is_loopback(url):
                d.status, d.reason = "skipped", "not a loopback address: the emulator delivers only locally"
                return
            heapq.heappush(self._queue, (time.monotonic(), next(self._seq), d))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="workos-webhooks", daemon=True)
                self._thread.start()
            self._lock.notify()

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.record() for d in self._records]

    def restore(self, records: list[dict[str, Any]]) -> None:
        """Put back a dump's delivery records, as history: nothing is sent again."""
        with self._lock:
            for r in records:
                d = Delivery(
                    str(r["id"]), str(r["endpoint_id"]), str(r["endpoint_url"]), str(r["event_id"]),
                    str(r["event"]), b"", "", str(r["status"]), list(r.get("attempts") or []), r.get("reason"),
                )  # fmt: skip
                self._records.append(d)

    def reset(self) -> None:
        """Forget every delivery, queued or recorded."""
        with self._lock:
            self._queue.clear()
            self._records.clear()
            self._generation += 1

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._lock.wait(wait)
                _, _, d = heapq.heappop(self._queue)
                generation = self._generation
            self._attempt(d, generation)

    def _attempt(self, d: Delivery, generation: int) -> None:
        now = self.wall_clock()
        headers = {
            "Content-Type": "application/json",
            "WorkOS-Signature": signature_header(d.secret, d.body, int(now * 1000)),
            "User-Agent": "WorkOS-Emulator-Webhooks",
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.sender(d.endpoint_url, d.body, headers, TIMEOUT)
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        with self._lock:
            if generation != self._generation:
                return
            d.attempts.append({"at": now, "status": status, "error": error})
            if status is not None and 200 <= status < 300:
                d.status = "delivered"
            elif len(d.attempts) > len(self.retry_delays):
                d.status, d.reason = "failed", f"no 2xx answer after {len(d.attempts)} attempts"
            else:
                due = time.monotonic() + self.retry_delays[len(d.attempts) - 1]
                heapq.heappush(self._queue, (due, next(self._seq), d))

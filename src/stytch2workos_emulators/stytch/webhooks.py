"""Stytch B2B webhooks as Svix delivers them: events, signatures, retries, fault knobs.

Every organization or member create, update and delete emits one event named
``{source}.{object_type}.{action}`` (``direct.member.update``), with source ``direct``
for API writes and ``dashboard`` or ``scim`` for changes the control API plays as made
there. The body carries ``project_id``, ``event_id``, ``action`` (``CREATE|UPDATE|DELETE``),
``object_type``, ``source`` (``DIRECT|DASHBOARD|SCIM``), ``id``, ``timestamp`` (ISO 8601
with microseconds) and ``vertical: "B2B"``; CREATE and UPDATE add the whole object under
the key named by ``object_type``, DELETE does not. Deleting an organization emits one
``organization`` DELETE; whether Stytch also emits one per member it takes along is not
documented, and this emulator does not.

Signing follows Svix's documented scheme, written out here rather than borrowed from the
``svix`` package so the receiver's use of that package is checked against the scheme:
HMAC-SHA256 over ``"{svix-id}.{svix-timestamp}.{body}"`` keyed with the base64-decoded
part of the ``whsec_`` secret, sent as ``svix-signature: v1,<base64>``; the timestamp is
Unix seconds, signed afresh for each attempt, and ``svix-id`` is the same on every retry.

Delivery never delays the API answer: a daemon thread posts each message to every
endpoint. A 2xx within the timeout (Svix: about 15 s) delivers it; anything else is
retried after Svix's schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) multiplied by
``retry_scale`` (tests use 0.001), then marked ``failed``. Only loopback addresses are
contacted. Fault knobs: ``duplicate`` sends every message twice; ``reorder_window`` holds
messages for that many seconds and sends each batch newest first (Svix promises no order).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from stytch2workos_emulators.workos.delivery import is_loopback, post

SOURCES = {"direct": "DIRECT", "dashboard": "DASHBOARD", "scim": "SCIM"}
OBJECT_TYPES = ("organization", "member")
ACTIONS = ("CREATE", "UPDATE", "DELETE")
SVIX_RETRY_DELAYS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
SVIX_TIMEOUT = 15.0


@dataclass
class Settings:
    """The delivery knobs a seed (``webhook_settings``) or the control API sets."""

    retry_scale: float = 1.0
    timeout: float = SVIX_TIMEOUT
    duplicate: bool = False
    reorder_window: float = 0.0

    def update(self, values: Mapping[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown webhook setting {name!r} (known: {', '.join(sorted(known))})")
            if name == "duplicate":
                if not isinstance(value, bool):
                    raise ValueError("duplicate must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60:
                raise ValueError(f"{name} must be a number from 0 to 60")
            setattr(self, name, value)


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    secret: str = field(repr=False)


def signing_key(secret: str) -> bytes:
    """The HMAC key: the base64 part of ``whsec_...`` decoded (ValueError if it is not base64)."""
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ValueError("a webhook secret is whsec_ followed by base64") from None


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``svix-signature`` value for one attempt."""
    message = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def event_payload(
    project_id: str, env: str, source: str, object_type: str, action: str, object_id: str,
    obj: Mapping[str, Any] | None, now: float,
) -> dict[str, Any]:  # fmt: skip
    """One event's body; ``obj`` is the object as it stands after the change (None: DELETE)."""
    payload: dict[str, Any] = {
        "project_id": project_id,
        "event_id": f"event-{env}-{uuid.uuid4()}",
        "action": action,
        "object_type": object_type,
        "source": SOURCES[source],
        "id": object_id,
        "timestamp": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "vertical": "B2B",
    }
    if action != "DELETE" and obj is not None:
        payload[object_type] = obj
    return payload


@dataclass
class Delivery:
    """One message on its way to one endpoint (a duplicate is a second delivery, copy 1)."""

    msg_id: str
    endpoint: Endpoint
    event_type: str
    event_id: str
    object_id: str
    body: bytes
    copy: int = 0
    status: str = "pending"  # pending | delivered | failed | skipped
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """As the control API shows it: no secret; the body as JSON."""
        return {
            "msg_id": self.msg_id,
            "endpoint_id": self.endpoint.id,
            "endpoint_url": self.endpoint.url,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "object_id": self.object_id,
            "copy": self.copy,
            "status": self.status,
            "attempts": [dict(a) for a in self.attempts],
            "payload": json.loads(self.body),
        }


Sender = Callable[[str, bytes, dict[str, str], float], int]


class StytchWebhooks:
    """Endpoints, settings and a delivery thread for one emulated project."""

    def __init__(
        self, project_id: str, env: str, sender: Sender = post, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.project_id, self.env = project_id, env
        self.sender, self.wall_clock = sender, wall_clock
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._records: list[Delivery] = []
        self._seq = itertools.count()
        self._generation = 0  # bumped by reset(): attempts begun before it are forgotten
        self._batch_due: float | None = None
        self._thread: threading.Thread | None = None
        self.endpoints: list[Endpoint] = []
        self.settings = Settings()

    # -- configuration -----------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.endpoints = []
            self.settings = Settings()
            self._queue.clear()
            self._records.clear()
            self._batch_due = None
            self._generation += 1

    def add_endpoint(self, raw: Any) -> Endpoint:
        """Register ``{"url", "secret"}`` (ValueError when either is unusable)."""
        if not isinstance(raw, Mapping):
            raise ValueError("a webhook endpoint is an object {url, secret}")
        url, secret = raw.get("url"), raw.get("secret")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("a webhook endpoint needs an http(s) url")
        if not isinstance(secret, str) or not secret.startswith("whsec_"):
            raise ValueError("a webhook endpoint needs a secret starting with whsec_")
        signing_key(secret)
        with self._lock:
            endpoint = Endpoint(str(raw.get("id") or f"ep_{uuid.uuid4().hex[:24]}"), url, secret)
            self.endpoints.append(endpoint)
        return endpoint

    def configure(self, values: Any) -> None:
        if not isinstance(values, Mapping):
            raise ValueError("webhook_settings must be an object")
        with self._lock:
            self.settings.update(values)

    def dump(self) -> dict[str, Any]:
        """Endpoints (secrets included, like a seed) and settings."""
        with self._lock:
            return {
                "webhooks": [{"id": e.id, "url": e.url, "secret": e.secret} for e in self.endpoints],
                "webhook_settings": {f.name: getattr(self.settings, f.name) for f in fields(Settings)},
            }

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.record() for d in self._records]

    # -- events ------------------------------------------------------------------------

    def emit(
        self, source: str, object_type: str, action: str, object_id: str, obj: Mapping[str, Any] | None
    ) -> None:
        """Queue one event for every endpoint; the object is serialized now, as it stands."""
        if not self.endpoints:
            return
        payload = event_payload(
            self.project_id, self.env, source, object_type, action, object_id, obj, self.wall_clock()
        )
        body = json.dumps(payload, separators=(",", ":")).encode()
        event_type = f"{source}.{object_type}.{action.lower()}"
        with self._lock:
            now = time.monotonic()
            due, order = now, 1
            if self.settings.reorder_window > 0:
                if self._batch_due is None or self._batch_due <= now:
                    self._batch_due = now + self.settings.reorder_window
                due, order = self._batch_due, -1  # later messages of a batch go first
            for endpoint in self.endpoints:
                msg_id = f"msg_{uuid.uuid4().hex}"
                copies = 2 if self.settings.duplicate else 1
                for copy in range(copies):
                    d = Delivery(msg_id, endpoint, event_type, payload["event_id"], object_id, body, copy)
                    self._records.append(d)
                    if not is_loopback(endpoint.url):
                        d.status = "skipped"
                        continue
                    heapq.heappush(self._queue, (due, order * next(self._seq), d))
            self._start()
            self._lock.notify()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stytch-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    self._lock.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                _, _, d = heapq.heappop(self._queue)
                generation, timeout = self._generation, self.settings.timeout
            self._attempt(d, generation, timeout)

    def _attempt(self, d: Delivery, generation: int, timeout: float) -> None:
        now = self.wall_clock()
        stamp = int(now)
        headers = {
            "Content-Type": "application/json",
            "svix-id": d.msg_id,
            "svix-timestamp": str(stamp),
            "svix-signature": signature(d.endpoint.secret, d.msg_id, stamp, d.body),
            "User-Agent": "Svix-Webhooks (Stytch emulator)",
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.sender(d.endpoint.url, d.body, headers, timeout)
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        with self._lock:
            if generation != self._generation:
                return
            d.attempts.append({"at": now, "status": status, "error": error})
            if status is not None and 200 <= status < 300:
                d.status = "delivered"
            elif len(d.attempts) > len(SVIX_RETRY_DELAYS):
                d.status = "failed"
            else:
                delay = SVIX_RETRY_DELAYS[len(d.attempts) - 1] * self.settings.retry_scale
                heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), d))

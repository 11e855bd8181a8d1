"""A receiver for WorkOS webhooks: each event verified, then stored in the workspace once.

``stytch2workos handoff --listen PORT`` runs it. WorkOS signs every delivery with the
endpoint's secret (``WorkOS-Signature: t=<ms>, v1=<hex HMAC>``); the SDK's own helper
checks it, so a forged body, a wrong secret or a signature older than the SDK's
tolerance (180 s: a replay) is refused with a log line that says which, and never
the secret. WorkOS delivers at least once: an event id seen before is answered 200
(so WorkOS stops retrying) and ignored. ``handoff`` reads the stored events.

Loopback by default: WorkOS needs an HTTPS address, which a reverse proxy or tunnel
in front of this port provides.
"""

from __future__ import annotations

import http.server
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from workos import WorkOSClient

from stytch2workos.destination.handoff import event_row
from stytch2workos.workspace import Workspace, now_iso
from stytch2workos.workspace.handoff import record_event

MAX_BODY = 1024 * 1024  # a WorkOS event is a few kilobytes
TOLERANCE = 180  # seconds: the SDK's default


@dataclass(frozen=True)
class Answer:
    status: int
    log: str  # one line for the operator: what happened, nothing secret


class Handles(Protocol):
    """What :func:`serve` drives: an answer for each delivery (WorkOS's or Stytch's)."""

    def handle(self, headers: Mapping[str, str], body: bytes) -> Answer: ...


class Receiver:
    """Verifies and stores WorkOS webhook deliveries (one per :meth:`handle` call)."""

    def __init__(self, ws: Workspace, client: WorkOSClient, secret: str, tolerance: int = TOLERANCE) -> None:
        self.ws, self.client, self._secret, self.tolerance = ws, client, secret, tolerance

    def handle(self, headers: Mapping[str, str], body: bytes) -> Answer:
        """The answer to one delivery (header names in lower case)."""
        signature = headers.get("workos-signature")
        if not signature:
            return Answer(400, "refused: no WorkOS-Signature header")
        hooks = self.client.webhooks
        try:
            hooks.verify_header(
                event_body=body, event_signature=signature, secret=self._secret, tolerance=self.tolerance
            )
        except (ValueError, UnicodeDecodeError) as exc:
            text = str(exc.args[0]) if exc.args else ""
            if "tolerance" in text:
                reason = (
                    f"stale signature (signed more than {self.tolerance} s from now: a replay, or this "
                    "machine's clock is off)"
                )
            elif "extract" in text:
                reason = "malformed WorkOS-Signature header"
            else:
                reason = "signature does not match (forged, or WORKOS_WEBHOOK_SECRET is not this endpoint's secret)"
            return Answer(401, f"refused: {reason}")
        try:
            event = hooks.verify_event(
                event_body=body, event_signature=signature, secret=self._secret, tolerance=self.tolerance
            )
            row = event_row(event.to_dict(), now_iso())
        except Exception as exc:  # signed by WorkOS, but not an event the SDK reads
            return Answer(
                400, f"refused: signed, but not a WorkOS event this SDK can read ({type(exc).__name__})"
            )
        if not row.event_id:
            return Answer(400, "refused: signed, but the event has no id")
        if not record_event(self.ws, row):
            return Answer(200, f"ignored repeated event {row.event_id} ({row.event})")
        where = f" in organization {row.organization_id}" if row.organization_id else ""
        return Answer(200, f"recorded {row.event} {row.object_id or ''}{where} (event {row.event_id})")


def serve(
    receiver: Handles,
    host: str,
    port: int,
    log: Callable[[str], None],
    on_ready: Callable[[str], None],
) -> None:
    """Serve until interrupted (a signal raises in this thread and ends it)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            if not length.isdigit() or int(length) > MAX_BODY:
                answer = Answer(413 if length.isdigit() else 411, "refused: missing or oversized body")
            else:
                body = self.rfile.read(int(length))
                try:
                    answer = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
                except Exception as exc:  # the workspace failed (a full disk): the sender delivers again
                    answer = Answer(
                        500, f"could not store the event ({type(exc).__name__}); the sender retries it"
                    )
            log(f"{self.client_address[0]} POST {self.path[:80]}: {answer.log}")
            self.send_response(answer.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per delivery, from do_POST

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    try:
        bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
        on_ready(f"http://{bound_host}:{bound_port}/")
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()

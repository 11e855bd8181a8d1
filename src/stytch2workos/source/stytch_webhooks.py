"""Stytch webhooks, delivered by Svix: check a delivery and read the event from it.

Pure (no I/O): headers and raw body in, a :class:`Verdict` out. The signature is checked
with the ``svix`` package (``Webhook(secret).verify``: HMAC-SHA256 over ``id.timestamp.body``
with the base64-decoded ``whsec_`` secret, compared in constant time, timestamps more than
5 minutes off refused). svix 2.x returns None from ``verify``, so the body is parsed here,
after the check. Only what identifies the change is kept: the object in the body is a copy
from when the event was made, and deliveries come unordered, so the receiver re-reads the
object from Stytch instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from svix.webhooks import Webhook, WebhookVerificationError

from stytch2workos.errors import ConfigError
from stytch2workos.workspace.stytch_events import StytchEvent

# Object types sync keeps in step; events about others (SSO and SCIM connections) are noted.
KEPT_OBJECT_TYPES = ("member", "organization")
ACTIONS = ("CREATE", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Verdict:
    """What to answer and why: ``event`` is set when the delivery is genuine and readable.

    ``reason`` is a short code for counting refusals (``forged``, ``stale``...), ``message``
    one line for the operator; neither ever holds the secret or the body.
    """

    status: int
    reason: str
    message: str
    event: StytchEvent | None = None


def verifier(secret: str) -> Webhook:
    """The svix verifier for ``STYTCH_WEBHOOK_SECRET`` (ConfigError when it is not one)."""
    try:
        return Webhook(secret)
    except Exception as exc:  # bad base64 (binascii.Error), or svix's own error for an empty key
        raise ConfigError(
            "STYTCH_WEBHOOK_SECRET is not a Svix signing secret (whsec_ followed by base64): copy it "
            f"from the Stytch Dashboard → Webhooks → the endpoint's signing secret ({type(exc).__name__})"
        ) from None


def check(hook: Webhook, headers: Mapping[str, str], body: bytes) -> Verdict:
    """Verify one delivery (header names in any case) and read its event."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("svix-id") or lower.get("webhook-id") or ""
    try:
        hook.verify(body, lower)
    except WebhookVerificationError as exc:
        text = str(exc)
        if "too old" in text or "too new" in text:
            return Verdict(
                400,
                "stale",
                "refused: stale timestamp (more than 5 minutes from this machine's clock: a replay, "
                "or the clock is off)",
            )
        if "Missing" in text or "Invalid" in text:
            return Verdict(
                400, "malformed", "refused: missing or malformed svix-id/svix-timestamp/svix-signature"
            )
        return Verdict(
            401,
            "forged",
            "refused: signature does not match (forged, or STYTCH_WEBHOOK_SECRET is not this endpoint's secret)",
        )
    except ValueError:  # a signature that is not "v1,<base64>", a body that is not UTF-8
        return Verdict(400, "malformed", "refused: malformed svix-signature header or body")
    return _read(msg_id, body)


def _read(msg_id: str, body: bytes) -> Verdict:
    try:
        data = json.loads(body)
    except ValueError:
        return Verdict(400, "not_an_event", "refused: signed, but the body is not JSON")
    if not isinstance(data, dict):
        return Verdict(400, "not_an_event", "refused: signed, but the body is not a JSON object")
    fields = {name: data.get(name) for name in ("object_type", "id", "action", "timestamp")}
    missing = [name for name, value in fields.items() if not isinstance(value, str) or not value]
    if missing:
        return Verdict(
            400, "not_an_event", f"refused: signed, but not a Stytch event (no {', '.join(missing)})"
        )
    event_id = data.get("event_id")
    event = StytchEvent(
        msg_id=msg_id,
        event_id=event_id if isinstance(event_id, str) and event_id else None,
        object_type=str(fields["object_type"]),
        object_id=str(fields["id"]),
        action=str(fields["action"]).upper(),
        source=str(data.get("source") or "").upper(),
        event_at=str(fields["timestamp"]),
    )
    return Verdict(
        200, "accepted", f"{event.source.lower()}.{event.object_type}.{event.action.lower()}", event
    )

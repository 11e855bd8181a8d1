"""Webhook endpoints (``/webhook_endpoints``) and the ``WorkOS-Signature`` header.

Endpoints made through the API follow the spec: an HTTPS ``endpoint_url`` (422
``invalid_url``), a non-empty list of known event names (422 ``unknown_event_type``),
one endpoint per URL (409 ``duplicate_endpoint``), and a ``whsec_`` secret WorkOS
generates. The seed can also register endpoints on plain-HTTP loopback URLs, which is
how a test's receiver gets deliveries (:mod:`.delivery`).

Signature (the SDK's ``verify_header``): ``t=<unix ms>, v1=<hex HMAC-SHA256>`` over
``f"{t}.{raw body}"``, keyed with the secret's UTF-8 bytes exactly as WorkOS returns
it: no prefix stripped, no base64 decoding (unlike Svix).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import body_of, fail, field_error, invalid, not_found, text
from stytch2workos_emulators.workos.handoff_models import WebhookEndpoint, webhook_endpoint_json
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.state import State

# The names CreateWebhookEndpointDto accepts: the spec's enum and the SDK 10.8 enum (a superset).
SUBSCRIBABLE_EVENTS = frozenset(
    {
        "agent.blueprint.created", "agent.blueprint.deleted", "agent.blueprint.updated",
        "agent.instance.created", "agent.instance.deleted", "agent.instance.session.created",
        "agent.instance.session.revoked", "agent.registration.claim.attempt.created",
        "agent.registration.claim.completed", "agent.registration.created",
        "agent.registration.credential.issued", "agent.registration.deleted",
        "agent.registration.expired", "agent.registration.organization.switched",
        "agent.registration.refreshed", "agent.registration.revoked", "api_key.created",
        "api_key.revoked", "api_key.updated", "authentication.email_verification_succeeded",
        "authentication.magic_auth_failed", "authentication.magic_auth_succeeded",
        "authentication.mfa_succeeded", "authentication.oauth_failed",
        "authentication.oauth_succeeded", "authentication.passkey_failed",
        "authentication.passkey_succeeded", "authentication.password_failed",
        "authentication.password_succeeded", "authentication.radar_risk_detected",
        "authentication.reauthentication_succeeded", "authentication.sso_failed",
        "authentication.sso_started", "authentication.sso_succeeded",
        "authentication.sso_timed_out", "connection.activated", "connection.deactivated",
        "connection.deleted", "connection.saml_certificate_renewal_required",
        "connection.saml_certificate_renewed", "dsync.activated", "dsync.deleted",
        "dsync.group.created", "dsync.group.deleted", "dsync.group.updated",
        "dsync.group.user_added", "dsync.group.user_removed", "dsync.user.created",
        "dsync.user.deleted", "dsync.user.updated", "email_verification.created",
        "feature_flags.flag.created", "feature_flags.flag.deleted", "feature_flags.flag.updated",
        "feature_flags.flag_rule.created", "feature_flags.flag_rule.deleted",
        "feature_flags.flag_rule.updated", "feature_flags.flag_target.created",
        "feature_flags.flag_target.deleted", "flag.created", "flag.deleted", "flag.rule_updated",
        "flag.updated", "group.created", "group.deleted", "group.member_added",
        "group.member_removed", "group.updated", "invitation.accepted", "invitation.created",
        "invitation.resent", "invitation.revoked", "magic_auth.created", "organization.created",
        "organization.deleted", "organization.updated", "organization_domain.created",
        "organization_domain.deleted", "organization_domain.updated",
        "organization_domain.verification_failed", "organization_domain.verified",
        "organization_membership.created", "organization_membership.deleted",
        "organization_membership.updated", "organization_role.created", "organization_role.deleted",
        "organization_role.updated", "password_reset.created", "password_reset.succeeded",
        "permission.created", "permission.deleted", "permission.updated",
        "pipes.account_connection.add_failed", "pipes.account_connection.connected",
        "pipes.account_connection.connection_failed", "pipes.account_connection.disconnected",
        "pipes.account_connection.reauthorization_needed", "pipes.connected_account.connected",
        "pipes.connected_account.connection_failed", "pipes.connected_account.disconnected",
        "pipes.connected_account.reauthorization_needed", "radar.challenge_created", "role.created",
        "role.deleted", "role.updated", "session.created", "session.revoked", "user.created",
        "user.deleted", "user.updated", "waitlist_user.approved", "waitlist_user.created",
        "waitlist_user.denied",
    }
)  # fmt: skip
ENDPOINT_STATUSES = ("enabled", "disabled")
_SECRET_ALPHABET = string.ascii_letters + string.digits


def new_secret() -> str:
    """A signing secret shaped like the spec's example (``whsec_`` and 25 characters)."""
    return "whsec_" + "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(25))


def signature_header(secret: str, body: bytes, timestamp_ms: int) -> str:
    """The ``WorkOS-Signature`` value for ``body`` signed at ``timestamp_ms``."""
    message = f"{timestamp_ms}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"t={timestamp_ms}, v1={digest}"


def subscribed(endpoint: WebhookEndpoint, event_name: str) -> bool:
    """Whether an enabled endpoint wants this event."""
    return endpoint.status == "enabled" and event_name in endpoint.events


def _events(body: dict[str, Any]) -> list[str]:
    value = body.get("events")
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        field_error("events", "events_array_required", "events must be a non-empty array of event names.")
    unknown = [name for name in value if name not in SUBSCRIBABLE_EVENTS]
    if unknown:
        invalid([{"field": "events", "code": "unknown_event_type", "message": f"Invalid enum value: {n}."}
                 for n in unknown])  # fmt: skip
    return list(dict.fromkeys(value))


class WebhookEndpointsAPI:
    """Handlers for the webhook endpoint CRUD."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/webhook_endpoints", self.list),
            ("POST", "/webhook_endpoints", self.create),
            ("PATCH", "/webhook_endpoints/{id}", self.update),
            ("DELETE", "/webhook_endpoints/{id}", self.delete),
        ]

    def _endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        w = self.state.handoff.webhook_endpoints.get(endpoint_id)
        if w is None:
            not_found("Webhook endpoint", endpoint_id)
        return w

    def _url(self, body: dict[str, Any], required: bool, owner: str | None = None) -> str | None:
        url = text(body, "endpoint_url", required=required)
        if url is None:
            return None
        if not url.startswith("https://") or len(url) <= len("https://"):
            fail(422, "invalid_url", "endpoint_url must be an HTTPS URL.")
        for w in self.state.handoff.webhook_endpoints:
            if w.endpoint_url == url and w.id != owner:
                fail(409, "duplicate_endpoint", f"A webhook endpoint for {url} already exists.")
        return url

    def list(self, request: Request) -> Response:
        endpoints = self.state.handoff.webhook_endpoints
        return Response(200, list_page(request, endpoints, webhook_endpoint_json))

    def create(self, request: Request) -> Response:
        body = body_of(request)
        events = _events(body)
        url = self._url(body, True)
        assert url is not None
        endpoint_id, now = self.state.ids.stamp("we")
        w = WebhookEndpoint(endpoint_id, url, new_secret(), events, now, now)
        self.state.handoff.webhook_endpoints.add(w.id, w.created_at, w)
        return Response(201, webhook_endpoint_json(w))

    def update(self, request: Request) -> Response:
        w = self._endpoint(request.params["id"])
        body = body_of(request)
        url = self._url(body, False, w.id)
        status = text(body, "status")
        if status is not None and status not in ENDPOINT_STATUSES:
            field_error("status", "invalid_status", "status must be enabled or disabled.")
        events = _events(body) if body.get("events") is not None else None
        w.endpoint_url = url or w.endpoint_url
        w.status = status or w.status
        w.events = events if events is not None else w.events
        w.updated_at = self.state.ids.now()
        return Response(200, webhook_endpoint_json(w))

    def delete(self, request: Request) -> Response:
        self.state.handoff.webhook_endpoints.remove(self._endpoint(request.params["id"]).id)
        return Response(204)

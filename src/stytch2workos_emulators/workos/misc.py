"""Admin Portal links (``/portal/...``); roles and permissions live in :mod:`.authorization`."""

from __future__ import annotations

import secrets

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import body_of, field_error, is_email, not_found, string_list, text
from stytch2workos_emulators.workos.state import State
from stytch2workos_emulators.workos.store import iso_from_ms

# GenerateLinkIntent in the SDK.
PORTAL_INTENTS = (
    "sso",
    "dsync",
    "audit_logs",
    "log_streams",
    "domain_verification",
    "certificate_renewal",
    "bring_your_own_key",
)
MAX_IT_CONTACTS = 20
# "Expires five minutes after issuance" (Admin Portal docs): kept in the link's record.
LINK_LIFETIME_MS = 5 * 60 * 1000
# A .test host (RFC 2606) so a generated link can never reach a real service.
PORTAL_URL = "https://setup.workos.test/portal/launch?secret={token}"


class PortalAPI:
    """Admin Portal links: generated and revoked, recorded for the control API's dump."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/portal/generate_link", self.generate),
            ("POST", "/portal/revoke_link", self.revoke),
        ]

    def generate(self, request: Request) -> Response:
        body = body_of(request)
        org_id = text(body, "organization", required=True)
        assert org_id is not None
        intent = text(body, "intent")
        if intent is not None and intent not in PORTAL_INTENTS:
            field_error("intent", "invalid_intent", f"intent must be one of: {', '.join(PORTAL_INTENTS)}.")
        contacts = string_list(body, "it_contact_emails") or []
        if len(contacts) > MAX_IT_CONTACTS or not all(is_email(c.strip().lower()) for c in contacts):
            field_error(
                "it_contact_emails",
                "invalid_it_contact_emails",
                f"it_contact_emails takes at most {MAX_IT_CONTACTS} valid email addresses.",
            )
        for name in ("return_url", "success_url", "external_user_id"):
            text(body, name)
        if org_id not in self.state.orgs.by_id:
            not_found("Organization", org_id)
        link = PORTAL_URL.format(token=secrets.token_urlsafe(24))
        now_ms = int(self.state.ids.clock() * 1000)
        self.state.portal_links.append(
            {
                "organization": org_id,
                "intent": intent,
                "external_user_id": body.get("external_user_id"),
                "return_url": body.get("return_url"),
                "success_url": body.get("success_url"),
                "it_contact_emails": contacts,
                "link": link,
                "created_at": iso_from_ms(now_ms),
                "expires_at": iso_from_ms(now_ms + LINK_LIFETIME_MS),
                "revoked": False,
            }
        )
        return Response(201, {"link": link})

    def revoke(self, request: Request) -> Response:
        body = body_of(request)
        org_id = text(body, "organization", required=True)
        external_user_id = text(body, "external_user_id", required=True)
        assert org_id is not None
        if org_id not in self.state.orgs.by_id:
            not_found("Organization", org_id)
        for link in self.state.portal_links:
            if link["organization"] == org_id and link["external_user_id"] == external_user_id:
                link["revoked"] = True
        return Response(200)

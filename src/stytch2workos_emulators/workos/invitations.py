"""``/user_management/invitations``: send, get, list, revoke.

No email leaves the emulator; the invitation's accept link points at a
``.test`` host so it can never reach a real one.

A second invitation for an email (to the same organization, or to none) while one
is pending is refused, as by the real API, unless the setting
``allow_repeated_invitations`` is on; then it becomes another pending invitation.
"""

from __future__ import annotations

import secrets
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import (
    body_of,
    email_field,
    fail,
    field_error,
    normalize_email,
    not_found,
    text,
)
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Invitation, invitation_json
from stytch2workos_emulators.workos.state import EMPTY, State
from stytch2workos_emulators.workos.store import iso_from_ms

ACCEPT_URL = "https://auth.workos.test/invite?invitation_token={token}"
EXPIRY_DAYS = (1, 30)
DEFAULT_EXPIRY_DAYS = 7
DAY_MS = 86_400_000


class InvitationsAPI:
    """Handlers for the invitation endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        base = "/user_management/invitations"
        return [
            ("GET", base, self.list),
            ("POST", base, self.send),
            ("GET", base + "/{id}", self.get),
            ("POST", base + "/{id}/revoke", self.revoke),
        ]

    def current_state(self, inv: Invitation) -> str:
        """The stored state, except that a pending invitation past its expiry reads as expired."""
        if inv.state == "pending" and inv.expires_at <= self.state.ids.now():
            return "expired"
        return inv.state

    def render(self, inv: Invitation) -> dict[str, Any]:
        return invitation_json(inv, self.current_state(inv), ACCEPT_URL.format(token=inv.token))

    def _invitation(self, invitation_id: str) -> Invitation:
        inv = self.state.invitations.get(invitation_id)
        if inv is None:
            not_found("Invitation", invitation_id)
        return inv

    def send(self, request: Request) -> Response:
        state = self.state
        body = body_of(request)
        email = email_field(body)
        assert email is not None
        org_id = text(body, "organization_id")
        role_slug = text(body, "role_slug")
        inviter = text(body, "inviter_user_id")
        text(body, "locale")
        days = body.get("expires_in_days", DEFAULT_EXPIRY_DAYS)
        if days is None:
            days = DEFAULT_EXPIRY_DAYS
        if not isinstance(days, int) or isinstance(days, bool):
            field_error("expires_in_days", "expires_in_days_integer_required", "Must be an integer.")
        if org_id is not None and org_id not in state.orgs.by_id:
            not_found("Organization", org_id)
        if inviter is not None and inviter not in state.users.by_id:
            not_found("User", inviter)
        if days < EXPIRY_DAYS[0]:
            fail(400, "expires_in_days_too_short", "expires_in_days must be at least 1.")
        if days > EXPIRY_DAYS[1]:
            fail(400, "expires_in_days_too_long", "expires_in_days must be at most 30.")
        if role_slug is not None and state.find_role(org_id, role_slug) is None:
            fail(400, "invalid_role", f"Role '{role_slug}' is not a valid role.")
        self._check_not_invited(email, org_id)
        invitation_id, now = state.ids.stamp("invitation")
        expires = iso_from_ms(int(state.ids.clock() * 1000) + days * DAY_MS)
        inv = Invitation(invitation_id, email, expires, secrets.token_urlsafe(18), now, now)
        inv.organization_id, inv.inviter_user_id, inv.role_slug = org_id, inviter, role_slug
        state.add_invitation(inv)
        return Response(201, self.render(inv))

    def _check_not_invited(self, email: str, org_id: str | None) -> None:
        state = self.state
        user_id = state.user_by_email.get(email)
        if org_id is None and user_id is not None:
            fail(400, "user_already_exists", f"A user with email '{email}' already exists.")
        if org_id is not None and user_id is not None:
            membership_id = state.membership_by_pair.get((user_id, org_id))
            membership = state.memberships.get(membership_id) if membership_id else None
            if membership is not None and membership.status == "active":
                fail(
                    400,
                    "user_already_organization_member",
                    f"'{email}' is already a member of organization '{org_id}'.",
                )
        if state.settings.allow_repeated_invitations:
            return
        for invitation_id in state.invitations_by_email.get(email, EMPTY):
            other = state.invitations.by_id[invitation_id]
            if other.organization_id == org_id and self.current_state(other) == "pending":
                if org_id is None:
                    fail(400, "email_already_invited", f"'{email}' already has a pending invitation.")
                fail(
                    400,
                    "email_already_invited_to_organization",
                    f"'{email}' already has a pending invitation to organization '{org_id}'.",
                )

    def get(self, request: Request) -> Response:
        return Response(200, self.render(self._invitation(request.params["id"])))

    def list(self, request: Request) -> Response:
        state = self.state
        org_id = request.q("organization_id")
        email = request.q("email")
        by_email = state.invitations_by_email.get(normalize_email(email or ""), EMPTY)
        if org_id is None:
            keys = None if email is None else by_email.keys
        elif email is None:
            keys = state.invitations_by_org.get(org_id, EMPTY).keys
        else:
            keys = [key for key in by_email.keys if state.invitations.by_id[key[1]].organization_id == org_id]
        return Response(200, list_page(request, state.invitations, self.render, keys))

    def revoke(self, request: Request) -> Response:
        inv = self._invitation(request.params["id"])
        if self.current_state(inv) != "pending":
            fail(400, "invite_not_pending", f"Invitation '{inv.id}' is not pending.")
        now = self.state.ids.now()
        inv.state, inv.revoked_at, inv.updated_at = "revoked", now, now
        return Response(200, self.render(inv))

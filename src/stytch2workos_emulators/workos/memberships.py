"""``/user_management/organization_memberships``: create, get, list, update roles,
deactivate, reactivate, delete.

Creating a membership for a user and organization that already have an
inactive one reactivates it (SDK docstring); an active one is a 409 conflict.
"""

from __future__ import annotations

from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import body_of, fail, field_error, not_found, text
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Membership
from stytch2workos_emulators.workos.state import EMPTY, State

STATUSES = ("active", "inactive", "pending")


def requested_roles(body: dict[str, Any]) -> list[str] | None:
    """``role_slug`` or ``role_slugs`` (never both) as a de-duplicated list; None if absent."""
    single = text(body, "role_slug")
    many = body.get("role_slugs")
    if single is not None and many is not None:
        field_error("role_slugs", "role_slug_and_role_slugs_provided", "Send role_slug or role_slugs.")
    if many is not None:
        if not isinstance(many, list) or not many or not all(isinstance(s, str) for s in many):
            field_error("role_slugs", "role_slugs_array_required", "role_slugs must be a non-empty array.")
        return list(dict.fromkeys(many))
    return [single] if single is not None else None


class MembershipsAPI:
    """Handlers for the organization-membership endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        base = "/user_management/organization_memberships"
        return [
            ("GET", base, self.list),
            ("POST", base, self.create),
            ("GET", base + "/{id}", self.get),
            ("PUT", base + "/{id}", self.update),
            ("DELETE", base + "/{id}", self.delete),
            ("PUT", base + "/{id}/deactivate", self.deactivate),
            ("PUT", base + "/{id}/reactivate", self.reactivate),
        ]

    def _membership(self, membership_id: str) -> Membership:
        membership = self.state.memberships.get(membership_id)
        if membership is None:
            not_found("Organization membership", membership_id)
        return membership

    def _out(self, status: int, membership: Membership) -> Response:
        return Response(status, self.state.membership_out(membership))

    def _check_roles(self, org_id: str, slugs: list[str]) -> list[str]:
        if len(slugs) > 1 and not self.state.settings.multiple_roles:
            fail(
                422,
                "multiple_roles_not_enabled",
                "Multiple roles are not enabled for this environment.",
            )
        for slug in slugs:
            if self.state.find_role(org_id, slug) is None:
                fail(422, "invalid_role", f"Role '{slug}' is not a valid role.", role_slug=slug)
        return self.state.ordered_roles(org_id, slugs)

    def create(self, request: Request) -> Response:
        state = self.state
        body = body_of(request)
        user_id = text(body, "user_id", required=True)
        org_id = text(body, "organization_id", required=True)
        assert user_id is not None and org_id is not None
        wanted = requested_roles(body)
        if user_id not in state.users.by_id:
            not_found("User", user_id)
        if org_id not in state.orgs.by_id:
            not_found("Organization", org_id)
        existing_id = state.membership_by_pair.get((user_id, org_id))
        existing = state.memberships.by_id[existing_id] if existing_id else None
        if existing is not None and existing.status == "pending":
            fail(
                400,
                "cannot_reactivate_pending_organization_membership",
                "A pending membership cannot be reactivated.",
            )
        if existing is not None and existing.status == "active":
            fail(
                409,
                "organization_membership_already_exists",
                f"User '{user_id}' is already a member of organization '{org_id}'.",
            )
        slugs = self._check_roles(org_id, wanted or [state.default_role()])
        if existing is not None:
            existing.status = "active"
            if wanted is not None:
                existing.role_slugs = slugs
            existing.updated_at = state.ids.now()
            return self._out(201, existing)
        membership_id, now = state.ids.stamp("om")
        membership = Membership(membership_id, user_id, org_id, slugs, now, now)
        state.add_membership(membership)
        return self._out(201, membership)

    def get(self, request: Request) -> Response:
        return self._out(200, self._membership(request.params["id"]))

    def list(self, request: Request) -> Response:
        state = self.state
        user_id = request.q("user_id")
        org_id = request.q("organization_id")
        if not user_id and not org_id:
            fail(
                400,
                "missing_user_id_or_organization_id",
                "Either user_id or organization_id must be provided.",
            )
        statuses = request.q_list("statuses") or ["active"]
        for status in statuses:
            if status not in STATUSES:
                field_error("statuses", "invalid_status", "statuses must be active, inactive or pending.")
        if user_id and org_id:
            pair = state.membership_by_pair.get((user_id, org_id))
            keys = state.memberships.keys_for([pair] if pair else [])
        elif user_id:
            keys = state.memberships_by_user.get(user_id, EMPTY).keys
        else:
            keys = state.memberships_by_org.get(org_id or "", EMPTY).keys
        wanted = set(statuses)
        page = list_page(request, state.memberships, state.membership_out, keys, lambda m: m.status in wanted)
        return Response(200, page)

    def update(self, request: Request) -> Response:
        membership = self._membership(request.params["id"])
        wanted = requested_roles(body_of(request))
        if wanted is not None:
            membership.role_slugs = self._check_roles(membership.organization_id, wanted)
            membership.updated_at = self.state.ids.now()
        return self._out(200, membership)

    def _set_status(self, request: Request, status: str, verb: str) -> Response:
        membership = self._membership(request.params["id"])
        if membership.status == "pending":
            fail(
                400,
                f"cannot_{verb}_pending_organization_membership",
                f"A pending membership cannot be {verb}d; delete it instead.",
            )
        # Already in the requested state: a no-op, as the SDK documents.
        if membership.status != status:
            membership.status = status
            membership.updated_at = self.state.ids.now()
        return self._out(200, membership)

    def deactivate(self, request: Request) -> Response:
        return self._set_status(request, "inactive", "deactivate")

    def reactivate(self, request: Request) -> Response:
        return self._set_status(request, "active", "reactivate")

    def delete(self, request: Request) -> Response:
        self.state.remove_membership(self._membership(request.params["id"]))
        return Response(200)

"""Organization and member writes, each followed by its webhook event.

The API routes call these with source ``direct``; the control API's ``change`` action
calls the same functions with ``dashboard`` or ``scim``, standing for an admin in the
Stytch Dashboard or an identity provider's SCIM push, so one code path makes the change
and the event whoever made it. Request bodies are checked here the way Stytch documents
(types, email shape, slug characters); store rules (uniqueness) live in the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from stytch2workos_emulators.stytch.errors import (
    ApiError,
    bad_request,
    member_not_found,
    organization_not_found,
)
from stytch2workos_emulators.stytch.records import Record
from stytch2workos_emulators.stytch.store import StytchStore

MEMBER_CREATE_FIELDS: dict[str, type] = {
    "email_address": str,
    "name": str,
    "trusted_metadata": dict,
    "untrusted_metadata": dict,
    "create_member_as_pending": bool,
    "is_breakglass": bool,
    "mfa_phone_number": str,
    "mfa_enrolled": bool,
    "external_id": str,
}
MEMBER_UPDATE_FIELDS: dict[str, type] = {
    "name": str,
    "trusted_metadata": dict,
    "untrusted_metadata": dict,
    "is_breakglass": bool,
    "mfa_phone_number": str,
    "mfa_enrolled": bool,
    "default_mfa_method": str,
    "email_address": str,
    "external_id": str,
    "unlink_email": bool,
}
# The Organization fields the SDK's create sends (organizations.create).
ORG_CREATE_FIELDS: dict[str, type] = {
    "organization_name": str,
    "organization_slug": str,
    "organization_logo_url": str,
    "trusted_metadata": dict,
    "organization_external_id": str,
    "sso_jit_provisioning": str,
    "email_allowed_domains": list,
    "email_jit_provisioning": str,
    "email_invites": str,
    "auth_methods": str,
    "allowed_auth_methods": list,
    "mfa_policy": str,
    "rbac_email_implicit_role_assignments": list,
    "mfa_methods": str,
    "allowed_mfa_methods": list,
    "oauth_tenant_jit_provisioning": str,
    "allowed_oauth_tenants": dict,
    "claimed_email_domains": list,
    "first_party_connected_apps_allowed_type": str,
    "allowed_first_party_connected_apps": list,
    "third_party_connected_apps_allowed_type": str,
    "allowed_third_party_connected_apps": list,
}
# Update takes the same, plus the SSO defaults.
ORG_UPDATE_FIELDS: dict[str, type] = {
    **ORG_CREATE_FIELDS,
    "sso_default_connection_id": str,
    "sso_jit_provisioning_allowed_connections": list,
}
_SLUG = re.compile(r"[A-Za-z0-9._~-]{2,128}")

Emit = Callable[[str, str, str, str, Mapping[str, Any] | None], None]
Params = Mapping[str, str]
Body = dict[str, Any]


def typed_fields(body: Mapping[str, Any], spec: Mapping[str, type]) -> dict[str, Any]:
    """The fields of ``spec`` present in ``body``, each of its type (400 otherwise)."""
    out: dict[str, Any] = {}
    for name, kind in spec.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise bad_request(f"{name} must be a {kind.__name__}.")
        out[name] = value
    return out


def _roles(body: Mapping[str, Any]) -> list[str] | None:
    roles = body.get("roles")
    if roles is None:
        return None
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise bad_request("roles must be an array of role_ids.")
    return roles


def _check_email(email: Any) -> str:
    local, at, domain = str(email or "").partition("@")
    if not (local and at and "." in domain):
        raise ApiError(400, "invalid_email", "Email format is invalid.")
    return str(email)


def _check_org_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "organization_slug" in fields and not _SLUG.fullmatch(fields["organization_slug"]):
        raise bad_request(
            "organization_slug must be 2 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'.",
            "invalid_organization_slug",
        )
    if "organization_name" in fields and not fields["organization_name"].strip():
        raise bad_request("organization_name must not be empty.", "invalid_organization_name")
    return fields


class StytchWrites:
    """The write operations; each returns the response body and emits its event."""

    def __init__(self, store: StytchStore, emit: Emit) -> None:
        self.store, self.emit = store, emit

    def operations(self) -> dict[str, Callable[[Params, Body, str], Body]]:
        """By name, for the control API's ``change`` action."""
        return {
            "create_organization": self.create_organization,
            "update_organization": self.update_organization,
            "delete_organization": self.delete_organization,
            "create_member": self.create_member,
            "update_member": self.update_member,
            "delete_member": self.delete_member,
            "reactivate_member": self.reactivate_member,
        }

    def _org(self, params: Params) -> Record:
        org = self.store.resolve_org(str(params.get("organization_id", "")))
        if org is None:
            raise organization_not_found()
        return org

    def _member(self, params: Params, org: Record) -> Record:
        member = self.store.find_member(org["organization_id"], str(params.get("member_id", "")))
        if member is None:
            raise member_not_found()
        return member

    def _member_body(self, member: Record) -> Body:
        org = self.store.orgs[member["organization_id"]]
        return {"member_id": member["member_id"], "member": member, "organization": org}

    # -- organizations ------------------------------------------------------------------

    def create_organization(self, params: Params, body: Body, source: str) -> Body:
        fields = _check_org_fields(typed_fields(body, ORG_CREATE_FIELDS))
        if "organization_name" not in fields:
            raise bad_request("organization_name is required.", "invalid_organization_name")
        org = self.store.create_organization(fields)
        self.emit(source, "organization", "CREATE", org["organization_id"], org)
        return {"organization": org}

    def update_organization(self, params: Params, body: Body, source: str) -> Body:
        org = self._org(params)
        org = self.store.update_organization(org, _check_org_fields(typed_fields(body, ORG_UPDATE_FIELDS)))
        self.emit(source, "organization", "UPDATE", org["organization_id"], org)
        return {"organization": org}

    def delete_organization(self, params: Params, body: Body, source: str) -> Body:
        org = self._org(params)
        self.store.delete_organization(org)
        self.emit(source, "organization", "DELETE", org["organization_id"], None)
        return {"organization_id": org["organization_id"]}

    # -- members ------------------------------------------------------------------------

    def create_member(self, params: Params, body: Body, source: str) -> Body:
        org = self._org(params)
        fields = typed_fields(body, MEMBER_CREATE_FIELDS)
        fields["email_address"] = _check_email(fields.get("email_address"))
        fields["status"] = "pending" if fields.pop("create_member_as_pending", False) else "active"
        member = self.store.create_member(org, fields, _roles(body) or [])
        self.emit(source, "member", "CREATE", member["member_id"], member)
        return self._member_body(member)

    def update_member(self, params: Params, body: Body, source: str) -> Body:
        member = self._member(params, self._org(params))
        changes = typed_fields(body, MEMBER_UPDATE_FIELDS)
        if "email_address" in changes:
            changes["email_address"] = _check_email(changes["email_address"])
        roles = _roles(body)
        if roles is not None:
            changes["roles"] = roles
        member = self.store.update_member(member, changes)
        self.emit(source, "member", "UPDATE", member["member_id"], member)
        return self._member_body(member)

    def delete_member(self, params: Params, body: Body, source: str) -> Body:
        member = self._member(params, self._org(params))
        self.store.delete_member(member)
        self.emit(source, "member", "DELETE", member["member_id"], None)
        return {"member_id": member["member_id"]}

    def reactivate_member(self, params: Params, body: Body, source: str) -> Body:
        org = self._org(params)
        # Reactivation takes the Stytch member_id only (no external_id), per the SDK.
        member = self.store.members.get(str(params.get("member_id", "")))
        if member is None or member["organization_id"] != org["organization_id"]:
            raise member_not_found()
        member = self.store.reactivate_member(member)
        self.emit(source, "member", "UPDATE", member["member_id"], member)
        return self._member_body(member)

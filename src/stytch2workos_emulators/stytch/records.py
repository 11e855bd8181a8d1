"""Stytch B2B objects as the emulator stores and returns them.

The official SDK parses responses into strict pydantic models where many fields
are required and absent strings are ``""`` rather than null, so every object is
completed here with defaults before it is stored: a sparse hand-written seed
still yields SDK-valid responses. Pure functions; the clock is passed in.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]
# Sort key for stable search order: (created_at in microseconds since the epoch, id).
SortKey = tuple[int, str]

MEMBER_STATUSES = ("active", "invited", "pending", "deleted")
CALLBACK_BASE = "https://test.stytch.com/v1/b2b"

# None means "optional, null when absent"; anything else is the value a missing or
# null required field gets (copied, so lists are never shared between records).
ORGANIZATION_DEFAULTS: dict[str, Any] = {
    "organization_name": "",
    "organization_logo_url": "",
    "sso_jit_provisioning": "ALL_ALLOWED",
    "sso_jit_provisioning_allowed_connections": [],
    "sso_active_connections": [],
    "email_allowed_domains": [],
    "email_jit_provisioning": "NOT_ALLOWED",
    "email_invites": "ALL_ALLOWED",
    "auth_methods": "ALL_ALLOWED",
    "allowed_auth_methods": [],
    "mfa_policy": "OPTIONAL",
    "rbac_email_implicit_role_assignments": [],
    "mfa_methods": "ALL_ALLOWED",
    "allowed_mfa_methods": [],
    "oauth_tenant_jit_provisioning": "NOT_ALLOWED",
    "claimed_email_domains": [],
    "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
    "allowed_first_party_connected_apps": [],
    "third_party_connected_apps_allowed_type": "ALL_ALLOWED",
    "allowed_third_party_connected_apps": [],
    "custom_roles": [],
    "trusted_metadata": {},
    "organization_external_id": None,
    "sso_default_connection_id": None,
    "scim_active_connection": None,
    "allowed_oauth_tenants": {},
}

MEMBER_DEFAULTS: dict[str, Any] = {
    "email_address": "",
    "status": "active",
    "name": "",
    "sso_registrations": [],
    "is_breakglass": False,
    "member_password_id": "",
    "oauth_registrations": [],
    "mfa_phone_number_verified": False,
    "totp_registration_id": "",
    "retired_email_addresses": [],
    "is_locked": False,
    "mfa_enrolled": False,
    "mfa_phone_number": "",
    "default_mfa_method": "",
    "trusted_metadata": {},
    "untrusted_metadata": {},
    "scim_registration": None,
    "external_id": None,
    "lock_created_at": None,
    "lock_expires_at": None,
}

SAML_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "display_name": "",
    "idp_entity_id": "",
    "idp_sso_url": "",
    "signing_certificates": [],
    "verification_certificates": [],
    "encryption_private_keys": [],
    "saml_connection_implicit_role_assignments": [],
    "saml_group_implicit_role_assignments": [],
    "alternative_audience_uri": "",
    "identity_provider": "generic",
    "nameid_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "alternative_acs_url": "",
    "idp_initiated_auth_disabled": False,
    "allow_gateway_callback": False,
    "attribute_mapping": {},
}

OIDC_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "display_name": "",
    "client_id": "",
    "client_secret": "",
    "issuer": "",
    "authorization_url": "",
    "token_url": "",
    "userinfo_url": "",
    "jwks_url": "",
    "identity_provider": "generic",
    "custom_scopes": "",
    "attribute_mapping": {},
}

EXTERNAL_DEFAULTS: dict[str, Any] = {
    "external_organization_id": "",
    "external_connection_id": "",
    "display_name": "",
    "status": "active",
    "external_connection_implicit_role_assignments": [],
    "external_group_implicit_role_assignments": [],
}

SCIM_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "display_name": "",
    "identity_provider": "",
    "bearer_token_last_four": "",
    "scim_group_implicit_role_assignments": [],
    "next_bearer_token_last_four": "",
    "bearer_token_expires_at": None,
    "next_bearer_token_expires_at": None,
}

CERTIFICATE_DEFAULTS: dict[str, Any] = {"certificate_id": "", "certificate": "", "issuer": ""}

# Illustrative defaults; descriptions follow the wording of Stytch's built-in roles.
DEFAULT_POLICY: dict[str, Any] = {
    "roles": [
        {
            "role_id": "stytch_member",
            "description": "Granted to all Members upon creation.",
            "permissions": [{"resource_id": "stytch.self", "actions": ["*"]}],
        },
        {
            "role_id": "stytch_admin",
            "description": "Granted to Members who create an organization through discovery.",
            "permissions": [
                {"resource_id": resource, "actions": ["*"]}
                for resource in ("stytch.organization", "stytch.member", "stytch.sso", "stytch.scim")
            ],
        },
    ],
    "resources": [],
    "scopes": [],
}


def format_time(epoch_seconds: float) -> str:
    """RFC 3339 UTC with whole seconds, as Stytch writes timestamps."""
    return datetime.fromtimestamp(int(epoch_seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_micros(value: str) -> int:
    """Microseconds since the epoch for an RFC 3339 string (naive means UTC)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def new_id(kind: str, env: str) -> str:
    """An id in Stytch's form, e.g. ``member-test-<uuid4>``."""
    return f"{kind}-{env}-{uuid.uuid4()}"


def fill(record: Mapping[str, Any], defaults: Mapping[str, Any]) -> Record:
    """A copy of ``record`` with missing or null fields set from ``defaults``."""
    out = dict(record)
    for key, default in defaults.items():
        if out.get(key) is None:
            # Defaults are scalars or empty containers, so a shallow copy keeps records
            # apart, and is far cheaper than deepcopy when seeding 100k members.
            out[key] = default.copy() if type(default) in (list, dict) else default
    return out


def _require_object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a JSON object")
    return value


def _slugify(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._~-]+", "-", text.strip().lower()).strip("-")
    return slug if len(slug) >= 2 else ""


def normalize_organization(raw: Any, env: str, now: str) -> Record:
    """A complete Organization from a possibly sparse seed object."""
    org = fill(_require_object(raw, "an organization"), ORGANIZATION_DEFAULTS)
    org["organization_id"] = str(org.get("organization_id") or new_id("organization", env))
    if not org.get("organization_slug"):
        org["organization_slug"] = _slugify(str(org["organization_name"])) or org["organization_id"]
    org["created_at"] = org.get("created_at") or now
    org["updated_at"] = org.get("updated_at") or org["created_at"]
    return org


def normalize_member(raw: Any, env: str, now: str) -> Record:
    """A complete Member from a possibly sparse seed object; needs ``organization_id``."""
    member = fill(_require_object(raw, "a member"), MEMBER_DEFAULTS)
    if not member.get("organization_id"):
        raise ValueError("every member needs an organization_id")
    member["member_id"] = str(member.get("member_id") or new_id("member", env))
    if member["status"] not in MEMBER_STATUSES:
        raise ValueError(f"member {member['member_id']}: unknown status {member['status']!r}")
    if member.get("email_address_verified") is None:
        # An active member has logged in at least once, which proves the email.
        member["email_address_verified"] = member["status"] == "active"
    if member.get("roles") is None:
        member["roles"] = assign_direct_roles([], [])
    if member.get("is_admin") is None:
        member["is_admin"] = has_role(member["roles"], "stytch_admin")
    member["created_at"] = member.get("created_at") or now
    member["updated_at"] = member.get("updated_at") or member["created_at"]
    return member


def sort_key(record: Mapping[str, Any], id_field: str) -> SortKey:
    return (time_micros(str(record["created_at"])), str(record[id_field]))


def has_role(roles: Iterable[Mapping[str, Any]], role_id: str) -> bool:
    return any(role.get("role_id") == role_id for role in roles)


def assign_direct_roles(roles: list[Record], role_ids: Iterable[str]) -> list[Record]:
    """Replace the explicitly assigned roles, keeping implicit sources as they are.

    ``stytch_member`` is granted to every member, so it is always kept.
    """
    wanted = ["stytch_member", *(r for r in role_ids if r != "stytch_member")]
    out: list[Record] = []
    for role in roles:
        sources = [s for s in role.get("sources", []) if s.get("type") != "direct_assignment"]
        if sources or role.get("role_id") in wanted:
            out.append({"role_id": role["role_id"], "sources": sources})
    by_id = {role["role_id"]: role for role in out}
    for role_id in dict.fromkeys(wanted):
        if role_id not in by_id:
            by_id[role_id] = {"role_id": role_id, "sources": []}
            out.append(by_id[role_id])
        by_id[role_id]["sources"].insert(0, {"type": "direct_assignment", "details": {}})
    out.sort(key=lambda role: role["role_id"] != "stytch_member")
    return out


def assign_email_roles(roles: list[Record], org: Mapping[str, Any], email: str) -> list[Record]:
    """Recompute roles granted through the organization's email-domain rules."""
    domain = email.rpartition("@")[2].lower()
    out: list[Record] = []
    for role in roles:
        sources = [s for s in role.get("sources", []) if s.get("type") != "email_assignment"]
        if sources:
            out.append({"role_id": role["role_id"], "sources": sources})
    by_id = {role["role_id"]: role for role in out}
    for rule in org.get("rbac_email_implicit_role_assignments", []):
        if not domain or str(rule.get("domain", "")).lower() != domain:
            continue
        role_id = rule["role_id"]
        if role_id not in by_id:
            by_id[role_id] = {"role_id": role_id, "sources": []}
            out.append(by_id[role_id])
        by_id[role_id]["sources"].append({"type": "email_assignment", "details": {"email_domain": domain}})
    return out


def normalize_certificate(raw: Any) -> Record:
    return fill(_require_object(raw, "a certificate"), CERTIFICATE_DEFAULTS)


def normalize_saml(raw: Any, org_id: str, env: str) -> Record:
    """A complete SAMLConnection (certificates completed too)."""
    conn = fill(_require_object(raw, "a SAML connection"), SAML_DEFAULTS)
    conn["organization_id"] = org_id
    conn["connection_id"] = str(conn.get("connection_id") or new_id("saml-connection", env))
    callback = f"{CALLBACK_BASE}/sso/callback/{conn['connection_id']}"
    conn["acs_url"] = conn.get("acs_url") or callback
    conn["audience_uri"] = conn.get("audience_uri") or callback
    for field in ("signing_certificates", "verification_certificates"):
        conn[field] = [normalize_certificate(c) for c in conn[field]]
    conn["encryption_private_keys"] = [
        fill(_require_object(k, "an encryption key"), {"private_key_id": "", "private_key": ""})
        for k in conn["encryption_private_keys"]
    ]
    return conn


def normalize_oidc(raw: Any, org_id: str, env: str) -> Record:
    """A complete OIDCConnection."""
    conn = fill(_require_object(raw, "an OIDC connection"), OIDC_DEFAULTS)
    conn["organization_id"] = org_id
    conn["connection_id"] = str(conn.get("connection_id") or new_id("oidc-connection", env))
    conn["redirect_url"] = conn.get("redirect_url") or f"{CALLBACK_BASE}/sso/callback/{conn['connection_id']}"
    return conn


def normalize_external(raw: Any, org_id: str, env: str) -> Record:
    """A complete external connection (``sso.Connection`` in the SDK)."""
    conn = fill(_require_object(raw, "an external connection"), EXTERNAL_DEFAULTS)
    conn["organization_id"] = org_id
    conn["connection_id"] = str(conn.get("connection_id") or new_id("external-connection", env))
    return conn


def normalize_sso(raw: Any, org_id: str, env: str) -> Record:
    """The three connection lists of one organization."""
    data = _require_object(raw, "sso_connections[org]")
    return {
        "saml_connections": [normalize_saml(c, org_id, env) for c in data.get("saml_connections") or []],
        "oidc_connections": [normalize_oidc(c, org_id, env) for c in data.get("oidc_connections") or []],
        "external_connections": [
            normalize_external(c, org_id, env) for c in data.get("external_connections") or []
        ],
    }


def normalize_scim(raw: Any, org_id: str, env: str) -> Record:
    """A complete SCIMConnection."""
    conn = fill(_require_object(raw, "a SCIM connection"), SCIM_DEFAULTS)
    conn["organization_id"] = org_id
    conn["connection_id"] = str(conn.get("connection_id") or new_id("scim-connection", env))
    conn["base_url"] = conn.get("base_url") or f"{CALLBACK_BASE}/scim/{conn['connection_id']}"
    return conn


def normalize_policy(raw: Any) -> Record:
    """A project RBAC policy; the built-in roles when none was seeded."""
    if raw is None:
        return copy.deepcopy(DEFAULT_POLICY)
    return fill(_require_object(raw, "rbac_policy"), {"roles": [], "resources": [], "scopes": []})


def active_sso_connections(sso: Mapping[str, Any]) -> list[Record]:
    """``Organization.sso_active_connections`` derived from the org's connections."""
    return [
        {
            "connection_id": conn["connection_id"],
            "display_name": conn["display_name"],
            "identity_provider": conn["identity_provider"],
        }
        for kind in ("saml_connections", "oidc_connections")
        for conn in sso.get(kind, [])
        if conn.get("status") == "active"
    ]


def active_scim_connection(conn: Mapping[str, Any] | None) -> Record | None:
    """``Organization.scim_active_connection`` derived from the org's SCIM connection."""
    if not conn or conn.get("status") != "active":
        return None
    return {
        "connection_id": conn["connection_id"],
        "display_name": conn["display_name"],
        "bearer_token_last_four": conn["bearer_token_last_four"],
        "bearer_token_expires_at": conn.get("bearer_token_expires_at"),
    }

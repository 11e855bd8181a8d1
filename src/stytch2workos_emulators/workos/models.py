"""The WorkOS emulator's records and their JSON shapes.

Records are mutable (the API updates them in place); ``*_json`` functions give
the exact response objects, with every key the SDK's ``from_dict`` requires.
Secrets (password material, TOTP secrets, SSO client secrets and private keys)
live on the records but never reach a response; only the control API's dump
includes them, through the ``private=True`` variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


@dataclass
class Domain:
    id: str
    organization_id: str
    domain: str
    state: str
    verification_token: str
    created_at: str
    updated_at: str


@dataclass
class Organization:
    id: str
    name: str
    created_at: str
    updated_at: str
    external_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    domains: list[Domain] = field(default_factory=list)
    stripe_customer_id: str | None = None
    allow_profiles_outside_organization: bool = False


@dataclass
class User:
    id: str
    email: str
    created_at: str
    updated_at: str
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    profile_picture_url: str | None = None
    external_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    last_sign_in_at: str | None = None
    locale: str | None = None
    # Password material: a plaintext set through the API, or an imported hash.
    password: str | None = None
    password_hash: str | None = None
    password_hash_type: str | None = None
    password_salt_position: str | None = None


@dataclass
class Membership:
    id: str
    user_id: str
    organization_id: str
    role_slugs: list[str]
    created_at: str
    updated_at: str
    status: str = "active"
    directory_managed: bool = False
    custom_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Invitation:
    id: str
    email: str
    expires_at: str
    token: str
    created_at: str
    updated_at: str
    state: str = "pending"
    organization_id: str | None = None
    inviter_user_id: str | None = None
    role_slug: str | None = None
    accepted_at: str | None = None
    revoked_at: str | None = None
    accepted_user_id: str | None = None


@dataclass
class Role:
    id: str
    slug: str
    name: str
    created_at: str
    updated_at: str
    description: str | None = None
    permissions: list[str] = field(default_factory=list)
    organization_id: str | None = None  # None for an environment role
    resource_type_slug: str = "organization"


@dataclass
class Permission:
    id: str
    slug: str
    name: str
    created_at: str
    updated_at: str
    description: str | None = None
    # Managed by WorkOS itself: cannot be changed or deleted through the API.
    system: bool = False
    resource_type_slug: str = "organization"


@dataclass
class Factor:
    id: str
    user_id: str
    issuer: str
    totp_user: str
    secret: str
    created_at: str
    updated_at: str
    type: str = "totp"


@dataclass
class Connection:
    id: str
    organization_id: str
    name: str
    connection_type: str
    state: str
    created_at: str
    updated_at: str
    external_id: str | None = None
    saml_options: dict[str, Any] | None = None
    oidc_options: dict[str, Any] | None = None
    attribute_maps: dict[str, Any] | None = None
    # WorkOS's own key for the connection: in its callback URLs and (by default) the SP entity id.
    external_key: str = ""


def domain_json(d: Domain) -> dict[str, Any]:
    """An OrganizationDomain; verified-by-API domains read as manually verified."""
    return {
        "object": "organization_domain",
        "id": d.id,
        "organization_id": d.organization_id,
        "domain": d.domain,
        "state": d.state,
        "verification_prefix": "workos-domain-verification",
        "verification_token": d.verification_token,
        "verification_strategy": "manual" if d.state == "verified" else "dns",
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def organization_json(org: Organization) -> dict[str, Any]:
    """An Organization with its domains."""
    body: dict[str, Any] = {
        "object": "organization",
        "id": org.id,
        "name": org.name,
        "domains": [domain_json(d) for d in org.domains],
        "metadata": dict(org.metadata),
        "external_id": org.external_id,
        "allow_profiles_outside_organization": org.allow_profiles_outside_organization,
        "created_at": org.created_at,
        "updated_at": org.updated_at,
    }
    # WorkOS leaves stripe_customer_id out rather than sending null.
    if org.stripe_customer_id is not None:
        body["stripe_customer_id"] = org.stripe_customer_id
    return body


def user_json(user: User, *, private: bool = False) -> dict[str, Any]:
    """A User; ``private`` adds the stored password fields (control API only)."""
    body: dict[str, Any] = {
        "object": "user",
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "name": user.name,
        "profile_picture_url": user.profile_picture_url,
        "external_id": user.external_id,
        "metadata": dict(user.metadata),
        "last_sign_in_at": user.last_sign_in_at,
        "locale": user.locale,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }
    if private:
        for name in ("password", "password_hash", "password_hash_type", "password_salt_position"):
            value = getattr(user, name)
            if value is not None:
                body[name] = value
    return body


def membership_json(
    m: Membership, slugs: list[str], user: User | None, org_name: str | None
) -> dict[str, Any]:
    """A membership with its role slugs in priority order; ``user`` None leaves it out."""
    body: dict[str, Any] = {
        "object": "organization_membership",
        "id": m.id,
        "user_id": m.user_id,
        "organization_id": m.organization_id,
        "organization_name": org_name,
        "status": m.status,
        "directory_managed": m.directory_managed,
        "custom_attributes": dict(m.custom_attributes),
        "role": {"slug": slugs[0] if slugs else ""},
        "roles": [{"slug": slug} for slug in slugs],
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    }
    if user is not None:
        body["user"] = user_json(user)
    return body


def invitation_json(inv: Invitation, state: str, accept_url: str) -> dict[str, Any]:
    """An Invitation, with its state as of now (pending ones may have expired)."""
    return {
        "object": "invitation",
        "id": inv.id,
        "email": inv.email,
        "state": state,
        "accepted_at": inv.accepted_at,
        "revoked_at": inv.revoked_at,
        "expires_at": inv.expires_at,
        "organization_id": inv.organization_id,
        "inviter_user_id": inv.inviter_user_id,
        "accepted_user_id": inv.accepted_user_id,
        "role_slug": inv.role_slug,
        "token": inv.token,
        "accept_invitation_url": accept_url,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
    }


def role_json(role: Role) -> dict[str, Any]:
    """A Role as the spec draws it: no organization id, only the type tells the two kinds apart."""
    return {
        "object": "role",
        "id": role.id,
        "slug": role.slug,
        "name": role.name,
        "description": role.description,
        "type": "OrganizationRole" if role.organization_id else "EnvironmentRole",
        "resource_type_slug": role.resource_type_slug,
        "permissions": list(role.permissions),
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }


def permission_json(p: Permission) -> dict[str, Any]:
    """An AuthorizationPermission."""
    return {
        "object": "permission",
        "id": p.id,
        "slug": p.slug,
        "name": p.name,
        "description": p.description,
        "system": p.system,
        "resource_type_slug": p.resource_type_slug,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def factor_json(f: Factor, *, enrolled: bool = False, private: bool = False) -> dict[str, Any]:
    """A TOTP factor; the secret, QR code and URI only in the enrollment answer (and dump)."""
    totp: dict[str, Any] = {"issuer": f.issuer, "user": f.totp_user}
    if enrolled or private:
        totp["secret"] = f.secret
    if enrolled:
        totp["qr_code"] = QR_PLACEHOLDER
        totp["uri"] = totp_uri(f)
    return {
        "object": "authentication_factor",
        "id": f.id,
        "type": f.type,
        "user_id": f.user_id,
        "totp": totp,
        "created_at": f.created_at,
        "updated_at": f.updated_at,
    }


def totp_uri(f: Factor) -> str:
    """The ``otpauth://`` provisioning URI an authenticator app would scan."""
    label = quote(f"{f.issuer}:{f.totp_user}", safe=":@")
    return f"otpauth://totp/{label}?secret={f.secret}&issuer={quote(f.issuer, safe='')}"


# A 1x1 transparent PNG: the SDK only needs a data URI, not a scannable code.
QR_PLACEHOLDER = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYP"
    "hfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def connection_json(c: Connection, domains: list[str], *, private: bool = False) -> dict[str, Any]:
    """The spec's Connection object; options (with their secrets) only in the dump."""
    body: dict[str, Any] = {
        "object": "connection",
        "id": c.id,
        "organization_id": c.organization_id,
        "connection_type": c.connection_type,
        "name": c.name,
        "state": c.state,
        "status": "linked" if c.state == "active" else "unlinked",
        "domains": [
            {"object": "connection_domain", "id": f"conn_domain_{c.id[-26:]}{i}", "domain": d}
            for i, d in enumerate(domains)
        ],
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    if private:
        body["external_id"] = c.external_id
        body["external_key"] = c.external_key
        body["saml_options"] = c.saml_options
        body["oidc_options"] = c.oidc_options
        body["attribute_maps"] = c.attribute_maps
    return body

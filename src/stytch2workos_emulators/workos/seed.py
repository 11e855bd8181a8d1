"""Seeding and dumping the WorkOS emulator's state (control API ``seed`` and ``state``).

A seed uses the API's own object shapes, every key optional::

    {"settings": {"multiple_roles": bool, "require_email_verification": bool,
                  "allow_repeated_invitations": bool},
     "permissions": [{slug, name?, description?, system?, resource_type_slug?}],
     "roles": [{slug, name, description?, permissions?}],           # replaces admin + member
     "organization_roles": {org_id: [{slug, name, permissions?, ...}]},
     "organizations": [Organization], "users": [User + password fields],
     "organization_memberships": [Membership], "invitations": [Invitation],
     "auth_factors": [Factor + totp.secret], "connections": [Connection + options],
     "portal_links": [...]}

plus the SSO handoff's directories, webhook endpoints, events, feature flags and
actions (``complete_setup``, ``set_state``), described in :mod:`.handoff_seed`.

:func:`dump` returns the same shapes, secrets included, so ``seed(dump())``
rebuilds an equal state. Bad seeds raise ``ValueError`` (a 400 from the control API).
A role's permission slug that no permission has yet is created as a permission
named after its slug, so a seed can give roles permissions in one line.

Seeding only adds, so a seed holding nothing but ``settings`` switches a behaviour
of a running emulator: ``POST /_emulator/seed {"settings": {...}}``.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from stytch2workos_emulators.workos.directories import external_key
from stytch2workos_emulators.workos.handoff_seed import LISTS as HANDOFF_LISTS
from stytch2workos_emulators.workos.handoff_seed import OBJECTS as HANDOFF_OBJECTS
from stytch2workos_emulators.workos.handoff_seed import dump_handoff, load_handoff
from stytch2workos_emulators.workos.invitations import ACCEPT_URL
from stytch2workos_emulators.workos.models import (
    Connection,
    Domain,
    Factor,
    Invitation,
    Membership,
    Organization,
    Permission,
    Role,
    User,
    connection_json,
    factor_json,
    invitation_json,
    organization_json,
    permission_json,
    role_json,
    user_json,
)
from stytch2workos_emulators.workos.state import State
from stytch2workos_emulators.workos.store import key_from_id


def _stamps(state: State, data: dict[str, Any], prefix: str) -> tuple[str, str, str]:
    """id, created_at, updated_at: given, else derived from the id, else new."""
    object_id = data.get("id")
    if object_id is None:
        object_id, created = state.ids.stamp(prefix)
    else:
        key = key_from_id(str(object_id))
        created = key[0] if key else state.ids.now()
    created = str(data.get("created_at") or created)
    return str(object_id), created, str(data.get("updated_at") or created)


def _permission(state: State, data: dict[str, Any]) -> Permission:
    permission_id, created, updated = _stamps(state, data, "perm")
    slug = str(data["slug"])
    owner = state.permission_by_slug.get(slug)
    if owner not in (None, permission_id):
        raise ValueError(f"permission slug {slug!r} is already used")
    p = Permission(permission_id, slug, str(data.get("name") or slug), created, updated)
    p.description = data.get("description")
    p.system = bool(data.get("system"))
    p.resource_type_slug = str(data.get("resource_type_slug") or "organization")
    return p


def _role(state: State, data: dict[str, Any], org_id: str | None) -> Role:
    role_id, created, updated = _stamps(state, data, "role")
    slug = str(data["slug"])
    listed = data.get("permissions") or []
    if not isinstance(listed, list):
        raise ValueError(f"role {slug!r}: permissions must be a list of permission slugs")
    permissions = [str(p) for p in dict.fromkeys(listed)]
    for name in permissions:
        if state.permission(name) is None:
            state.add_permission(_permission(state, {"slug": name}))
    role = Role(
        role_id,
        slug,
        str(data.get("name") or slug),
        created,
        updated,
        data.get("description"),
        permissions,
        org_id,
    )
    role.resource_type_slug = str(data.get("resource_type_slug") or "organization")
    return role


def _roles(state: State, items: list[dict[str, Any]], org_id: str | None) -> dict[str, Role]:
    roles = {}
    for data in items:
        role = _role(state, data, org_id)
        if role.slug in roles:
            raise ValueError(f"role slug {role.slug!r} appears twice")
        roles[role.slug] = role
    return roles


def _organization(state: State, data: dict[str, Any]) -> Organization:
    org_id, created, updated = _stamps(state, data, "org")
    org = Organization(org_id, str(data["name"]), created, updated, data.get("external_id"))
    org.metadata = dict(data.get("metadata") or {})
    org.stripe_customer_id = data.get("stripe_customer_id")
    org.allow_profiles_outside_organization = bool(data.get("allow_profiles_outside_organization"))
    entries = data.get("domains") or data.get("domain_data") or []
    for entry in entries:
        item = {"domain": entry, "state": "pending"} if isinstance(entry, str) else entry
        domain_id, d_created, d_updated = _stamps(state, item, "org_domain")
        token = str(item.get("verification_token") or state.ids.new_id("token")[-20:])
        state_name = str(item.get("state") or "pending")
        name = str(item["domain"]).strip().lower()
        org.domains.append(Domain(domain_id, org_id, name, state_name, token, d_created, d_updated))
    return org


def _user(state: State, data: dict[str, Any]) -> User:
    user_id, created, updated = _stamps(state, data, "user")
    user = User(user_id, str(data["email"]).strip().lower(), created, updated)
    for name in (
        "email_verified",
        "first_name",
        "last_name",
        "name",
        "profile_picture_url",
        "external_id",
        "last_sign_in_at",
        "locale",
        "password",
        "password_hash",
        "password_hash_type",
        "password_salt_position",
    ):
        if name in data:
            setattr(user, name, data[name])
    user.email_verified = bool(user.email_verified)
    user.metadata = dict(data.get("metadata") or {})
    return user


def _membership(state: State, data: dict[str, Any]) -> Membership:
    membership_id, created, updated = _stamps(state, data, "om")
    user_id, org_id = str(data["user_id"]), str(data["organization_id"])
    if user_id not in state.users.by_id or org_id not in state.orgs.by_id:
        raise ValueError(f"membership {membership_id} names an unknown user or organization")
    if data.get("roles"):
        slugs = [str(r["slug"]) for r in data["roles"]]
    elif data.get("role_slugs"):
        slugs = [str(s) for s in data["role_slugs"]]
    elif data.get("role") or data.get("role_slug"):
        slugs = [str(data["role"]["slug"] if data.get("role") else data["role_slug"])]
    else:
        slugs = [state.default_role()]
    m = Membership(membership_id, user_id, org_id, slugs, created, updated)
    m.status = str(data.get("status") or "active")
    m.directory_managed = bool(data.get("directory_managed"))
    m.custom_attributes = dict(data.get("custom_attributes") or {})
    return m


def _invitation(state: State, data: dict[str, Any]) -> Invitation:
    inv_id, created, updated = _stamps(state, data, "invitation")
    inv = Invitation(
        inv_id,
        str(data["email"]).strip().lower(),
        str(data["expires_at"]),
        str(data.get("token") or state.ids.new_id("token")[-24:]),
        created,
        updated,
    )
    for name in (
        "state",
        "organization_id",
        "inviter_user_id",
        "role_slug",
        "accepted_at",
        "revoked_at",
        "accepted_user_id",
    ):
        if data.get(name) is not None:
            setattr(inv, name, data[name])
    return inv


def _factor(state: State, data: dict[str, Any]) -> Factor:
    factor_id, created, updated = _stamps(state, data, "auth_factor")
    totp = data.get("totp") or {}
    user_id = str(data["user_id"])
    user = state.users.get(user_id)
    if user is None:
        raise ValueError(f"auth factor {factor_id} names an unknown user")
    return Factor(
        factor_id,
        user_id,
        str(totp.get("issuer") or "WorkOS Emulator"),
        str(totp.get("user") or user.email),
        str(totp["secret"]),
        created,
        updated,
    )


def _connection(state: State, data: dict[str, Any]) -> Connection:
    conn_id, created, updated = _stamps(state, data, "conn")
    org_id = str(data["organization_id"])
    if org_id not in state.orgs.by_id:
        raise ValueError(f"connection {conn_id} names an unknown organization")
    c = Connection(
        conn_id,
        org_id,
        str(data.get("name") or state.orgs.by_id[org_id].name),
        str(data.get("connection_type") or "GenericSAML"),
        str(data.get("state") or "active"),
        created,
        updated,
    )
    c.external_id = data.get("external_id")
    c.saml_options, c.oidc_options = data.get("saml_options"), data.get("oidc_options")
    c.attribute_maps = data.get("attribute_maps")
    c.external_key = str(data.get("external_key") or external_key())
    return c


_LISTS = (
    "permissions",
    "roles",
    "organizations",
    "users",
    "organization_memberships",
    "invitations",
    "auth_factors",
    "connections",
    "portal_links",
    *HANDOFF_LISTS,
)
_OBJECTS = ("settings", "organization_roles", *HANDOFF_OBJECTS)


def _check_shape(seed: dict[str, Any]) -> None:
    unknown = set(seed) - {*_LISTS, *_OBJECTS}
    if unknown:
        raise ValueError(f"unknown seed key(s): {', '.join(sorted(unknown))}")
    for key in _LISTS:
        value = seed.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            raise ValueError(f"{key} must be a list of objects")
    for key in _OBJECTS:
        if not isinstance(seed.get(key) or {}, dict):
            raise ValueError(f"{key} must be an object")


def load_seed(state: State, seed: dict[str, Any]) -> None:
    """Add the seed's objects to ``state`` (objects with a known id are replaced)."""
    _check_shape(seed)
    settings = seed.get("settings") or {}
    known = {f.name for f in fields(state.settings)}
    unknown = set(settings) - known
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    for name, value in settings.items():
        if not isinstance(value, bool):
            raise ValueError(f"setting {name} must be true or false")
        setattr(state.settings, name, value)
    for data in seed.get("permissions") or []:
        state.add_permission(_permission(state, data))
    if seed.get("roles") is not None:
        state.env_roles = _roles(state, seed["roles"], None)
    for data in seed.get("organizations") or []:
        org = _organization(state, data)
        if org.external_id is not None and state.org_by_external_id.get(org.external_id) not in (
            None,
            org.id,
        ):
            raise ValueError(f"organization external_id {org.external_id!r} is already used")
        state.add_org(org)
    for org_id, roles in (seed.get("organization_roles") or {}).items():
        if org_id not in state.orgs.by_id:
            raise ValueError(f"organization_roles names an unknown organization {org_id}")
        if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
            raise ValueError(f"organization_roles for {org_id} must be a list of objects")
        state.org_roles[org_id] = _roles(state, roles, org_id)
    for data in seed.get("users") or []:
        user = _user(state, data)
        for index, value in (
            (state.user_by_email, user.email),
            (state.user_by_external_id, user.external_id),
        ):
            if value is not None and index.get(value) not in (None, user.id):
                raise ValueError(f"user {value!r} is already used by another user")
        state.add_user(user)
    for data in seed.get("organization_memberships") or []:
        state.add_membership(_membership(state, data))
    for data in seed.get("invitations") or []:
        state.add_invitation(_invitation(state, data))
    for data in seed.get("auth_factors") or []:
        state.add_factor(_factor(state, data))
    for data in seed.get("connections") or []:
        state.add_connection(_connection(state, data))
    state.portal_links.extend(seed.get("portal_links") or [])
    load_handoff(state, seed)


def dump(state: State) -> dict[str, Any]:
    """The whole environment in seed shapes, password material and secrets included."""
    return {
        "settings": asdict(state.settings),
        "permissions": [permission_json(p) for p in state.permissions],
        "roles": [role_json(r) for r in state.env_roles.values()],
        "organization_roles": {
            org_id: [role_json(r) for r in roles.values()] for org_id, roles in state.org_roles.items()
        },
        "organizations": [organization_json(o) for o in state.orgs],
        "users": [user_json(u, private=True) for u in state.users],
        "organization_memberships": [state.membership_out(m, with_user=False) for m in state.memberships],
        "invitations": [
            invitation_json(i, i.state, ACCEPT_URL.format(token=i.token)) for i in state.invitations
        ],
        "auth_factors": [factor_json(f, private=True) for f in state.factors],
        "connections": [connection_json(c, [], private=True) for c in state.connections],
        "portal_links": [dict(link) for link in state.portal_links],
        **dump_handoff(state),
    }

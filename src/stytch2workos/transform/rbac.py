"""Pure mapping of Stytch's RBAC onto WorkOS's Authorization API.

Stytch's project policy holds roles, and resources with their actions; each
organization may hold its own ``custom_roles``. WorkOS holds permissions (one
slug each), environment roles and per-organization roles (slug ``org-…``),
each role with a list of permission slugs. This module derives the permissions
and roles a migration wants, with WorkOS's slug rules checked here, before any
write: two Stytch names that land on one slug (``slug_collision``) and a slug
WorkOS would refuse (``invalid_slug``) are reported, never merged or sent
silently. Nothing here touches the network or the workspace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# WorkOS Authorization API limits (OpenAPI v0.61.0: CreateRoleDto, CreateOrganizationRoleDto,
# CreateAuthorizationPermissionDto): slugs and names at most 48 characters, descriptions 150.
SLUG_MAX = 48
NAME_MAX = 48
DESCRIPTION_MAX = 150
ORG_PREFIX = "org-"
_ROLE_CHARS = re.compile(r"[a-z0-9_-]+")
_PERMISSION_CHARS = re.compile(r"[a-z0-9_\-:.*]+")
# Stytch reserves these resources for its own admin API; WorkOS has nothing they could govern.
STYTCH_RESOURCE = "stytch."
WILDCARD = "*"


def role_slug_problem(slug: str, *, organization: bool) -> str | None:
    """Why WorkOS would refuse ``slug`` for an environment or organization role; None if it would not.

    An environment role may not take the ``org-`` prefix either: the prefix is what tells
    a membership's organization roles from the environment's in ``[roles.map]``.
    """
    if len(slug) > SLUG_MAX:
        return f"{len(slug)} characters; WorkOS allows at most {SLUG_MAX}"
    if organization:
        if not slug.startswith(ORG_PREFIX) or not _ROLE_CHARS.fullmatch(slug[len(ORG_PREFIX) :]):
            return f"an organization role's slug is '{ORG_PREFIX}' then lower-case a-z, 0-9, _ and -"
        return None
    if not _ROLE_CHARS.fullmatch(slug):
        return "an environment role's slug is lower-case a-z, 0-9, _ and -"
    if slug.startswith(ORG_PREFIX):
        return f"'{ORG_PREFIX}' starts organization role slugs only"
    return None


def permission_slug_problem(slug: str) -> str | None:
    """Why WorkOS would refuse ``slug`` for a permission; None if it would not."""
    if len(slug) > SLUG_MAX:
        return f"{len(slug)} characters; WorkOS allows at most {SLUG_MAX}"
    if not _PERMISSION_CHARS.fullmatch(slug):
        return "a permission slug is lower-case a-z, 0-9 and - _ : . *"
    return None


def permission_slug_chars(slug: str) -> bool:
    """Whether ``slug`` holds only characters a permission slug may (its length aside)."""
    return bool(_PERMISSION_CHARS.fullmatch(slug))


def propose_role_slug(role_id: str) -> str:
    """An environment role slug for a Stytch role id: lower-case, other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", role_id.lower()).strip("-_")
    return slug or "member"


def propose_org_role_slug(role_id: str) -> str:
    """An organization role slug for a Stytch custom role id: ``org-`` and the same rules."""
    base = re.sub(r"[^a-z0-9_-]+", "-", role_id.lower()).strip("-_")
    base = base.removeprefix(ORG_PREFIX)
    return ORG_PREFIX + (base or "role")


def permission_key(resource: str, action: str) -> str:
    """The Stytch name of one permission, as ``[permissions.map]`` spells it."""
    return f"{resource}:{action}"


def propose_permission_slug(key: str) -> str:
    """A permission slug for ``resource:action``: lower-case, characters WorkOS refuses as ``-``.

    Not shortened: a name over 48 characters is reported (``invalid_slug``) for a person to
    rename in ``[permissions.map]``, rather than cut into something that may collide later.
    """
    return re.sub(r"[^a-z0-9_\-:.*]+", "-", key.lower())


@dataclass(frozen=True)
class PermissionSpec:
    """One WorkOS permission; ``sources`` are the Stytch ``resource:action`` names it stands for."""

    slug: str
    name: str
    description: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RoleSpec:
    """One WorkOS role: an environment role, or an organization's own (``organization_id`` set)."""

    slug: str
    name: str
    description: str | None
    permissions: tuple[str, ...]  # permission slugs
    sources: tuple[str, ...]  # Stytch role ids, in the role map's priority order
    organization_id: str | None = None  # Stytch organization id


@dataclass(frozen=True)
class RbacIssue:
    """Something about the policy a person should know: ``code``, what it concerns, and why."""

    code: str  # slug_collision, invalid_slug, stytch_resource, unknown_resource
    subject: str
    detail: str
    organization_id: str | None = None


@dataclass(frozen=True)
class DesiredRbac:
    """Every permission and role the migration wants WorkOS to hold, and what it noticed."""

    permissions: tuple[PermissionSpec, ...] = ()
    roles: tuple[RoleSpec, ...] = ()
    org_roles: tuple[RoleSpec, ...] = ()
    issues: tuple[RbacIssue, ...] = ()

    def role_slugs(self) -> frozenset[str]:
        return frozenset(r.slug for r in self.roles)

    def org_role_slugs(self, organization_id: str) -> frozenset[str]:
        return frozenset(r.slug for r in self.org_roles if r.organization_id == organization_id)

    def org_roles_by_org(self) -> dict[str, list[RoleSpec]]:
        grouped: dict[str, list[RoleSpec]] = {}
        for role in self.org_roles:
            grouped.setdefault(role.organization_id or "", []).append(role)
        return grouped


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _items(value: Any) -> list[Mapping[str, Any]]:
    # The policy is data from an API or a file: anything not shaped as documented is passed over.
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _actions(value: Any) -> list[str]:
    return [str(a) for a in value if isinstance(a, str) and a] if isinstance(value, list) else []


def resource_actions(policy: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Each resource of the policy with its actions (what ``*`` stands for)."""
    found: dict[str, list[str]] = {}
    for resource in _items((policy or {}).get("resources")):
        rid = resource.get("resource_id")
        if isinstance(rid, str) and rid:
            found[rid] = [a for a in _actions(resource.get("actions")) if a != WILDCARD]
    return found


def grants(
    role_id: str,
    permissions: Any,
    resources: Mapping[str, list[str]],
    organization_id: str | None = None,
) -> tuple[list[str], list[RbacIssue]]:
    """The ``resource:action`` names a role's permissions mean, and what could not be carried."""
    keys: list[str] = []
    issues: list[RbacIssue] = []
    for grant in _items(permissions):
        resource = grant.get("resource_id")
        if not isinstance(resource, str) or not resource:
            continue
        actions = _actions(grant.get("actions"))
        if resource.startswith(STYTCH_RESOURCE):
            issues.append(RbacIssue("stytch_resource", role_id, resource, organization_id))
            continue
        if WILDCARD in actions:
            if resource not in resources:
                issues.append(RbacIssue("unknown_resource", role_id, resource, organization_id))
            actions = [*resources.get(resource, []), *(a for a in actions if a != WILDCARD)]
        keys.extend(permission_key(resource, a) for a in actions)
    return list(dict.fromkeys(keys)), issues


def permission_keys(policy: Mapping[str, Any] | None, orgs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every ``resource:action`` a project or organization role grants, in first-seen order."""
    resources = resource_actions(policy)
    keys: dict[str, None] = {}
    for role in _items((policy or {}).get("roles")):
        keys.update(
            dict.fromkeys(grants(str(role.get("role_id", "")), role.get("permissions"), resources)[0])
        )
    for org in orgs:
        for role in _items(org.get("custom_roles")):
            keys.update(
                dict.fromkeys(grants(str(role.get("role_id", "")), role.get("permissions"), resources)[0])
            )
    return list(keys)


@dataclass(frozen=True)
class _Role:
    role_id: str
    description: str
    keys: tuple[str, ...]


def _roles(items: Any) -> list[tuple[str, Mapping[str, Any]]]:
    return [
        (str(r["role_id"]), r) for r in _items(items) if isinstance(r.get("role_id"), str) and r["role_id"]
    ]


def desired_rbac(
    policy: Mapping[str, Any] | None,
    orgs: Iterable[Mapping[str, Any]],
    role_map: Sequence[tuple[str, str]],
    permission_map: Mapping[str, str],
) -> DesiredRbac:
    """The permissions and roles for the policy's roles and ``orgs``' custom roles.

    Only roles ``role_map`` names are migrated (a role someone took out of the map is left
    behind). A role slug or permission slug that breaks WorkOS's rules is left out and
    reported (``invalid_slug``). Several Stytch names landing on one slug are reported
    (``slug_collision``) and kept as one entry holding all of their permissions, which is
    what import does only if that problem is accepted.
    """
    resources = resource_actions(policy)
    priority = {role_id: i for i, (role_id, _) in enumerate(role_map)}
    slug_of = dict(role_map)
    issues: list[RbacIssue] = []

    def role_entry(role_id: str, raw: Mapping[str, Any], org_id: str | None) -> _Role:
        keys, found = grants(role_id, raw.get("permissions"), resources, org_id)
        issues.extend(found)
        description = raw.get("description")
        return _Role(role_id, description if isinstance(description, str) else "", tuple(keys))

    env: list[_Role] = [role_entry(rid, raw, None) for rid, raw in _roles((policy or {}).get("roles"))]
    env = [r for r in env if r.role_id in slug_of]
    per_org: list[tuple[str, list[_Role]]] = []
    for org in orgs:
        org_id = str(org.get("organization_id", ""))
        custom = [role_entry(rid, raw, org_id) for rid, raw in _roles(org.get("custom_roles"))]
        custom = [r for r in custom if r.role_id in slug_of]
        if custom:
            per_org.append((org_id, custom))

    permissions = _permissions(
        [k for r in env for k in r.keys] + [k for _, roles in per_org for r in roles for k in r.keys],
        permission_map,
        resources,
        policy,
        issues,
    )
    slug_for_key = {key: p.slug for p in permissions for key in p.sources}

    def build(entries: list[_Role], org_id: str | None) -> list[RoleSpec]:
        by_slug: dict[str, list[_Role]] = {}
        for entry in sorted(entries, key=lambda r: priority[r.role_id]):
            by_slug.setdefault(slug_of[entry.role_id], []).append(entry)
        specs = []
        for slug, group in by_slug.items():
            problem = role_slug_problem(slug, organization=org_id is not None)
            if problem is not None:
                names = ", ".join(r.role_id for r in group)
                issues.append(RbacIssue("invalid_slug", slug, f"{names}: {problem}", org_id))
                continue
            if len(group) > 1:
                names = ", ".join(r.role_id for r in group)
                issues.append(RbacIssue("slug_collision", slug, names, org_id))
            first = group[0]
            perms = dict.fromkeys(slug_for_key[k] for r in group for k in r.keys if k in slug_for_key)
            specs.append(
                RoleSpec(
                    slug,
                    _clip(first.role_id, NAME_MAX) or slug,
                    _clip(first.description, DESCRIPTION_MAX) or None,
                    tuple(perms),
                    tuple(r.role_id for r in group),
                    org_id,
                )
            )
        return specs

    env_specs = build(env, None)
    org_specs = [spec for org_id, roles in per_org for spec in build(roles, org_id)]
    # Only what a role holds is created: a permission of a role left out is left out too.
    used = {p for spec in (*env_specs, *org_specs) for p in spec.permissions}
    return DesiredRbac(
        tuple(p for p in permissions if p.slug in used), tuple(env_specs), tuple(org_specs), tuple(issues)
    )


def _permissions(
    keys: list[str],
    permission_map: Mapping[str, str],
    resources: Mapping[str, list[str]],
    policy: Mapping[str, Any] | None,
    issues: list[RbacIssue],
) -> list[PermissionSpec]:
    described = {
        str(r.get("resource_id")): r.get("description")
        for r in _items((policy or {}).get("resources"))
        if isinstance(r.get("description"), str)
    }
    by_slug: dict[str, list[str]] = {}
    for key in dict.fromkeys(keys):
        slug = permission_map.get(key) or propose_permission_slug(key)
        problem = permission_slug_problem(slug)
        if problem is not None:
            issues.append(RbacIssue("invalid_slug", slug, f"{key}: {problem}"))
            continue
        by_slug.setdefault(slug, []).append(key)
    found = []
    for slug, sources in by_slug.items():
        if len(sources) > 1:
            issues.append(RbacIssue("slug_collision", slug, ", ".join(sources)))
        resource = sources[0].partition(":")[0]
        description = _clip(str(described.get(resource) or ""), DESCRIPTION_MAX) or None
        found.append(PermissionSpec(slug, _clip(sources[0], NAME_MAX), description, tuple(sources)))
    return found


@dataclass(frozen=True)
class ImplicitRule:
    """A rule by which Stytch grants a role by itself; WorkOS has no API to hold it."""

    organization_id: str
    kind: str  # email_domain, saml_connection, saml_group, scim_group, external_connection, external_group
    match: str  # the domain, connection or group it matches
    role_id: str


_CONNECTION_RULES = (
    ("saml", "saml_connection_implicit_role_assignments", "saml_connection", None),
    ("saml", "saml_group_implicit_role_assignments", "saml_group", "group"),
    ("scim", "scim_group_implicit_role_assignments", "scim_group", "group_name"),
    ("external", "external_connection_implicit_role_assignments", "external_connection", None),
    ("external", "external_group_implicit_role_assignments", "external_group", "group"),
)


def implicit_rules(
    orgs: Iterable[Mapping[str, Any]],
    connections: Iterable[tuple[str, Mapping[str, Any]]],
    scope: frozenset[str] | None = None,
) -> list[ImplicitRule]:
    """Every implicit role rule of the organizations in ``scope``: email domain, SSO and SCIM.

    ``connections`` are ``(kind, connection)`` pairs as the export stores them.
    """
    rules: list[ImplicitRule] = []
    for org in orgs:
        org_id = str(org.get("organization_id", ""))
        if scope is not None and org_id not in scope:
            continue
        for rule in _items(org.get("rbac_email_implicit_role_assignments")):
            rules.append(
                ImplicitRule(
                    org_id, "email_domain", str(rule.get("domain", "")), str(rule.get("role_id", ""))
                )
            )
    for kind, conn in connections:
        org_id = str(conn.get("organization_id", ""))
        if scope is not None and org_id not in scope:
            continue
        for conn_kind, field, rule_kind, match_field in _CONNECTION_RULES:
            if kind != conn_kind:
                continue
            for rule in _items(conn.get(field)):
                match = str(rule.get(match_field, "")) if match_field else str(conn.get("connection_id", ""))
                rules.append(ImplicitRule(org_id, rule_kind, match, str(rule.get("role_id", ""))))
    return rules

"""The roles part of the plan: permissions and roles import creates, reuses and changes.

Pure: :func:`plan_roles` compares what the migration wants (:mod:`.transform.rbac`)
with what WorkOS holds and returns a value; :func:`role_action` is the one rule,
shared with import, for a role WorkOS already has. Problems come back as plain
tuples for :mod:`.plan` to add to the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from stytch2workos.transform.rbac import DesiredRbac, ImplicitRule

# "shadowed": an organization role whose slug an environment role in WorkOS already has.
RoleAction = Literal["create", "reuse", "update", "keep", "stop", "shadowed"]
# (code, severity, message, count, examples): what plan.Problem is built from.
RoleProblem = tuple[str, Literal["blocking", "warning", "info"], str, int, list[str]]


def role_action(wanted: Iterable[str], held: frozenset[str] | None, existing: str) -> RoleAction:
    """What to do with a role: ``held`` is its permissions in WorkOS (None: it is not there).

    ``existing`` is ``[roles] existing``. A role WorkOS holds with no permissions at all is
    given Stytch's whatever the setting (WorkOS seeds a new environment's admin and member
    that way, and nobody can lose a permission the role never had), unless it is "keep".
    """
    if held is None:
        return "create"
    if frozenset(wanted) == held:
        return "reuse"
    if existing == "keep":
        return "keep"
    if not held or existing == "update":
        return "update"
    return "stop"


@dataclass(frozen=True)
class RoleChange:
    """A role WorkOS has with other permissions than Stytch's, and what import does about it."""

    slug: str
    organization_id: str | None  # Stytch organization id; None for an environment role
    action: RoleAction
    adds: tuple[str, ...]
    removes: tuple[str, ...]

    def describe(self) -> str:
        where = f" in {self.organization_id}" if self.organization_id else ""
        parts = [
            f"+{', +'.join(self.adds)}" if self.adds else "",
            f"-{', -'.join(self.removes)}" if self.removes else "",
        ]
        return f"{self.slug}{where}: {'; '.join(p for p in parts if p)}"


@dataclass
class RolePlan:
    permissions: Counter[str] = field(default_factory=Counter)
    roles: Counter[str] = field(default_factory=Counter)
    org_roles: Counter[str] = field(default_factory=Counter)
    changes: list[RoleChange] = field(default_factory=list)
    # The slugs a membership can be given: WorkOS's environment roles and those import
    # creates; per Stytch organization id, its own roles (in WorkOS, or created).
    env_slugs: frozenset[str] = frozenset()
    org_slugs: dict[str, frozenset[str]] = field(default_factory=dict)
    problems: list[RoleProblem] = field(default_factory=list)

    def available(self, organization_id: str, slug: str) -> bool:
        """Whether a membership in ``organization_id`` can hold ``slug`` once the roles stage ran."""
        return slug in self.env_slugs or slug in self.org_slugs.get(organization_id, ())

    def to_json(self) -> dict[str, Any]:
        return {
            "permissions": dict(self.permissions),
            "environment_roles": dict(self.roles),
            "organization_roles": dict(self.org_roles),
            "changes": [
                {
                    "slug": c.slug,
                    "organization_id": c.organization_id,
                    "action": c.action,
                    "adds": list(c.adds),
                    "removes": list(c.removes),
                }
                for c in self.changes[:100]
            ],
        }


def _examples(items: Iterable[str], limit: int = 5) -> list[str]:
    return sorted(set(items))[:limit]


def plan_roles(
    desired: DesiredRbac,
    permissions: frozenset[str],
    env_roles: Mapping[str, frozenset[str]],
    org_roles: Mapping[str, Mapping[str, frozenset[str]]],
    workos_org: Mapping[str, str],
    existing: str,
) -> RolePlan:
    """Compare ``desired`` with WorkOS: its ``permissions``, ``env_roles`` (slug → permissions),
    ``org_roles`` (WorkOS organization id → slug → permissions, for organizations already
    there) and ``workos_org`` (Stytch organization id → WorkOS id, for those same ones)."""
    plan = RolePlan()
    for p in desired.permissions:
        plan.permissions["reuse" if p.slug in permissions else "create"] += 1
    for role in desired.roles:
        action = role_action(role.permissions, env_roles.get(role.slug), existing)
        plan.roles[action] += 1
        _note(plan, role.slug, None, action, role.permissions, env_roles.get(role.slug))
    plan.env_slugs = frozenset(env_roles) | {r.slug for r in desired.roles}
    created: dict[str, set[str]] = {
        org_id: set(org_roles.get(workos_id, {})) for org_id, workos_id in workos_org.items()
    }
    shadowed: list[str] = []
    for role in desired.org_roles:
        org_id = role.organization_id or ""
        if role.slug in env_roles:
            # WorkOS resolves the slug to the environment role, and cannot create an
            # organization role beside it: members get the environment role as it is.
            plan.org_roles["shadowed"] += 1
            shadowed.append(f"{role.slug} in {org_id}")
            continue
        held_roles = org_roles.get(workos_org.get(org_id, ""), {})
        action = role_action(role.permissions, held_roles.get(role.slug), existing)
        plan.org_roles[action] += 1
        _note(plan, role.slug, org_id, action, role.permissions, held_roles.get(role.slug))
        created.setdefault(org_id, set()).add(role.slug)
    plan.org_slugs = {k: frozenset(v) for k, v in created.items()}
    _problems(plan, desired, shadowed)
    return plan


def _note(
    plan: RolePlan,
    slug: str,
    org_id: str | None,
    action: RoleAction,
    wanted: Sequence[str],
    held: frozenset[str] | None,
) -> None:
    if action in ("update", "keep", "stop") and held is not None:
        adds = tuple(p for p in wanted if p not in held)
        removes = tuple(sorted(held - set(wanted)))
        plan.changes.append(RoleChange(slug, org_id, action, adds, removes))


def _problems(plan: RolePlan, desired: DesiredRbac, shadowed: list[str]) -> None:
    add = plan.problems.append
    by_code: dict[str, list[str]] = {}
    for issue in desired.issues:
        where = f" in {issue.organization_id}" if issue.organization_id else ""
        if issue.code == "slug_collision":
            text = f"{issue.subject}{where} ← {issue.detail}"
        elif issue.code == "invalid_slug":
            text = f"{issue.subject}{where} ({issue.detail})"
        else:
            text = f"{issue.subject}: {issue.detail}"
        by_code.setdefault(issue.code, []).append(text)
    collisions = by_code.get("slug_collision", [])
    if collisions:
        add(
            (
                "slug_collision",
                "blocking",
                "Stytch names that land on one WorkOS slug ([roles.map], [permissions.map]): rename one "
                "in migration.toml, or accept to merge them into one role or permission",
                len(collisions),
                _examples(collisions),
            )
        )
    invalid = by_code.get("invalid_slug", [])
    if invalid:
        add(
            (
                "invalid_slug",
                "blocking",
                "slugs WorkOS would refuse: rename them in migration.toml ([roles.map], "
                "[permissions.map]), or accept to leave those roles and permissions out",
                len(invalid),
                _examples(invalid),
            )
        )
    stopped = [c.describe() for c in plan.changes if c.action == "stop"]
    if stopped:
        add(
            (
                "role_permissions_differ",
                "blocking",
                "roles WorkOS already holds with other permissions than Stytch's: set [roles] existing "
                '= "keep" or "update" in migration.toml (accepting keeps WorkOS\'s)',
                len(stopped),
                _examples(stopped),
            )
        )
    updated = [c.describe() for c in plan.changes if c.action == "update"]
    if updated:
        add(
            (
                "roles_updated",
                "info",
                "roles already in WorkOS whose permissions import sets to Stytch's, for everyone holding them",
                len(updated),
                _examples(updated),
            )
        )
    kept = [c.describe() for c in plan.changes if c.action == "keep"]
    if kept:
        add(
            (
                "roles_kept",
                "warning",
                'roles already in WorkOS kept with their own permissions ([roles] existing = "keep"): '
                "their Stytch holders get WorkOS's permissions",
                len(kept),
                _examples(kept),
            )
        )
    if shadowed:
        add(
            (
                "org_role_shadowed",
                "warning",
                "organizations' own roles whose slug an environment role in WorkOS already has: they "
                "are not created, and their holders get the environment role with its permissions "
                "(rename the slug in [roles.map] to keep the organization's own)",
                len(shadowed),
                _examples(shadowed),
            )
        )
    unknown = by_code.get("unknown_resource", [])
    if unknown:
        add(
            (
                "unknown_resource",
                "warning",
                "roles granting every action (*) on a resource the policy does not define: nothing "
                "is granted for it",
                len(unknown),
                _examples(unknown),
            )
        )
    reserved = by_code.get("stytch_resource", [])
    if reserved:
        add(
            (
                "stytch_permissions",
                "info",
                "permissions on Stytch's own resources (stytch.*) govern Stytch's admin API and have no "
                "WorkOS counterpart: they are not migrated",
                len(reserved),
                _examples(reserved),
            )
        )


def implicit_problem(rules: Sequence[ImplicitRule]) -> RoleProblem | None:
    """The info problem for Stytch's implicit role rules, which WorkOS cannot hold as rules."""
    if not rules:
        return None
    names = {
        "email_domain": "email domain",
        "saml_connection": "SAML connection",
        "saml_group": "SAML group",
        "scim_group": "SCIM group",
        "external_connection": "external connection",
        "external_group": "external connection group",
    }
    kinds = Counter(r.kind for r in rules)
    order = [*names, *sorted(set(kinds) - set(names))]
    return (
        "implicit_roles",
        "info",
        "role rules Stytch applies by itself ("
        + ", ".join(f"{names.get(k, k)} {kinds[k]:,}" for k in order if kinds[k])
        + "): WorkOS has no API for them, so today's holders get the roles as explicit slugs, and people "
        "who join later do not get them automatically (IdP group roles can be set in the WorkOS "
        "dashboard or Admin Portal)",
        len(rules),
        _examples(f"{r.organization_id}: {names.get(r.kind, r.kind)} {r.match} → {r.role_id}" for r in rules),
    )

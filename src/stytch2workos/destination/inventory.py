"""What a WorkOS environment already holds: permissions, roles, organizations, users."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from workos.common.models.role_type import RoleType

from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.plan import TargetState
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.transform.identity import email_key


@dataclass(frozen=True)
class HeldRole:
    """A role WorkOS holds: its id and permission slugs."""

    id: str
    permissions: frozenset[str]


def environment_roles(target: WorkOSTarget) -> dict[str, HeldRole]:
    """Every environment role by slug (one request: the list is not paged)."""
    roles = target.call("general", lambda: target.client.authorization.list_environment_roles())
    return {str(r.slug): HeldRole(str(r.id), frozenset(r.permissions)) for r in roles.data}


def permissions(target: WorkOSTarget) -> dict[str, str]:
    """Every permission in the environment: slug → id."""
    authz = target.client.authorization
    pages = target.iter_pages("general", lambda a: authz.list_permissions(limit=100, after=a, order="asc"))
    return {str(p.slug): str(p.id) for p in pages}


def organization_roles(target: WorkOSTarget, organization_id: str) -> dict[str, HeldRole]:
    """An organization's own roles by slug (not the environment's, which the list also holds)."""
    authz = target.client.authorization
    roles = target.call("general", lambda: authz.list_organization_roles(organization_id))
    return {
        str(r.slug): HeldRole(str(r.id), frozenset(r.permissions))
        for r in roles.data
        if r.type == RoleType.ORGANIZATION_ROLE
    }


def read_target(
    target: WorkOSTarget, progress: Progress | None = None, org_roles_for: Collection[str] = ()
) -> TargetState:
    """List the environment's permissions and roles, organizations (by external id) and users
    (by email), and the own roles of the organizations among ``org_roles_for`` (external ids)
    that WorkOS already has."""
    progress = progress or NullProgress()
    roles = environment_roles(target)
    known_permissions = permissions(target)
    orgs: dict[str, str] = {}
    progress.start("WorkOS orgs", None)
    for org in target.all_organizations():
        if org.external_id:
            orgs[str(org.external_id)] = str(org.id)
        progress.advance("WorkOS orgs")
    progress.finish("WorkOS orgs")
    org_roles = {
        orgs[ext]: {slug: held.permissions for slug, held in organization_roles(target, orgs[ext]).items()}
        for ext in sorted(set(org_roles_for))
        if ext in orgs
    }
    users: dict[str, str] = {}
    progress.start("WorkOS users", None)
    for user in target.all_users():
        users[email_key(str(user.email))] = str(user.id)
        progress.advance("WorkOS users")
    progress.finish("WorkOS users")
    role_permissions = {slug: held.permissions for slug, held in roles.items()}
    return TargetState(
        frozenset(roles), orgs, users, frozenset(known_permissions), role_permissions, org_roles
    )

"""The WorkOS emulator's environment: collections, secondary indexes and settings.

Every lookup a handler makes per request goes through a dict index (email,
external id, domain, memberships by user / by organization / by pair), so a
request costs the same with ten users or a million. Records are mutated in
place; :meth:`State.reindexing` drops a record's index entries before the
change and restores them after, so indexes never point at stale values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stytch2workos_emulators.workos.handoff_models import Event, Handoff
from stytch2workos_emulators.workos.models import (
    Connection,
    Factor,
    Invitation,
    Membership,
    Organization,
    Permission,
    Role,
    User,
    membership_json,
)
from stytch2workos_emulators.workos.store import Collection, IdFactory, Key, KeyIndex

DEFAULT_ROLES = (
    ("admin", "Admin", "Can manage the organization and its members."),
    ("member", "Member", "Default role for organization members."),
)


@dataclass
class Settings:
    # Several roles per membership ("Multiple Roles"), on by default in this emulator.
    multiple_roles: bool = True
    # Refuse password sign-in for unverified emails with 403 email_verification_required.
    require_email_verification: bool = False
    # Accept an invitation for an email (and organization) that already has a pending one,
    # creating a second pending invitation, as WorkOS's public emulator does. The real API
    # refuses with email_already_invited(_to_organization), so this is off by default.
    allow_repeated_invitations: bool = False


def _link(index: dict[str, KeyIndex], name: str, key: Key) -> None:
    found = index.get(name)
    if found is None:
        found = index[name] = KeyIndex()
    found.add(key)


def _unlink(index: dict[str, KeyIndex], name: str, key: Key) -> None:
    found = index.get(name)
    if found is not None:
        found.discard(key)
        if not found:
            del index[name]


EMPTY = KeyIndex()  # what a lookup of an unindexed name yields; never added to


class State:
    """One WorkOS environment held in memory."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.ids = IdFactory(clock) if clock else IdFactory()
        # Called with every event emitted (the service's webhook dispatcher); survives clear().
        self.on_event: Callable[[Event], None] | None = None
        self.clear()

    def clear(self) -> None:
        """Back to a fresh environment: no objects, default roles and settings."""
        self.settings = Settings()
        self.orgs: Collection[Organization] = Collection()
        self.org_by_external_id: dict[str, str] = {}
        self.org_by_stripe_id: dict[str, str] = {}
        self.orgs_by_domain: dict[str, KeyIndex] = {}
        self.verified_domain_owner: dict[str, str] = {}
        self.users: Collection[User] = Collection()
        self.user_by_email: dict[str, str] = {}
        self.user_by_external_id: dict[str, str] = {}
        self.memberships: Collection[Membership] = Collection()
        self.memberships_by_user: dict[str, KeyIndex] = {}
        self.memberships_by_org: dict[str, KeyIndex] = {}
        self.users_by_org: dict[str, KeyIndex] = {}  # any membership status
        self.membership_by_pair: dict[tuple[str, str], str] = {}
        self.invitations: Collection[Invitation] = Collection()
        self.invitations_by_org: dict[str, KeyIndex] = {}
        self.invitations_by_email: dict[str, KeyIndex] = {}
        self.factors: Collection[Factor] = Collection()
        self.factors_by_user: dict[str, KeyIndex] = {}
        self.connections: Collection[Connection] = Collection()
        self.connections_by_org: dict[str, KeyIndex] = {}
        self.connection_by_external: dict[tuple[str, str], str] = {}
        # Roles by slug; a dict keeps insertion order, which is the priority order
        # (new roles go to the bottom, and no API call reorders them).
        self.env_roles: dict[str, Role] = {}
        self.org_roles: dict[str, dict[str, Role]] = {}
        self.permissions: Collection[Permission] = Collection()
        self.permission_by_slug: dict[str, str] = {}
        self.portal_links: list[dict[str, Any]] = []
        self.handoff = Handoff()  # directories, events, webhook endpoints
        for slug, name, description in DEFAULT_ROLES:
            self.env_roles[slug] = self.new_role(slug, name, description)

    # -- roles ---------------------------------------------------------------------------

    def new_role(
        self,
        slug: str,
        name: str,
        description: str | None = None,
        permissions: list[str] | None = None,
        organization_id: str | None = None,
    ) -> Role:
        role_id, now = self.ids.stamp("role")
        return Role(role_id, slug, name, now, now, description, permissions or [], organization_id)

    def roles_for(self, org_id: str | None) -> list[Role]:
        """Environment roles then the organization's own, in priority order."""
        own = self.org_roles.get(org_id, {}) if org_id else {}
        return [*self.env_roles.values(), *own.values()]

    def find_role(self, org_id: str | None, slug: str) -> Role | None:
        """The role ``slug`` names for members of ``org_id``: an environment role or one of its own."""
        role = self.env_roles.get(slug)
        if role is None and org_id:
            role = self.org_roles.get(org_id, {}).get(slug)
        return role

    def ordered_roles(self, org_id: str | None, slugs: list[str]) -> list[str]:
        """Slugs by role priority; the first is a membership's primary ``role``."""
        if len(slugs) < 2:  # the usual case, and it needs no priority table
            return list(slugs)
        priority = {role.slug: i for i, role in enumerate(self.roles_for(org_id))}
        return sorted(slugs, key=lambda slug: priority.get(slug, len(priority)))

    def default_role(self) -> str:
        slugs = list(self.env_roles)
        return "member" if "member" in slugs or not slugs else slugs[0]

    def remove_org_role(self, role: Role) -> None:
        """Delete a custom role; its members keep their other roles, or fall back to the default.

        WorkOS documents that deleting a role reassigns its memberships to the default
        role (asynchronously); the emulator does it at once so tests see one outcome.
        """
        org_id = role.organization_id or ""
        self.org_roles.get(org_id, {}).pop(role.slug, None)
        now = self.ids.now()
        for membership_id in self.memberships_by_org.get(org_id, EMPTY):
            m = self.memberships.by_id[membership_id]
            if role.slug in m.role_slugs:
                m.role_slugs = [s for s in m.role_slugs if s != role.slug] or [self.default_role()]
                m.updated_at = now

    def permission(self, slug: str) -> Permission | None:
        permission_id = self.permission_by_slug.get(slug)
        return self.permissions.by_id[permission_id] if permission_id else None

    def add_permission(self, p: Permission) -> None:
        """Insert or replace (by id); slugs never change, so the slug index just follows."""
        old = self.permissions.remove(p.id)
        if old is not None:
            del self.permission_by_slug[old.slug]
        self.permissions.add(p.id, p.created_at, p)
        self.permission_by_slug[p.slug] = p.id

    def remove_permission(self, p: Permission) -> None:
        """Delete a permission and take it off every role that holds it."""
        self.permissions.remove(p.id)
        self.permission_by_slug.pop(p.slug, None)
        for role in self._all_roles():
            if p.slug in role.permissions:
                role.permissions.remove(p.slug)

    def _all_roles(self) -> Iterator[Role]:
        yield from self.env_roles.values()
        for roles in self.org_roles.values():
            yield from roles.values()

    # -- organizations -------------------------------------------------------------------

    def _index_org(self, org: Organization) -> None:
        if org.external_id is not None:
            self.org_by_external_id[org.external_id] = org.id
        if org.stripe_customer_id is not None:
            self.org_by_stripe_id[org.stripe_customer_id] = org.id
        for d in org.domains:
            _link(self.orgs_by_domain, d.domain, (org.created_at, org.id))
            if d.state == "verified":
                self.verified_domain_owner.setdefault(d.domain, org.id)

    def _unindex_org(self, org: Organization) -> None:
        if self.org_by_external_id.get(org.external_id or "") == org.id:
            del self.org_by_external_id[org.external_id or ""]
        if self.org_by_stripe_id.get(org.stripe_customer_id or "") == org.id:
            del self.org_by_stripe_id[org.stripe_customer_id or ""]
        for d in org.domains:
            _unlink(self.orgs_by_domain, d.domain, (org.created_at, org.id))
            if self.verified_domain_owner.get(d.domain) == org.id:
                del self.verified_domain_owner[d.domain]

    def add_org(self, org: Organization) -> None:
        existing = self.orgs.get(org.id)
        if existing is not None:
            self._unindex_org(existing)
        self.orgs.add(org.id, org.created_at, org)
        self._index_org(org)

    def remove_org(self, org: Organization) -> None:
        """Delete an organization with its memberships, invitations, connections and roles."""
        for membership_id in list(self.memberships_by_org.get(org.id, ())):
            self.remove_membership(self.memberships.by_id[membership_id])
        for invitation_id in list(self.invitations_by_org.get(org.id, ())):
            self.remove_invitation(self.invitations.by_id[invitation_id])
        for connection_id in list(self.connections_by_org.get(org.id, ())):
            self.remove_connection(self.connections.by_id[connection_id])
        directories = self.handoff.directories
        for directory in [d for d in directories if d.organization_id == org.id]:
            directories.remove(directory.id)
        self.org_roles.pop(org.id, None)
        self._unindex_org(org)
        self.orgs.remove(org.id)

    # -- users ---------------------------------------------------------------------------

    def _index_user(self, user: User) -> None:
        self.user_by_email[user.email] = user.id
        if user.external_id is not None:
            self.user_by_external_id[user.external_id] = user.id

    def _unindex_user(self, user: User) -> None:
        if self.user_by_email.get(user.email) == user.id:
            del self.user_by_email[user.email]
        if self.user_by_external_id.get(user.external_id or "") == user.id:
            del self.user_by_external_id[user.external_id or ""]

    def add_user(self, user: User) -> None:
        existing = self.users.get(user.id)
        if existing is not None:
            self._unindex_user(existing)
        self.users.add(user.id, user.created_at, user)
        self._index_user(user)

    def remove_user(self, user: User) -> None:
        """Delete a user with their memberships and authentication factors."""
        for membership_id in list(self.memberships_by_user.get(user.id, ())):
            self.remove_membership(self.memberships.by_id[membership_id])
        for factor_id in list(self.factors_by_user.get(user.id, ())):
            self.factors.remove(factor_id)
        self.factors_by_user.pop(user.id, None)
        self._unindex_user(user)
        self.users.remove(user.id)

    @contextmanager
    def reindexing(self, record: User | Organization) -> Iterator[None]:
        """Mutate a user or organization inside this block; its index entries follow."""
        if isinstance(record, User):
            self._unindex_user(record)
            try:
                yield
            finally:
                self._index_user(record)
        else:
            self._unindex_org(record)
            try:
                yield
            finally:
                self._index_org(record)

    # -- memberships ---------------------------------------------------------------------

    def add_membership(self, m: Membership) -> None:
        if m.id in self.memberships.by_id:
            self.remove_membership(self.memberships.by_id[m.id])
        key = self.memberships.add(m.id, m.created_at, m)
        _link(self.memberships_by_user, m.user_id, key)
        _link(self.memberships_by_org, m.organization_id, key)
        user = self.users.by_id[m.user_id]
        _link(self.users_by_org, m.organization_id, (user.created_at, user.id))
        self.membership_by_pair[(m.user_id, m.organization_id)] = m.id

    def remove_membership(self, m: Membership) -> None:
        self.memberships.remove(m.id)
        key = (m.created_at, m.id)
        _unlink(self.memberships_by_user, m.user_id, key)
        _unlink(self.memberships_by_org, m.organization_id, key)
        user = self.users.by_id[m.user_id]
        _unlink(self.users_by_org, m.organization_id, (user.created_at, user.id))
        if self.membership_by_pair.get((m.user_id, m.organization_id)) == m.id:
            del self.membership_by_pair[(m.user_id, m.organization_id)]

    def membership_out(self, m: Membership, *, with_user: bool = True) -> dict[str, Any]:
        """A membership as the API returns it: primary role, roles, organization name, user."""
        org = self.orgs.get(m.organization_id)
        user = self.users.get(m.user_id) if with_user else None
        slugs = self.ordered_roles(m.organization_id, m.role_slugs)
        return membership_json(m, slugs, user, org.name if org else None)

    # -- invitations, factors, connections -----------------------------------------------

    def add_invitation(self, inv: Invitation) -> None:
        if inv.id in self.invitations.by_id:
            self.remove_invitation(self.invitations.by_id[inv.id])
        key = self.invitations.add(inv.id, inv.created_at, inv)
        if inv.organization_id:
            _link(self.invitations_by_org, inv.organization_id, key)
        _link(self.invitations_by_email, inv.email, key)

    def remove_invitation(self, inv: Invitation) -> None:
        self.invitations.remove(inv.id)
        key = (inv.created_at, inv.id)
        if inv.organization_id:
            _unlink(self.invitations_by_org, inv.organization_id, key)
        _unlink(self.invitations_by_email, inv.email, key)

    def add_factor(self, f: Factor) -> None:
        old = self.factors.remove(f.id)
        if old is not None:
            _unlink(self.factors_by_user, old.user_id, (old.created_at, old.id))
        _link(self.factors_by_user, f.user_id, self.factors.add(f.id, f.created_at, f))

    def add_connection(self, c: Connection) -> None:
        if c.id in self.connections.by_id:
            self.remove_connection(self.connections.by_id[c.id])
        _link(self.connections_by_org, c.organization_id, self.connections.add(c.id, c.created_at, c))
        if c.external_id is not None:
            self.connection_by_external[(c.organization_id, c.external_id)] = c.id

    def remove_connection(self, c: Connection) -> None:
        self.connections.remove(c.id)
        _unlink(self.connections_by_org, c.organization_id, (c.created_at, c.id))
        if c.external_id is not None:
            self.connection_by_external.pop((c.organization_id, c.external_id), None)

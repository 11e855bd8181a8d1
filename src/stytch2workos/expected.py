"""What WorkOS should hold, from the latest snapshot, the config and the ledger: plain values.

"Should hold" is what a fresh import of the latest snapshot would write, computed by the
same transforms import and sync use (:func:`.plan.iter_people`, :func:`.plan.domain_ownership`,
:func:`.transform.records.org_request`, :func:`.transform.rbac.desired_rbac`), so after a
sync it is the state sync brings WorkOS to. The ledger says which WorkOS entity stands for
each record (its id, and whether the migration created it or reused one already there):

* an entity the migration *reused* was not written by it, so only its presence is expected;
* a member deleted in (or gone from) Stytch whose membership the migration made is expected
  deactivated or deleted (``[sync] deleted_members``), and its invitation no longer pending;
* a membership the ledger says was ``narrowed`` holds the first role only (the environment
  takes one role per membership).

:func:`build_expected` is pure; :func:`load_expected` reads its inputs from a workspace.
Other commands (status, rollback) may use both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.plan import domain_ownership, iter_people, scoped_organizations
from stytch2workos.transform.connections import Decision, decide_all
from stytch2workos.transform.rbac import DesiredRbac, desired_rbac
from stytch2workos.transform.records import PersonPlan, org_request
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import snapshot as snap
from stytch2workos.workspace.ledger import org_role_key
from stytch2workos.workspace.verify import LedgerRow, done_rows, member_statuses

PASSWORD_KIND = "password"  # destination/passwords_source.py records a hash that reached WorkOS
LEDGER_KINDS = (
    "organization",
    "user",
    "membership",
    "invitation",
    "permission",
    "role",
    "org_role",
    "connection",
    PASSWORD_KIND,
)
MembershipStatus = Literal["active", "inactive", "absent"]
RoleKind = Literal["permission", "role", "org_role"]


@dataclass(frozen=True)
class ExpectedOrg:
    source_id: str  # Stytch organization id
    workos_id: str | None  # from the ledger; None: not imported (yet)
    reused: bool  # already in WorkOS before the migration: only its presence is checked
    name: str
    external_id: str
    domains: tuple[tuple[str, str], ...]  # (domain, state)
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ExpectedUser:
    key: str  # email key
    workos_id: str | None
    reused: bool
    first_name: str | None  # None: nothing to compare (WorkOS cannot clear a name)
    last_name: str | None
    email_verified: bool
    external_id: str | None
    metadata: tuple[tuple[str, str], ...]
    password: bool  # a hash of this migration reached WorkOS (WorkOS never shows one)


@dataclass(frozen=True)
class ExpectedMembership:
    member_id: str
    user_key: str | None  # None: a gone member (its person is not in the snapshot any more)
    organization_id: str | None  # Stytch's; None when the member is gone from the snapshot
    workos_id: str | None
    status: MembershipStatus  # "absent": deleted, for a gone member under deleted_members = "delete"
    roles: tuple[str, ...] | None  # None: not compared (reused, gone, or left to WorkOS's default)


@dataclass(frozen=True)
class ExpectedInvitation:
    member_id: str
    email: str
    organization_id: str | None
    workos_id: str | None
    pending: bool  # False: the invitation should be revoked (or accepted): no longer pending
    role_slug: str | None


@dataclass(frozen=True)
class ExpectedRole:
    kind: RoleKind
    slug: str
    organization_id: str | None  # Stytch's, for an organization's own role
    workos_id: str | None
    permissions: frozenset[str] | None  # None: not compared (a role WorkOS had, kept as it was)


@dataclass(frozen=True)
class ExpectedConnection:
    source_id: str  # Stytch connection id
    workos_id: str
    organization_id: str  # Stytch's
    connection_type: str
    name: str


@dataclass(frozen=True)
class ExpectedState:
    """Everything verify compares, keyed as the operator knows it."""

    organizations: dict[str, ExpectedOrg] = field(default_factory=dict)
    users: dict[str, ExpectedUser] = field(default_factory=dict)
    memberships: dict[str, ExpectedMembership] = field(default_factory=dict)
    invitations: dict[str, ExpectedInvitation] = field(default_factory=dict)
    roles: tuple[ExpectedRole, ...] = ()
    connections: tuple[ExpectedConnection, ...] = ()
    # WorkOS ids of every user and organization the ledger holds: what "from this migration" means.
    migration_users: frozenset[str] = frozenset()
    migration_orgs: frozenset[str] = frozenset()
    scope: frozenset[str] | None = None

    def org_workos_id(self, source_id: str | None) -> str | None:
        org = self.organizations.get(source_id or "")
        return None if org is None else org.workos_id

    def user_workos_id(self, key: str | None) -> str | None:
        user = self.users.get(key or "")
        return None if user is None else user.workos_id

    @property
    def passwords(self) -> int:
        return sum(1 for u in self.users.values() if u.password)


Ledger = Mapping[tuple[str, str], LedgerRow]


def _id(ledger: Ledger, kind: str, source_id: str) -> tuple[str | None, bool]:
    row = ledger.get((kind, source_id))
    return (None, False) if row is None else (row.target_id, row.status == "reused")


def build_expected(
    every_org: list[dict[str, Any]],
    people: Iterable[PersonPlan],
    members: Iterable[tuple[str, str, str]],
    config: MigrationConfig,
    ledger: Ledger,
    rbac: DesiredRbac,
    connections: Iterable[Decision] = (),
    scope: frozenset[str] | None = None,
) -> ExpectedState:
    """The expected WorkOS state.

    ``every_org``: the snapshot's organizations (slim, :func:`.plan.scoped_organizations`);
    ``people``: :func:`.plan.iter_people` over the whole snapshot; ``members``: every
    member as ``(member id, organization id, status)``; ``ledger``: the done rows by
    ``(kind, source id)``; ``rbac``: the roles in scope; ``connections``: the decisions for the
    snapshot's connections.
    """
    domains = domain_ownership(every_org, config).domains
    orgs: dict[str, ExpectedOrg] = {}
    for org in every_org:
        if scope is not None and org["organization_id"] not in scope:
            continue
        req = org_request(org, config)
        workos_id, reused = _id(ledger, "organization", req.source_id)
        orgs[req.source_id] = ExpectedOrg(
            req.source_id, workos_id, reused, req.name, req.external_id, domains[req.source_id], req.metadata
        )
    users: dict[str, ExpectedUser] = {}
    memberships: dict[str, ExpectedMembership] = {}
    invitations: dict[str, ExpectedInvitation] = {}
    for person in people:
        # A person is judged by all their members (as a full import makes the user), a pilot
        # only by their access in its organizations.
        scoped = [a for a in person.access if scope is None or a.organization_id in scope]
        if person.user is not None and any(a.kind == "membership" for a in scoped):
            u = person.user
            workos_id, reused = _id(ledger, "user", person.key)
            password = (PASSWORD_KIND, person.key) in ledger
            users[person.key] = ExpectedUser(
                person.key,
                workos_id,
                reused,
                u.first_name,
                u.last_name,
                u.email_verified,
                u.external_id,
                u.metadata,
                password,
            )
        for access in scoped:
            if access.kind == "membership":
                row = ledger.get(("membership", access.member_id))
                roles: tuple[str, ...] | None = access.role_slugs or None
                if row is not None and row.code == "narrowed":
                    roles = access.role_slugs[:1]
                if row is not None and row.status == "reused":
                    roles = None  # WorkOS had it: the migration did not set its roles
                memberships[access.member_id] = ExpectedMembership(
                    access.member_id,
                    person.key,
                    access.organization_id,
                    None if row is None else row.target_id,
                    "active",
                    roles,
                )
                if ("invitation", access.member_id) in ledger:
                    # Invited before, a member now: the invitation is revoked or was accepted.
                    inv_id, _ = _id(ledger, "invitation", access.member_id)
                    invitations[access.member_id] = ExpectedInvitation(
                        access.member_id, person.key, access.organization_id, inv_id, False, None
                    )
            else:
                inv_id, _ = _id(ledger, "invitation", access.member_id)
                role = access.role_slugs[0] if access.role_slugs else None
                invitations[access.member_id] = ExpectedInvitation(
                    access.member_id, person.key, access.organization_id, inv_id, True, role
                )
    _gone_members(members, config, ledger, scope, memberships, invitations)
    return ExpectedState(
        orgs,
        users,
        memberships,
        invitations,
        _roles(rbac, ledger),
        _connections(connections, ledger, scope),
        frozenset(r.target_id for (k, _), r in ledger.items() if k == "user" and r.target_id),
        frozenset(r.target_id for (k, _), r in ledger.items() if k == "organization" and r.target_id),
        scope,
    )


def _gone_members(
    members: Iterable[tuple[str, str, str]],
    config: MigrationConfig,
    ledger: Ledger,
    scope: frozenset[str] | None,
    memberships: dict[str, ExpectedMembership],
    invitations: dict[str, ExpectedInvitation],
) -> None:
    """Memberships and invitations the migration made for members deleted in or gone from Stytch.

    A member still in Stytch but not migrated under the current config (say, a status now
    skipped) is left alone, as sync leaves it.
    """
    status_of = {m: (org, status) for m, org, status in members}
    end: MembershipStatus = "absent" if config.sync.deleted_members == "delete" else "inactive"
    for (kind, member_id), row in ledger.items():
        if kind not in ("membership", "invitation"):
            continue
        if member_id in (memberships if kind == "membership" else invitations):
            continue
        org_id, status = status_of.get(member_id, (None, "gone"))
        if status not in ("deleted", "gone"):
            continue
        if scope is not None and org_id not in scope:
            continue  # a pilot verifies its organizations; a member gone from the snapshot has none
        if kind == "membership":
            memberships[member_id] = ExpectedMembership(member_id, None, org_id, row.target_id, end, None)
        else:
            invitations[member_id] = ExpectedInvitation(member_id, "", org_id, row.target_id, False, None)


def _roles(rbac: DesiredRbac, ledger: Ledger) -> tuple[ExpectedRole, ...]:
    """The permissions and roles the migration created or reused, as the ledger records them."""
    found: list[ExpectedRole] = []
    for p in rbac.permissions:
        rows = [ledger[("permission", s)] for s in p.sources if ("permission", s) in ledger]
        if rows:
            found.append(ExpectedRole("permission", p.slug, None, rows[0].target_id, None))
    for kind, specs in (("role", rbac.roles), ("org_role", rbac.org_roles)):
        for spec in specs:
            keys = [
                s if kind == "role" else org_role_key(spec.organization_id or "", s) for s in spec.sources
            ]
            rows = [ledger[(kind, k)] for k in keys if (kind, k) in ledger]
            if not rows:
                continue
            row = rows[0]
            if row.code == "environment_role":
                # An environment role of the same slug stands in for it (import's choice).
                found.append(ExpectedRole("role", spec.slug, None, row.target_id, None))
                continue
            # Permissions are the migration's only where it wrote them: a new role, or one updated.
            wrote = row.status != "reused" or row.code == "updated"
            permissions = frozenset(spec.permissions) if wrote else None
            org = spec.organization_id if kind == "org_role" else None
            found.append(ExpectedRole(kind, spec.slug, org, row.target_id, permissions))  # type: ignore[arg-type]
    return tuple(found)


def _connections(
    decisions: Iterable[Decision], ledger: Ledger, scope: frozenset[str] | None
) -> tuple[ExpectedConnection, ...]:
    found = []
    for d in decisions:
        req = d.request
        row = ledger.get((d.ledger_kind, d.source_id))
        if req is None or row is None or row.target_id is None or d.ledger_kind != "connection":
            continue
        if scope is not None and req.organization_id not in scope:
            continue
        # Only the connection's identity: its options hold the customer's secrets.
        found.append(
            ExpectedConnection(d.source_id, row.target_id, req.organization_id, req.connection_type, req.name)
        )
    return tuple(found)


@dataclass(frozen=True)
class Reads:
    """What verify lists in WorkOS, known from the ledger alone (so the reading can start
    while the expected state is still being computed)."""

    membership_orgs: tuple[str, ...]  # WorkOS organization ids whose memberships are listed
    org_role_orgs: tuple[str, ...]  # WorkOS organization ids whose own roles are listed
    rbac: bool  # the migration wrote permissions or roles: list them
    connections: bool  # the migration recreated SSO connections: list them


def reads_for(ledger: Ledger, scope: frozenset[str] | None = None) -> Reads:
    """The listings verify needs for the migration's records in ``scope`` (None: all)."""
    orgs = {
        source: row.target_id
        for (kind, source), row in ledger.items()
        if kind == "organization" and row.target_id and (scope is None or source in scope)
    }
    role_orgs = {
        orgs[key.split("/", 1)[0]]
        for (kind, key), row in ledger.items()
        if kind == "org_role" and row.code != "environment_role" and key.split("/", 1)[0] in orgs
    }
    kinds = {kind for kind, _ in ledger}
    return Reads(
        tuple(sorted(orgs.values())),
        tuple(sorted(role_orgs)),
        bool(kinds & {"permission", "role", "org_role"}),
        "connection" in kinds,
    )


def load_ledger(ws: Workspace) -> dict[tuple[str, str], LedgerRow]:
    """The done ledger rows :func:`build_expected` and :func:`reads_for` take."""
    return done_rows(ws, LEDGER_KINDS)


def load_expected(
    ws: Workspace,
    config: MigrationConfig,
    scope: frozenset[str] | None = None,
    ledger: Ledger | None = None,
) -> ExpectedState:
    """:func:`build_expected` over the workspace's latest snapshot and its ledger."""
    snapshot = ws.require_snapshot()
    every_org = scoped_organizations(ws.organizations(snapshot), None)
    people = iter_people(snap.members_by_email(ws, snapshot), config, None)
    in_scope = (o for o in ws.organizations(snapshot) if scope is None or o["organization_id"] in scope)
    rbac = desired_rbac(ws.rbac_policy(snapshot), in_scope, config.role_map, config.permissions)
    decisions = decide_all(ws.connections(snapshot), config.connections)
    return build_expected(
        every_org,
        people,
        member_statuses(ws, snapshot),
        config,
        load_ledger(ws) if ledger is None else ledger,
        rbac,
        decisions,
        scope,
    )

"""What WorkOS holds now, read through its list endpoints into plain values for verify.

Every read is a paginated list at the largest page WorkOS allows (100), paced under the
same budgets as every other call (:class:`.client.WorkOSTarget`): users and invitations
once for the environment; organizations once; memberships once per organization of the
migration (WorkOS lists them only by organization or by user); permissions and roles,
and SSO connections, once each; an organization's own roles once per organization that
has some. Never one GET per record. The listings run side by side on a few workers, so
the read budget rather than one request's round trip sets the pace.

Each list request made is counted (``calls``), beside the fewest any reader could make
(``minimum``: a full page per request, and one request for an empty listing), for the
benchmark. Nothing secret is kept: an invitation's token, a connection's options and a
domain's verification token are not copied.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from stytch2workos import stopping
from stytch2workos.destination.client import Bucket, WorkOSTarget
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.progress import NullProgress, Progress

PAGE = 100  # WorkOS's largest page


@dataclass(frozen=True)
class LiveOrg:
    id: str
    name: str
    external_id: str | None
    domains: tuple[tuple[str, str], ...]  # (domain, state)
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LiveUser:
    id: str
    email: str
    first_name: str | None
    last_name: str | None
    email_verified: bool
    external_id: str | None
    metadata: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LiveMembership:
    id: str
    user_id: str
    organization_id: str
    status: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class LiveInvitation:
    id: str
    email: str
    organization_id: str | None
    state: str
    role_slug: str | None


@dataclass(frozen=True)
class LiveRole:
    id: str
    slug: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class LiveConnection:
    id: str
    organization_id: str | None
    connection_type: str
    name: str
    state: str


@dataclass
class LiveState:
    """One reading of the environment, keyed by WorkOS id (roles by slug)."""

    organizations: dict[str, LiveOrg] = field(default_factory=dict)
    users: dict[str, LiveUser] = field(default_factory=dict)
    memberships: dict[str, LiveMembership] = field(default_factory=dict)
    invitations: dict[str, LiveInvitation] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)  # slug → id
    roles: dict[str, LiveRole] = field(default_factory=dict)  # environment roles
    org_roles: dict[str, dict[str, LiveRole]] = field(default_factory=dict)  # WorkOS org id → slug →
    connections: dict[str, LiveConnection] = field(default_factory=dict)
    listed_orgs: frozenset[str] = frozenset()  # organizations whose memberships were listed
    calls: Counter[str] = field(default_factory=Counter)  # list requests made, per list
    minimum: Counter[str] = field(default_factory=Counter)  # the fewest possible, per list

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_minimum(self) -> int:
        return sum(self.minimum.values())


def _text(value: Any) -> str:
    """An SDK enum's value, or the string itself."""
    return str(getattr(value, "value", value))


def _pairs(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (data or {}).items()))


class LiveReader:
    """Lists the environment into a :class:`LiveState`; safe to share between the workers."""

    def __init__(self, target: WorkOSTarget) -> None:
        self.target = target
        self.state = LiveState()
        self._lock = threading.Lock()

    def _pages(self, name: str, bucket: Bucket, fetch: Callable[[str | None], Any]) -> Iterator[Any]:
        """Every item of one listing (a ``SyncPage`` or a :class:`_RawPage` per request),
        counting each request made, retries included."""

        def counted(after: str | None) -> Any:
            with self._lock:
                self.state.calls[name] += 1
            return fetch(after)

        after: str | None = None
        seen = 0
        while True:
            stopping.check()
            page = self.target.call(bucket, functools.partial(counted, after))
            seen += len(page.data)
            yield from page.data
            after = page.list_metadata.after
            if not after or not page.data:
                break
        with self._lock:
            self.state.minimum[name] += max(1, math.ceil(seen / PAGE))

    def users(self) -> None:
        um = self.target.client.user_management
        for u in self._pages("users", "read", lambda a: um.list_users(limit=PAGE, after=a, order="asc")):
            user = LiveUser(
                str(u.id),
                str(u.email),
                u.first_name,
                u.last_name,
                bool(u.email_verified),
                u.external_id,
                _pairs(u.metadata),
            )
            with self._lock:
                self.state.users[user.id] = user

    def invitations(self) -> None:
        um = self.target.client.user_management
        for i in self._pages(
            "invitations", "read", lambda a: um.list_invitations(limit=PAGE, after=a, order="asc")
        ):
            inv = LiveInvitation(str(i.id), str(i.email), i.organization_id, _text(i.state), i.role_slug)
            with self._lock:
                self.state.invitations[inv.id] = inv

    def organizations(self) -> None:
        orgs = self.target.client.organizations
        for o in self._pages(
            "organizations", "general", lambda a: orgs.list_organizations(limit=PAGE, after=a, order="asc")
        ):
            domains = tuple(sorted((str(d.domain), _text(d.state or "pending")) for d in o.domains or []))
            org = LiveOrg(str(o.id), str(o.name), o.external_id, domains, _pairs(o.metadata))
            with self._lock:
                self.state.organizations[org.id] = org

    def memberships(self, organization_id: str) -> None:
        oms = self.target.client.organization_membership
        for m in self._pages(
            "memberships",
            "read",
            lambda a: oms.list_organization_memberships(
                organization_id=organization_id,
                statuses=["active", "inactive", "pending"],
                limit=PAGE,
                after=a,
                order="asc",
            ),
        ):
            roles = tuple(str(r.slug) for r in m.roles or [])
            om = LiveMembership(str(m.id), str(m.user_id), str(m.organization_id), _text(m.status), roles)
            with self._lock:
                self.state.memberships[om.id] = om

    def permissions(self) -> None:
        authz = self.target.client.authorization
        for p in self._pages(
            "permissions", "general", lambda a: authz.list_permissions(limit=PAGE, after=a, order="asc")
        ):
            with self._lock:
                self.state.permissions[str(p.slug)] = str(p.id)

    def roles(self) -> None:
        authz = self.target.client.authorization
        with self._lock:
            self.state.calls["roles"] += 1
            self.state.minimum["roles"] += 1
        found = self.target.call("general", lambda: authz.list_environment_roles())
        with self._lock:
            for r in found.data:
                self.state.roles[str(r.slug)] = LiveRole(str(r.id), str(r.slug), frozenset(r.permissions))

    def organization_roles(self, organization_id: str) -> None:
        authz = self.target.client.authorization
        with self._lock:
            self.state.calls["organization roles"] += 1
            self.state.minimum["organization roles"] += 1
        found = self.target.call("general", lambda: authz.list_organization_roles(organization_id))
        own = {
            str(r.slug): LiveRole(str(r.id), str(r.slug), frozenset(r.permissions))
            for r in found.data
            if _text(r.type) == "OrganizationRole"
        }
        with self._lock:
            self.state.org_roles[organization_id] = own

    def connections(self) -> None:
        """SSO connections, read raw as import's look-up reads them (destination/connections.py)."""
        client = self.target.client

        def fetch(after: str | None) -> Any:
            params: dict[str, Any] = {"limit": PAGE, "order": "asc"}
            if after:
                params["after"] = after
            return _RawPage(client.request_raw("get", ("connections",), params=params))

        for c in self._pages("connections", "general", fetch):
            conn = LiveConnection(
                str(c.get("id")),
                c.get("organization_id"),
                str(c.get("connection_type") or ""),
                str(c.get("name") or ""),
                str(c.get("state") or ""),
            )
            with self._lock:
                self.state.connections[conn.id] = conn


class _Meta:
    def __init__(self, after: str | None) -> None:
        self.after = after


class _RawPage:
    """A raw list answer with the two attributes :meth:`LiveReader._pages` reads."""

    def __init__(self, body: dict[str, Any]) -> None:
        data = body.get("data")
        self.data = [c for c in data if isinstance(c, dict)] if isinstance(data, list) else []
        meta = body.get("list_metadata")
        after = meta.get("after") if isinstance(meta, dict) else None
        self.list_metadata = _Meta(str(after) if after else None)


def read_live(
    target: WorkOSTarget,
    membership_orgs: Collection[str],
    org_role_orgs: Collection[str] = (),
    *,
    rbac: bool = True,
    connections: bool = True,
    workers: int = 8,
    progress: Progress | None = None,
    users: bool = True,
    invitations: bool = True,
    organizations: bool = True,
) -> LiveState:
    """Read the environment: users, invitations and organizations (each unless turned off),
    the memberships of ``membership_orgs`` and the own roles of ``org_role_orgs`` (WorkOS
    organization ids), permissions and roles (``rbac``), SSO connections (``connections``)."""
    progress = progress or NullProgress()
    reader = LiveReader(target)
    # The longest listings first, so the others fill the gaps beside them.
    wanted = ((users, reader.users), (invitations, reader.invitations), (organizations, reader.organizations))
    tasks: list[Callable[[], None]] = [read for on, read in wanted if on]
    tasks += [functools.partial(reader.memberships, o) for o in sorted(set(membership_orgs))]
    if rbac:
        tasks += [reader.permissions, reader.roles]
        tasks += [functools.partial(reader.organization_roles, o) for o in sorted(set(org_role_orgs))]
    if connections:
        tasks.append(reader.connections)
    progress.start("WorkOS lists", len(tasks))
    WorkerPool(workers, progress, "verify").run(tasks, "WorkOS lists")
    progress.finish("WorkOS lists")
    reader.state.listed_orgs = frozenset(membership_orgs)
    return reader.state

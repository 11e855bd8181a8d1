"""Verify, pure: the expected WorkOS state against a reading of the live one → findings.

Each difference is one :class:`Finding`:

* ``missing``: expected in WorkOS and not there (or not imported yet);
* ``different``: there, with one field other than expected (``field``, ``expected``, ``found``);
* ``unexpected``: in WorkOS but not from this migration (a user, an organization, or a
  membership or pending invitation in one of the migration's organizations that no
  record accounts for). Reported, never an error by itself.

After a rollback (:mod:`.verify_rollback`) two more: ``left``, still in WorkOS though the
rollback removed it, and ``kept``, kept by the rollback on purpose (never an error by itself).

Some live values are progress rather than drift, and are not findings: a domain the
migration left pending that the customer has since verified, a user whose address
WorkOS has since verified, and a user created without its Stytch external id because
another WorkOS user already held it (import's documented fallback).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from stytch2workos.destination.live import LiveInvitation, LiveMembership, LiveOrg, LiveState, LiveUser
from stytch2workos.expected import (
    ExpectedInvitation,
    ExpectedMembership,
    ExpectedOrg,
    ExpectedState,
    ExpectedUser,
)
from stytch2workos.transform.identity import email_key

Category = Literal["missing", "different", "unexpected", "left", "kept"]
CATEGORIES: tuple[Category, ...] = ("missing", "different", "unexpected")
ROLLBACK_CATEGORIES: tuple[Category, ...] = ("left", "missing", "kept")
FAILING: frozenset[Category] = frozenset({"missing", "different", "left"})
NONE = "(none)"
DELETED = "(deleted)"


@dataclass(frozen=True)
class Finding:
    """One difference. ``key`` names the record as the operator knows it: a Stytch
    organization or member id, an email address, a role slug."""

    category: Category
    kind: str
    key: str
    workos_id: str | None = None
    field: str = ""
    expected: str = ""
    found: str = ""
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "kind": self.kind,
            "key": self.key,
            "workos_id": self.workos_id,
            "field": self.field,
            "expected": self.expected,
            "found": self.found,
            "detail": self.detail,
        }


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)  # kind → expected entities compared
    passwords: int = 0  # users a hash of this migration reached (WorkOS never shows one)
    categories: tuple[Category, ...] = CATEGORIES  # what this kind of check can find

    def counts(self) -> dict[str, dict[str, int]]:
        """kind → category → findings."""
        table: dict[str, dict[str, int]] = {}
        for f in self.findings:
            row = table.setdefault(f.kind, {c: 0 for c in self.categories})
            row[f.category] += 1
        return dict(sorted(table.items()))

    def total(self, category: Category) -> int:
        return sum(1 for f in self.findings if f.category == category)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.category in FAILING for f in self.findings) else 0


def show(value: Any) -> str:
    """A value as one line of text for the terminal, JSON and CSV."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list | frozenset | set):
        items = sorted(value) if isinstance(value, frozenset | set) else value
        return ", ".join(show(v) for v in items) or NONE
    if isinstance(value, Mapping):
        return json.dumps(dict(sorted(value.items())), ensure_ascii=False)
    return str(value)


class _Compare:
    def __init__(self, expected: ExpectedState, live: LiveState) -> None:
        self.e, self.live = expected, live
        self.report = Report(passwords=expected.passwords)
        self.add = self.report.findings.append

    def differ(self, kind: str, key: str, workos_id: str, name: str, want: Any, got: Any) -> None:
        self.add(Finding("different", kind, key, workos_id, name, show(want), show(got)))

    def missing(self, kind: str, key: str, workos_id: str | None) -> None:
        detail = (
            "the ledger has no WorkOS id for it: not imported yet (run import, or sync)"
            if workos_id is None
            else "in the ledger, not in WorkOS (deleted there?)"
        )
        self.add(Finding("missing", kind, key, workos_id, detail=detail))

    # -- organizations -----------------------------------------------------------------

    def organizations(self) -> set[str]:
        by_external = {o.external_id: o for o in self.live.organizations.values() if o.external_id}
        matched: set[str] = set()
        for org in self.e.organizations.values():
            self.report.checked["organization"] += 1
            live = self.live.organizations.get(org.workos_id or "")
            if live is None and org.workos_id is None:
                live = by_external.get(org.external_id)
            if live is None:
                self.missing("organization", org.source_id, org.workos_id)
                continue
            matched.add(live.id)
            if not org.reused:
                self.organization(org, live)
        return matched

    def organization(self, org: ExpectedOrg, live: LiveOrg) -> None:
        key, wid = org.source_id, live.id
        if live.name != org.name:
            self.differ("organization", key, wid, "name", org.name, live.name)
        if live.external_id != org.external_id:
            self.differ("organization", key, wid, "external_id", org.external_id, live.external_id)
        if dict(live.metadata) != dict(org.metadata):
            self.differ("organization", key, wid, "metadata", dict(org.metadata), dict(live.metadata))
        want, got = dict(org.domains), dict(live.domains)
        for domain in sorted(want.keys() | got.keys()):
            w, g = want.get(domain), got.get(domain)
            # The customer proving a pending domain is the next step, not drift.
            if w != g and not (w == "pending" and g == "verified"):
                self.differ("organization", key, wid, f"domain {domain}", w, g)

    # -- users ------------------------------------------------------------------------

    def users(self) -> set[str]:
        by_email = {email_key(u.email): u for u in self.live.users.values()}
        holders = {u.external_id: u.id for u in self.live.users.values() if u.external_id}
        matched: set[str] = set()
        for user in self.e.users.values():
            self.report.checked["user"] += 1
            live = self.live.users.get(user.workos_id or "")
            if live is None and user.workos_id is None:
                live = by_email.get(user.key)
            if live is None:
                self.missing("user", user.key, user.workos_id)
                continue
            matched.add(live.id)
            if email_key(live.email) != user.key:
                self.differ("user", user.key, live.id, "email", user.key, live.email)
            if not user.reused:
                self.user(user, live, holders)
        return matched

    def user(self, user: ExpectedUser, live: LiveUser, holders: Mapping[str, str]) -> None:
        key, wid = user.key, live.id
        for name, want, got in (
            ("first_name", user.first_name, live.first_name),
            ("last_name", user.last_name, live.last_name),
        ):
            # No name to compare: WorkOS cannot clear one, and sync leaves it.
            if want is not None and want != got:
                self.differ("user", key, wid, name, want, got)
        # Verified in WorkOS since (the person proved the address): progress, not drift.
        if user.email_verified and not live.email_verified:
            self.differ("user", key, wid, "email_verified", True, False)
        held_elsewhere = live.external_id is None and holders.get(user.external_id or "") not in (None, wid)
        if live.external_id != user.external_id and not held_elsewhere:
            self.differ("user", key, wid, "external_id", user.external_id, live.external_id)
        if dict(live.metadata) != dict(user.metadata):
            self.differ("user", key, wid, "metadata", dict(user.metadata), dict(live.metadata))

    # -- memberships and invitations -------------------------------------------------------

    def memberships(self) -> set[str]:
        by_pair = {(m.user_id, m.organization_id): m for m in self.live.memberships.values()}
        matched: set[str] = set()
        for om in self.e.memberships.values():
            self.report.checked["membership"] += 1
            user_id = self.e.user_workos_id(om.user_key)
            org_id = self.e.org_workos_id(om.organization_id)
            live = self.live.memberships.get(om.workos_id or "")
            if live is None and om.workos_id is None and user_id and org_id:
                live = by_pair.get((user_id, org_id))
            if live is not None:
                matched.add(live.id)
            self.membership(om, live, user_id)
        return matched

    def membership(self, om: ExpectedMembership, live: LiveMembership | None, user_id: str | None) -> None:
        key = om.member_id
        if om.status != "active":
            # A member gone from Stytch: any state but active is what sync leaves (deleted, or
            # deactivated); with deleted_members = "delete" an inactive one is still there.
            if live is not None and (live.status == "active" or om.status == "absent"):
                want = DELETED if om.status == "absent" else om.status
                self.add(
                    Finding(
                        "different",
                        "membership",
                        key,
                        live.id,
                        "status",
                        want,
                        live.status,
                        "the member is deleted in Stytch (or gone from the snapshot): run sync",
                    )
                )
            return
        if live is None:
            self.missing("membership", key, om.workos_id)
            return
        if live.status != "active":
            self.differ("membership", key, live.id, "status", "active", live.status)
        if user_id is not None and live.user_id != user_id:
            self.differ("membership", key, live.id, "user", user_id, live.user_id)
        if om.roles is not None and set(live.roles) != set(om.roles):
            self.differ("membership", key, live.id, "roles", om.roles, live.roles)

    def invitations(self) -> set[str]:
        pending = {
            (email_key(i.email), i.organization_id): i
            for i in self.live.invitations.values()
            if i.state == "pending"
        }
        matched: set[str] = set()
        for inv in self.e.invitations.values():
            self.report.checked["invitation"] += 1
            live = self.live.invitations.get(inv.workos_id or "")
            org_id = self.e.org_workos_id(inv.organization_id)
            if live is None and inv.workos_id is None and inv.pending:
                live = pending.get((inv.email, org_id))
            if live is not None:
                matched.add(live.id)
            self.invitation(inv, live)
        return matched

    def invitation(self, inv: ExpectedInvitation, live: LiveInvitation | None) -> None:
        key = inv.member_id
        if not inv.pending:
            if live is not None and live.state == "pending":
                detail = "the member is active or gone in Stytch: the invitation should be revoked (sync)"
                self.add(
                    Finding("different", "invitation", key, live.id, "state", "revoked", "pending", detail)
                )
            return
        if live is None:
            self.missing("invitation", key, inv.workos_id)
            return
        if live.state != "pending":
            self.differ("invitation", key, live.id, "state", "pending", live.state)
        if inv.role_slug is not None and live.role_slug != inv.role_slug:
            self.differ("invitation", key, live.id, "role_slug", inv.role_slug, live.role_slug)

    # -- roles and connections -------------------------------------------------------------

    def roles(self) -> None:
        for role in self.e.roles:
            self.report.checked[role.kind] += 1
            if role.kind == "permission":
                if role.slug not in self.live.permissions:
                    self.missing("permission", role.slug, role.workos_id)
                continue
            if role.kind == "role":
                held = self.live.roles.get(role.slug)
                key = role.slug
            else:
                held = self.live.org_roles.get(self.e.org_workos_id(role.organization_id) or "", {}).get(
                    role.slug
                )
                key = f"{role.organization_id}/{role.slug}"
            if held is None:
                self.missing(role.kind, key, role.workos_id)
            elif role.permissions is not None and held.permissions != role.permissions:
                self.differ(role.kind, key, held.id, "permissions", role.permissions, held.permissions)

    def connections(self) -> None:
        for conn in self.e.connections:
            self.report.checked["connection"] += 1
            live = self.live.connections.get(conn.workos_id)
            if live is None:
                self.missing("connection", conn.source_id, conn.workos_id)
                continue
            org_id = self.e.org_workos_id(conn.organization_id)
            if org_id is not None and live.organization_id != org_id:
                self.differ(
                    "connection", conn.source_id, live.id, "organization", org_id, live.organization_id
                )
            if live.connection_type.lower() != conn.connection_type.lower():
                self.differ(
                    "connection",
                    conn.source_id,
                    live.id,
                    "connection_type",
                    conn.connection_type,
                    live.connection_type,
                )

    # -- what is not from this migration ---------------------------------------------------------

    def unexpected(
        self, orgs: set[str], users: set[str], memberships: set[str], invitations: set[str]
    ) -> None:
        add, e, live = self.add, self.e, self.live
        note = "not from this migration"
        if e.scope is None:
            # A pilot cannot tell another pilot's records from strangers': only a full run reports them.
            for o in live.organizations.values():
                if o.id not in orgs and o.id not in e.migration_orgs:
                    add(Finding("unexpected", "organization", o.external_id or o.name, o.id, detail=note))
            for u in live.users.values():
                if u.id not in users and u.id not in e.migration_users:
                    add(Finding("unexpected", "user", u.email, u.id, detail=note))
        emails = {u.id: u.email for u in live.users.values()}
        for m in live.memberships.values():
            if m.id not in memberships and m.organization_id in live.listed_orgs:
                who = emails.get(m.user_id, m.user_id)
                detail = f"a membership in one of the migration's organizations ({m.organization_id}) no member accounts for"
                add(Finding("unexpected", "membership", who, m.id, detail=detail))
        for i in live.invitations.values():
            if i.id not in invitations and i.state == "pending" and i.organization_id in live.listed_orgs:
                detail = f"a pending invitation to one of the migration's organizations ({i.organization_id})"
                add(Finding("unexpected", "invitation", i.email, i.id, detail=detail))


def compare(expected: ExpectedState, live: LiveState) -> Report:
    """Every difference between ``expected`` and ``live``, ordered by category, kind and key."""
    c = _Compare(expected, live)
    orgs = c.organizations()
    users = c.users()
    memberships = c.memberships()
    invitations = c.invitations()
    c.roles()
    c.connections()
    c.unexpected(orgs, users, memberships, invitations)
    rank = {cat: n for n, cat in enumerate(CATEGORIES)}
    c.report.findings.sort(key=lambda f: (rank[f.category], f.kind, f.key, f.field))
    return c.report


def summary(report: Report, limit: int = 20) -> dict[str, Any]:
    """The JSON result: totals, counts per kind, the first ``limit`` findings of each category."""
    first: dict[str, list[dict[str, Any]]] = {c: [] for c in report.categories}
    for f in report.findings:
        if len(first[f.category]) < limit:
            first[f.category].append(f.to_json())
    return {
        "ok": report.exit_code == 0,
        "totals": {c: report.total(c) for c in report.categories},
        "by_kind": report.counts(),
        "checked": dict(sorted(report.checked.items())),
        "passwords_expected": report.passwords,
        "examples": first,
    }


def findings_of(report: Report, categories: Iterable[Category]) -> list[Finding]:
    wanted = set(categories)
    return [f for f in report.findings if f.category in wanted]

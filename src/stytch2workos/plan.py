"""The plan: what import would create, reuse and skip, and every problem found.

Pure: :func:`build_plan` takes the snapshot's organizations and people, the
config and what the target already holds, and returns a value. The people come
from :func:`iter_people`, which groups the snapshot's members by email; the
domains each organization gets from :func:`domain_ownership`. Import uses the
same three, so what the plan shows is what import does.
Problems that would make the import wrong are *blocking*: import refuses to run
until they are fixed or explicitly accepted (``--accept CODE``).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.transform.records import PersonPlan, org_request, plan_person, slim_org

Severity = Literal["blocking", "warning", "info"]


@dataclass(frozen=True)
class TargetState:
    """What the WorkOS environment already has, as far as the plan cares."""

    roles: frozenset[str]
    organizations_by_external_id: dict[str, str]
    users_by_email: dict[str, str]


@dataclass
class Problem:
    code: str
    severity: Severity
    message: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Plan:
    organizations: Counter[str] = field(default_factory=Counter)
    users: Counter[str] = field(default_factory=Counter)
    memberships: int = 0
    invitations: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    per_organization: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def blocking(self, accepted: Iterable[str] = ()) -> list[Problem]:
        ok = set(accepted)
        return [p for p in self.problems if p.severity == "blocking" and p.code not in ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "organizations": dict(self.organizations),
            "users": dict(self.users),
            "memberships": self.memberships,
            "invitations": self.invitations,
            "skipped": dict(self.skipped),
            "per_organization": list(self.per_organization.values()),
            "problems": [asdict(p) for p in self.problems],
        }


def scoped_organizations(orgs: Iterable[dict[str, Any]], only: frozenset[str] | None) -> list[dict[str, Any]]:
    """The organizations in scope, reduced to the fields plan and import read."""
    return [slim_org(o) for o in orgs if only is None or o["organization_id"] in only]


@dataclass(frozen=True)
class DomainOwnership:
    """The domains each organization gets, and the domains several organizations list."""

    domains: dict[str, tuple[tuple[str, str], ...]]  # organization id → (domain, state)
    shared: dict[str, list[str]]  # domain → organization names, the owner first


def domain_ownership(orgs: Iterable[dict[str, Any]], config: MigrationConfig) -> DomainOwnership:
    """A domain several organizations list keeps its configured state on the oldest only.

    WorkOS lets a domain be pending on several organizations but verified on one. Decided
    over the whole snapshot, so a pilot never verifies a domain the full import gives to
    an earlier organization.
    """
    owner: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    domains: dict[str, tuple[tuple[str, str], ...]] = {}
    for org in sorted(orgs, key=lambda o: (str(o.get("created_at") or ""), o["organization_id"])):
        req = org_request(org, config)
        states = []
        for domain, state in req.domains:
            first = owner.setdefault(domain, req.source_id) == req.source_id
            states.append((domain, state if first else "pending"))
            names.setdefault(domain, []).append(req.name)
        domains[req.source_id] = tuple(states)
    return DomainOwnership(domains, {d: n for d, n in names.items() if len(n) > 1})


def iter_people(
    members: Iterable[tuple[str, str]], config: MigrationConfig, scope: frozenset[str] | None
) -> Iterator[PersonPlan]:
    """Every person with the plan for them, from ``(email key, member JSON)`` ordered by key."""
    for _, group in itertools.groupby(members, key=lambda r: r[0]):
        plan = plan_person([json.loads(raw) for _, raw in group], config, scope)
        if plan.access or plan.skips:
            yield plan


def _examples(items: Iterable[str], limit: int = 5) -> list[str]:
    return sorted(set(items))[:limit]


def build_plan(
    orgs: list[dict[str, Any]],
    people: Iterable[PersonPlan],
    config: MigrationConfig,
    target: TargetState,
    every_org: list[dict[str, Any]] | None = None,
) -> Plan:
    """Everything import would do, without doing any of it.

    ``every_org`` is the whole snapshot when ``orgs`` is a pilot's scope: domain
    ownership is decided over it, as import decides it.
    """
    plan = Plan()
    ownership = domain_ownership(orgs if every_org is None else every_org, config)
    in_scope = {o["organization_id"] for o in orgs}
    for org in orgs:
        req = org_request(org, config)
        exists = req.external_id in target.organizations_by_external_id
        plan.organizations["reuse" if exists else "create"] += 1
        plan.per_organization[req.source_id] = {
            "organization_id": req.source_id,
            "name": req.name,
            "action": "reuse" if exists else "create",
            "memberships": 0,
            "invitations": 0,
            "skipped": 0,
        }

    unmapped: Counter[str] = Counter()
    used_slugs: Counter[str] = Counter()
    invalid: list[str] = []
    variants: list[str] = []
    existing_users: list[str] = []
    for person in people:
        if person.user is not None:
            reuse = person.key in target.users_by_email
            plan.users["reuse" if reuse else "create"] += 1
            if reuse:
                existing_users.append(person.key)
        if len(person.email_variants) > 1:
            variants.append(" / ".join(person.email_variants))
        for role in person.unmapped_roles:
            unmapped[role] += 1
        for access in person.access:
            row = plan.per_organization.get(access.organization_id)
            if access.kind == "membership":
                plan.memberships += 1
            else:
                plan.invitations += 1
            if row is not None:
                row["memberships" if access.kind == "membership" else "invitations"] += 1
            used_slugs.update(access.role_slugs)
        for skip in person.skips:
            plan.skipped[skip.reason] += 1
            row = plan.per_organization.get(skip.organization_id)
            if row is not None:
                row["skipped"] += 1
            if skip.reason == "invalid_email":
                invalid.append(person.key)

    add = plan.problems.append
    if unmapped:
        add(
            Problem(
                "unmapped_role",
                "blocking",
                "Stytch roles with no entry in [roles.map]; their holders would lose them (add them to migration.toml, or accept to drop them)",
                sum(unmapped.values()),
                sorted(unmapped),
            )
        )
    missing = sorted(s for s in used_slugs if s not in target.roles)
    if missing:
        add(
            Problem(
                "missing_role",
                "blocking",
                "role slugs the map uses that do not exist in WorkOS (create them in WorkOS first)",
                sum(used_slugs[s] for s in missing),
                missing,
            )
        )
    if invalid:
        add(
            Problem(
                "invalid_email",
                "warning",
                "members whose address is not a valid email; they are skipped",
                len(invalid),
                _examples(invalid),
            )
        )
    scoped = {d for o in in_scope for d, _ in ownership.domains.get(o, ())}
    shared = {d: names for d, names in ownership.shared.items() if d in scoped}
    if shared:
        severity: Severity = "warning" if config.domain_state == "verified" else "info"
        add(
            Problem(
                "shared_domain",
                severity,
                "domains listed by several organizations: only the first keeps the configured state, the others get it as pending",
                len(shared),
                _examples(f"{d} ({', '.join(n)})" for d, n in shared.items()),
            )
        )
    if variants:
        add(
            Problem(
                "email_case_variants",
                "info",
                "people whose member records spell the address differently; each becomes one WorkOS user",
                len(variants),
                _examples(variants),
            )
        )
    if existing_users:
        add(
            Problem(
                "existing_users",
                "info",
                "users already in WorkOS: they are reused and get their memberships",
                len(existing_users),
                _examples(existing_users),
            )
        )
    if plan.organizations["reuse"]:
        add(
            Problem(
                "existing_organizations",
                "info",
                "organizations already in WorkOS under the same external id are reused",
                plan.organizations["reuse"],
            )
        )
    return plan

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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.plan_connections import ConnectionPlan
from stytch2workos.plan_members import MemberNotes
from stytch2workos.plan_roles import RolePlan, implicit_problem, plan_roles
from stytch2workos.transform.rbac import DesiredRbac, ImplicitRule
from stytch2workos.transform.records import PersonPlan, org_request, plan_person, slim_org
from stytch2workos.transform.validate import IssueTally

Severity = Literal["blocking", "warning", "info"]


@dataclass(frozen=True)
class TargetState:
    """What the WorkOS environment already has, as far as the plan cares."""

    roles: frozenset[str]
    organizations_by_external_id: dict[str, str]
    users_by_email: dict[str, str]
    permissions: frozenset[str] = frozenset()
    role_permissions: dict[str, frozenset[str]] = field(default_factory=dict)  # environment role slug →
    # WorkOS organization id → its own roles' slug → permissions; read for the organizations
    # already in WorkOS that this migration gives roles of their own.
    org_roles: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)


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
    # Each invitation WorkOS sends is an email to a person: the count to say before writing.
    invitation_emails: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    per_organization: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    roles: RolePlan = field(default_factory=RolePlan)
    connections: ConnectionPlan = field(default_factory=ConnectionPlan)  # plan_connections.py

    def blocking(self, accepted: Iterable[str] = ()) -> list[Problem]:
        ok = set(accepted)
        return [p for p in self.problems if p.severity == "blocking" and p.code not in ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "organizations": dict(self.organizations),
            "users": dict(self.users),
            "memberships": self.memberships,
            "invitations": self.invitations,
            "invitation_emails": self.invitation_emails,
            "skipped": dict(self.skipped),
            "per_organization": list(self.per_organization.values()),
            "problems": [asdict(p) for p in self.problems],
            "roles": self.roles.to_json(),
            "connections": self.connections.to_json(),
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
    invited_before: frozenset[str] = frozenset(),
    record_issues: Sequence[IssueTally] = (),
    rbac: DesiredRbac | None = None,
    implicit: Sequence[ImplicitRule] = (),
    connections: ConnectionPlan | None = None,
) -> Plan:
    """Everything import would do, without doing any of it.

    ``every_org`` is the whole snapshot when ``orgs`` is a pilot's scope: domain
    ownership is decided over it, as import decides it. ``invited_before`` holds the
    member ids whose invitation an earlier import sent (not sent again).
    ``record_issues`` are the records the export refused or adjusted, in scope.
    ``rbac`` is the permissions and roles the migration wants (none: only WorkOS's roles
    count), ``implicit`` Stytch's implicit role rules in scope. ``connections`` is the SSO
    part, from :func:`.plan_connections.plan_connections`.
    """
    plan = Plan()
    if connections is not None:
        plan.connections = connections
    ownership = domain_ownership(orgs if every_org is None else every_org, config)
    in_scope = {o["organization_id"] for o in orgs}
    notes = MemberNotes()
    workos_org: dict[str, str] = {}  # Stytch organization id → WorkOS id, for those already there
    for org in orgs:
        req = org_request(org, config)
        notes.metadata(req.name, req.metadata_left_out)
        exists = req.external_id in target.organizations_by_external_id
        if exists:
            workos_org[req.source_id] = target.organizations_by_external_id[req.external_id]
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
    used_slugs: Counter[tuple[str, str]] = Counter()  # (Stytch organization id, slug) → uses
    invalid: list[str] = []
    variants: list[str] = []
    existing_users: list[str] = []
    for person in people:
        notes.special(person.key, person.special)
        if person.user is not None:
            notes.metadata(person.key, person.user.metadata_left_out)
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
                if access.member_id not in invited_before:
                    plan.invitation_emails += 1
            if row is not None:
                row["memberships" if access.kind == "membership" else "invitations"] += 1
            used_slugs.update((access.organization_id, slug) for slug in access.role_slugs)
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
    plan.roles = plan_roles(
        rbac or DesiredRbac(),
        target.permissions,
        {slug: target.role_permissions.get(slug, frozenset()) for slug in target.roles},
        target.org_roles,
        workos_org,
        config.existing_roles,
    )
    missing = [(org_id, slug) for org_id, slug in used_slugs if not plan.roles.available(org_id, slug)]
    if missing:
        add(
            Problem(
                "missing_role",
                "blocking",
                "role slugs the map uses that neither exist in WorkOS nor are roles this migration "
                "creates there (a Stytch role missing from the policy or from the organization's "
                "custom roles): create them in WorkOS, or change [roles.map]",
                sum(used_slugs[k] for k in missing),
                _examples(slug for _, slug in missing),
            )
        )
    plan.problems.extend(Problem(*p) for p in plan.roles.problems)
    implicit_roles = implicit_problem(implicit)
    if implicit_roles is not None:
        plan.problems.append(Problem(*implicit_roles))
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
    if plan.invitation_emails:
        add(
            Problem(
                "invitation_emails",
                "info",
                "invited and pending members WorkOS will email an invitation to ([statuses] in "
                "migration.toml decides: invite, import or skip)",
                plan.invitation_emails,
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
    plan.problems += [Problem(*p) for p in notes.problems(config)]
    _add_record_issues(plan, record_issues)
    return plan


def _add_record_issues(plan: Plan, issues: Sequence[IssueTally]) -> None:
    """Records the export refused (import skips the members, one ledger row each) or adjusted."""
    for issue in issues:
        if issue.refused and issue.entity == "member":
            plan.skipped[issue.code] += issue.count
    for refused, code, message in (
        (
            True,
            "refused_record",
            "records the export refused (bad or missing fields, repeated ids): they are not migrated; "
            "fix the source and export again (details: stytch2workos export --json)",
        ),
        (
            False,
            "adjusted_record",
            "records migrated with a field left out or replaced because WorkOS would refuse it, "
            "or with a stand-in name (details: stytch2workos export --json)",
        ),
    ):
        group = [i for i in issues if i.refused == refused]
        if group:
            codes = ", ".join(f"{i.entity} {i.code} {i.count:,}" for i in group)
            examples = [f"{e} ({i.code})" for i in group for e in i.examples]
            plan.problems.append(
                Problem(code, "warning", f"{message}: {codes}", sum(i.count for i in group), examples[:5])
            )

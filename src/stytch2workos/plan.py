"""The plan: what import would create, reuse and skip, and every problem found.

Pure at its core: :func:`build_plan` takes the snapshot's organizations and
people, the config and what the target already holds, and returns a value.
Problems that would make the import wrong are *blocking*: import refuses to run
until they are fixed or explicitly accepted (``--accept CODE``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .config import MigrationConfig
from .transform.records import PersonPlan, org_request

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


def _examples(items: Iterable[str], limit: int = 5) -> list[str]:
    return sorted(set(items))[:limit]


def build_plan(
    orgs: list[dict[str, Any]],
    people: Iterable[PersonPlan],
    config: MigrationConfig,
    target: TargetState,
) -> Plan:
    """Everything import would do, without doing any of it."""
    plan = Plan()
    domain_owners: dict[str, list[str]] = {}
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
        for domain, _ in req.domains:
            domain_owners.setdefault(domain, []).append(req.name)

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
    shared = {d: names for d, names in domain_owners.items() if len(names) > 1}
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

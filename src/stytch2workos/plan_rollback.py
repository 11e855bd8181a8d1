"""Planning a rollback (pure): which ledger rows to undo, in which order, and what to keep.

Only what this migration made is undone: ledger rows ``created`` or ``recovered`` (found
after a create whose answer was lost, so most likely made by it). ``reused`` rows name
entities that existed before the migration and are never touched; rows ``sending`` (a
create on the wire when a run stopped) are reported, since nobody knows whether the
entity exists: running ``import`` again settles them.

Kinds go in dependency order, so nothing is deleted while something made from it is
still there: invitations and memberships before the users and organizations they join,
connections and an organization's own roles before the organization, roles before the
permissions they grant. Within a kind, the newest first.

WorkOS has no API call that deletes an environment role (SDK 10.8, OpenAPI v0.61: only
GET and PATCH on ``/authorization/roles/{slug}``), so those are listed for the operator
to delete in the WorkOS Dashboard instead of being planned as writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Dependents first. Sync creates the same kinds, recorded in the same ledger.
KIND_ORDER: tuple[str, ...] = (
    "invitation",
    "membership",
    "connection",
    "user",
    "org_role",
    "organization",
    "role",
    "permission",
)
MADE = frozenset({"created", "recovered"})
# Left for the Dashboard: no API deletes them.
MANUAL_KINDS = frozenset({"role"})
EXAMPLES = 5
MAX_LISTED = 1000


@dataclass(frozen=True)
class LedgerFact:
    """One import-ledger row, as the planner needs it."""

    kind: str
    source_id: str
    status: str
    target_id: str | None
    updated_at: str


@dataclass(frozen=True)
class Step:
    """One undo: revoke an invitation, or delete an entity, by its WorkOS id.

    ``organization_id`` is the WorkOS organization an organization's own role lives in
    (its delete is addressed by organization and slug).
    """

    kind: str
    source_id: str
    target_id: str
    organization_id: str | None = None

    @property
    def action(self) -> str:
        return "revoke" if self.kind == "invitation" else "delete"


@dataclass(frozen=True)
class RollbackPlan:
    """The ordered undo steps, and what the rollback will not touch (and why)."""

    steps: tuple[Step, ...]
    manual: tuple[Step, ...] = ()  # environment roles: deleted by hand in the Dashboard
    untouched: Mapping[str, int] = field(default_factory=dict)  # reused rows per kind
    in_flight: tuple[LedgerFact, ...] = ()  # outcome unknown: ``import`` settles them
    orphans: tuple[LedgerFact, ...] = ()  # an org role whose organization has no WorkOS id

    def counts(self) -> dict[str, int]:
        """Steps per kind, in plan order."""
        found = Counter(s.kind for s in self.steps)
        return {k: found[k] for k in KIND_ORDER if found[k]}

    def examples(self, limit: int = EXAMPLES) -> dict[str, list[str]]:
        """The first ``limit`` source ids of each kind, as the steps take them."""
        result: dict[str, list[str]] = {}
        for step in self.steps:
            ids = result.setdefault(step.kind, [])
            if len(ids) < limit:
                ids.append(step.source_id)
        return result


@dataclass
class RollbackResult:
    """A rollback's plan and, when applied, what this run did."""

    plan: RollbackPlan
    applied: bool
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept: list[dict[str, str | None]] = field(default_factory=list)
    failures: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        """Something was kept or refused: the rollback is not complete."""
        return bool(self.kept or self.failures)

    def to_json(self) -> dict[str, Any]:
        done: dict[str, dict[str, int]] = {}
        for (kind, status), n in sorted(self.outcomes.items()):
            done.setdefault(kind, {})[status] = n
        return {
            "dry_run": not self.applied,
            "planned": self.plan.counts(),
            "examples": self.plan.examples(),
            "outcomes": done,
            "kept": self.kept[:MAX_LISTED],
            "failures": self.failures[:MAX_LISTED],
            "manual": [
                {"kind": s.kind, "source_id": s.source_id, "workos_id": s.target_id} for s in self.plan.manual
            ],
            "untouched": dict(self.plan.untouched),
            "in_flight": [{"kind": r.kind, "source_id": r.source_id} for r in self.plan.in_flight],
            "orphans": [{"kind": r.kind, "source_id": r.source_id} for r in self.plan.orphans],
        }


def org_of_role(source_id: str) -> str:
    """The Stytch organization in an ``org_role`` key (``ledger.org_role_key``)."""
    return source_id.split("/", 1)[0]


def plan_rollback(rows: Iterable[LedgerFact]) -> RollbackPlan:
    """The undo steps for ``rows``, dependents first and the newest first within a kind."""
    rows = list(rows)
    org_ids = {
        r.source_id: r.target_id
        for r in rows
        if r.kind == "organization" and r.target_id and r.status in (*MADE, "reused")
    }
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}
    undo = [r for r in rows if r.kind in order and r.status in MADE and r.target_id]
    # Newest first, then (a stable sort) grouped by kind in dependency order.
    undo.sort(key=lambda r: (r.updated_at, r.source_id), reverse=True)
    undo.sort(key=lambda r: order[r.kind])
    steps: list[Step] = []
    manual: list[Step] = []
    orphans: list[LedgerFact] = []
    for r in undo:
        assert r.target_id is not None
        org: str | None = None
        if r.kind == "org_role":
            org = org_ids.get(org_of_role(r.source_id))
            if org is None:
                orphans.append(r)
                continue
        step = Step(r.kind, r.source_id, r.target_id, org)
        (manual if r.kind in MANUAL_KINDS else steps).append(step)
    untouched = Counter(r.kind for r in rows if r.status == "reused" and r.kind in order)
    in_flight = tuple(sorted((r for r in rows if r.status == "sending"), key=lambda r: (r.kind, r.source_id)))
    return RollbackPlan(
        tuple(steps),
        tuple(manual),
        {k: untouched[k] for k in KIND_ORDER if untouched[k]},
        in_flight,
        tuple(orphans),
    )


@dataclass(frozen=True)
class Activity:
    """What WorkOS shows happened to a user or organization outside this migration."""

    signed_in: bool = False
    outside_memberships: int = 0  # memberships this migration did not make


def keep_reason(kind: str, activity: Activity, force: bool) -> str | None:
    """Why a user or organization is kept rather than deleted, or None to delete it.

    A user who signed in, or who belongs to an organization through a membership this
    migration did not make, is someone's account now; deleting an organization deletes
    every membership in it. ``force`` deletes them anyway.
    """
    if force:
        return None
    if kind == "user" and activity.signed_in:
        return "signed_in"
    if activity.outside_memberships:
        return "outside_memberships" if kind == "user" else "outside_members"
    return None


KEEP_DETAILS = {
    "signed_in": "the user has signed in to WorkOS",
    "outside_memberships": "the user has memberships this migration did not make",
    "outside_members": "the organization has members this migration did not add",
}

"""What WorkOS should hold after a rollback (pure): what must be gone, what was kept, what must stay.

Two ledgers say it. The import ledger has a row per record the migration wrote (its
status ``rolled_back`` once a rollback undid it); the rollback ledger has a row per
WorkOS entity a rollback decided about (``deleted``, ``gone``, ``kept``, ``sending``,
``failed``). From them, :func:`decide_mode` says which check ``verify`` makes, and
:func:`expect_rollback` what a finished rollback leaves:

* *absent*: every entity a rollback deleted (or found gone), every environment role the
  migration created (no API deletes one: the operator does it in the Dashboard), and any
  organization or user whose create was on the wire when import stopped (it may exist);
* *kept*: what the rollback kept on purpose (someone signed in, or has memberships the
  migration did not make), listed for the operator, never an error by itself;
* *present*: what the migration only reused: it was in WorkOS before, and still must be.

:func:`reads_for_rollback` names the WorkOS listings those checks need, and no others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from stytch2workos.plan_rollback import KIND_ORDER, MADE, MANUAL_KINDS, LedgerFact, org_of_role, plan_rollback

Mode = Literal["migration", "rollback", "unfinished"]
DONE = frozenset({"created", "reused", "recovered"})
UNDONE = frozenset({"deleted", "gone"})
SENDING = "sending"
DASHBOARD = "no API deletes an environment role: delete it in the WorkOS Dashboard"
# Kinds that live inside one organization and are listed per organization.
IN_ORGANIZATION = frozenset({"membership", "org_role"})


@dataclass(frozen=True)
class UndoFact:
    """One rollback-ledger row."""

    kind: str
    source_id: str
    target_id: str
    status: str
    code: str | None
    detail: str | None
    updated_at: str


@dataclass(frozen=True)
class ModeDecision:
    """Which check verify makes, and for an unfinished rollback what is left to undo."""

    mode: Mode
    outstanding: Mapping[str, int] = field(default_factory=dict)  # kind → entities still to undo
    failed: int = 0  # of those, refused by WorkOS on the last attempt
    reason: str = ""


def decide_mode(ledger: Iterable[LedgerFact], undo: Iterable[UndoFact]) -> ModeDecision:
    """``rollback`` when the last rollback finished, ``unfinished`` when it stopped part way,
    ``migration`` when no rollback ran or something was imported after it.

    Nothing records a rollback run as such: each undo is ledgered, so the ledgers decide.
    A row the migration wrote *after* the rollback (stamped later than the rollback's
    last act, or a record the rollback undid that now names another WorkOS entity) means
    a new import or sync: the migration is what WorkOS should hold again, and the rows
    still ``rolled_back`` are simply not imported yet. Otherwise the rollback is finished
    when a rerun would have nothing to undo but what it kept on purpose, which is the
    rollback planner's own answer (:func:`.plan_rollback.plan_rollback`).
    """
    undo = list(undo)
    if not undo:
        return ModeDecision("migration", reason="no rollback has run")
    ledger = list(ledger)
    last = max(u.updated_at for u in undo)
    undone: dict[tuple[str, str], set[str]] = {}
    for u in undo:
        if u.status in UNDONE:
            undone.setdefault((u.kind, u.source_id), set()).add(u.target_id)
    for row in ledger:
        if row.kind not in KIND_ORDER or row.status not in DONE or not row.target_id:
            continue
        # Stamps are to the second: a row as old as the rollback's last act is its own.
        after = row.updated_at > last
        recreated = row.target_id not in undone.get((row.kind, row.source_id), {row.target_id})
        if after or recreated:
            return ModeDecision("migration", reason="imported again after the rollback")
    kept = {(u.kind, u.source_id, u.target_id) for u in undo if u.status == "kept"}
    refused = {(u.kind, u.source_id, u.target_id) for u in undo if u.status == "failed"}
    plan = plan_rollback(r for r in ledger if r.status in DONE or r.status == SENDING)
    left = [s for s in plan.steps if (s.kind, s.source_id, s.target_id) not in kept]
    if left:
        failed = sum(1 for s in left if (s.kind, s.source_id, s.target_id) in refused)
        counts = Counter(s.kind for s in left)
        return ModeDecision("unfinished", {k: counts[k] for k in KIND_ORDER if counts[k]}, failed)
    return ModeDecision("rollback", reason="the last rollback finished")


def unfinished_message(decision: ModeDecision) -> str:
    """One line: what the stopped rollback has left, and what to run."""
    what = ", ".join(f"{n:,} {kind}{'' if n == 1 else 's'}" for kind, n in decision.outstanding.items())
    refused = f", {decision.failed:,} of them refused by WorkOS last time" if decision.failed else ""
    return (
        f"the last rollback did not finish ({what} still to undo{refused}); run "
        "`stytch2workos rollback --apply` again, then verify"
    )


@dataclass(frozen=True)
class Entity:
    """One WorkOS entity verify looks for. ``key`` names it as the operator knows it (a
    Stytch organization or member id, an email address, a role key); ``organization_id``
    is the WorkOS organization a membership or an organization's role lives in; ``natural``
    also identifies it once re-created: an organization's external id, a user's email key."""

    kind: str
    key: str
    workos_id: str | None
    organization_id: str | None = None
    natural: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class RollbackState:
    """What a finished rollback leaves: see the module docstring."""

    absent: tuple[Entity, ...] = ()
    kept: tuple[Entity, ...] = ()
    present: tuple[Entity, ...] = ()
    # WorkOS organizations the rollback deleted: what lived in them went with them.
    undone_orgs: frozenset[str] = frozenset()


def expect_rollback(
    ledger: Iterable[LedgerFact],
    undo: Iterable[UndoFact],
    org_external_ids: Mapping[str, str],
    member_orgs: Mapping[str, str],
) -> RollbackState:
    """The absent, kept and present entities after a finished rollback.

    ``org_external_ids``: Stytch organization id → the external id import gave it;
    ``member_orgs``: Stytch member id → Stytch organization id (both from the snapshot).
    """
    ledger, undo = list(ledger), list(undo)
    org_ids = {r.source_id: r.target_id for r in ledger if r.kind == "organization" and r.target_id}
    current = {(r.kind, r.source_id): r for r in ledger}

    def home(kind: str, source_id: str) -> str | None:
        if kind == "org_role":
            return org_ids.get(org_of_role(source_id))
        if kind in ("membership", "invitation"):
            return org_ids.get(member_orgs.get(source_id, ""))
        return None

    def natural(kind: str, source_id: str) -> str | None:
        if kind == "organization":
            return org_external_ids.get(source_id)
        return source_id if kind == "user" else None  # a user's ledger key is the email key

    def entity(kind: str, source_id: str, target_id: str | None, detail: str = "") -> Entity:
        return Entity(kind, source_id, target_id, home(kind, source_id), natural(kind, source_id), detail)

    absent = [entity(u.kind, u.source_id, u.target_id) for u in undo if u.status in UNDONE]
    kept: list[Entity] = []
    for u in undo:
        row = current.get((u.kind, u.source_id))
        # Kept still only while the import ledger names the same entity, as the rollback left it.
        if u.status == "kept" and row is not None and row.status in MADE and row.target_id == u.target_id:
            kept.append(entity(u.kind, u.source_id, u.target_id, u.detail or u.code or ""))
    for r in ledger:
        if r.kind in MANUAL_KINDS and r.status in MADE and r.target_id:
            absent.append(entity(r.kind, r.source_id, r.target_id, DASHBOARD))
        elif r.status == SENDING and r.kind in ("organization", "user"):
            # The create's outcome is unknown: if it happened, it is the migration's and still there.
            detail = "its create was on the wire when import stopped"
            absent.append(entity(r.kind, r.source_id, r.target_id, detail))
    present = [
        entity(r.kind, r.source_id, r.target_id) for r in ledger if r.status == "reused" and r.target_id
    ]
    present = [e for e in present if e.kind in KIND_ORDER]
    undone_orgs = frozenset(u.target_id for u in undo if u.kind == "organization" and u.status in UNDONE)
    order = {kind: i for i, kind in enumerate(KIND_ORDER)}

    def ordered(items: list[Entity]) -> tuple[Entity, ...]:
        return tuple(sorted(items, key=lambda e: (order.get(e.kind, 99), e.key, e.workos_id or "")))

    return RollbackState(ordered(absent), ordered(kept), ordered(present), undone_orgs)


@dataclass(frozen=True)
class RollbackReads:
    """The WorkOS listings the checks after a rollback need."""

    organizations: bool
    users: bool
    invitations: bool
    membership_orgs: tuple[str, ...]  # WorkOS organizations whose memberships are listed
    org_role_orgs: tuple[str, ...]  # WorkOS organizations whose own roles are listed
    rbac: bool
    connections: bool


def reads_for_rollback(state: RollbackState) -> RollbackReads:
    """Only the listings the absent and present entities need (the kept ones are shown as they
    were recorded, and annotated when a listing was read anyway).

    An organization the rollback deleted is not listed into: WorkOS may answer 404 for it,
    and its memberships and roles went with it, so the organization's own check covers them.
    """
    checked = [*state.absent, *state.present]
    kinds = {e.kind for e in checked}

    def orgs_of(kind: str) -> tuple[str, ...]:
        found = {
            e.organization_id
            for e in checked
            if e.kind == kind and e.organization_id and e.organization_id not in state.undone_orgs
        }
        return tuple(sorted(found))

    cascaded = any(e.organization_id in state.undone_orgs for e in checked if e.kind in IN_ORGANIZATION)
    return RollbackReads(
        organizations="organization" in kinds or cascaded,
        users="user" in kinds,
        invitations="invitation" in kinds,
        membership_orgs=orgs_of("membership"),
        org_role_orgs=orgs_of("org_role"),
        rbac=bool(kinds & {"permission", "role", "org_role"}),
        connections="connection" in kinds,
    )

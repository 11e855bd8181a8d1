"""Verify after a rollback, pure: what a finished rollback leaves against a reading of WorkOS.

Each entity of :class:`.expected_rollback.RollbackState` becomes at most one finding:

* ``left``: an entity the rollback removed is in WorkOS: by its WorkOS id (the delete did
  not hold, or an environment role waits for the Dashboard), or re-created since (an
  organization with the external id, a user with the email address, the migration gave it);
* ``missing``: an entity the migration only reused (it was there before) is gone;
* ``kept``: kept by the rollback on purpose, with its reason; never an error by itself.

What lived inside an organization the rollback deleted (its memberships, its own roles) went
with it and is not listed: if the organization is still there, its own ``left`` says so.
"""

from __future__ import annotations

from collections.abc import Callable

from stytch2workos.destination.live import LiveState
from stytch2workos.expected_rollback import Entity, RollbackReads, RollbackState, reads_for_rollback
from stytch2workos.transform.identity import email_key
from stytch2workos.verify import DELETED, ROLLBACK_CATEGORIES, Finding, Report

PRESENT = "present"
# Live entity → what the operator recognises it by (a name, an email address, a slug).
Found = tuple[str, str] | None


class _Look:
    """Finds an entity in one reading of WorkOS: by id, or for organizations and users also by
    the natural key, never handing one live entity to two findings."""

    def __init__(self, live: LiveState, protected: set[str]) -> None:
        self.live = live
        self.claimed = set(protected)  # kept or reused entities: theirs, not a leftover
        self.by_external = {o.external_id: o for o in live.organizations.values() if o.external_id}
        self.by_email = {email_key(u.email): u for u in live.users.values()}

    def __call__(self, e: Entity, natural: bool) -> Found:
        found = self._by_id(e)
        if found is None and natural and e.natural:
            found = self._by_natural(e)
        if found is None or found[0] in self.claimed - {e.workos_id}:
            return None
        self.claimed.add(found[0])
        return found

    def _by_id(self, e: Entity) -> Found:
        live, wid = self.live, e.workos_id or ""
        if e.kind == "organization" and wid in live.organizations:
            return wid, live.organizations[wid].name
        if e.kind == "user" and wid in live.users:
            return wid, live.users[wid].email
        if e.kind == "membership" and wid in live.memberships:
            return wid, live.memberships[wid].status
        if e.kind == "invitation" and wid in live.invitations and live.invitations[wid].state == "pending":
            return wid, live.invitations[wid].email
        if e.kind == "connection" and wid in live.connections:
            return wid, live.connections[wid].name
        if e.kind == "permission":
            return next(((wid, slug) for slug, pid in live.permissions.items() if pid == wid), None)
        if e.kind == "role":
            return next(((wid, r.slug) for r in live.roles.values() if r.id == wid), None)
        if e.kind == "org_role":
            roles = live.org_roles.get(e.organization_id or "", {}).values()
            return next(((wid, r.slug) for r in roles if r.id == wid), None)
        return None

    def _by_natural(self, e: Entity) -> Found:
        if e.kind == "organization" and e.natural in self.by_external:
            org = self.by_external[e.natural]
            return org.id, org.name
        if e.kind == "user" and e.natural in self.by_email:
            user = self.by_email[e.natural]
            return user.id, user.email
        return None


def _listed(reads: RollbackReads) -> Callable[[Entity], bool]:
    """Whether the reading holds the list an entity would be in (a kept entity's may not be)."""
    by_kind = {
        "organization": reads.organizations,
        "user": reads.users,
        "invitation": reads.invitations,
        "connection": reads.connections,
        "permission": reads.rbac,
        "role": reads.rbac,
    }

    def listed(e: Entity) -> bool:
        if e.kind == "membership":
            return (e.organization_id or "") in reads.membership_orgs
        if e.kind == "org_role":
            return (e.organization_id or "") in reads.org_role_orgs
        return by_kind.get(e.kind, False)

    return listed


def compare_rollback(state: RollbackState, live: LiveState, reads: RollbackReads | None = None) -> Report:
    """Every finding for ``state`` against ``live`` (read as ``reads`` says, by default
    :func:`.expected_rollback.reads_for_rollback`), ordered by category, kind and key."""
    report = Report(categories=ROLLBACK_CATEGORIES)
    add = report.findings.append
    listed = _listed(reads or reads_for_rollback(state))
    look = _Look(live, {e.workos_id for e in (*state.kept, *state.present) if e.workos_id})
    for e in state.present:
        report.checked[e.kind] += 1
        if listed(e) and look(e, natural=False) is None:
            detail = "the migration only reused it (it was in WorkOS before), and it is gone: not the rollback's doing"
            add(
                Finding("missing", e.kind, e.key, e.workos_id, expected=PRESENT, found=DELETED, detail=detail)
            )
    for e in state.absent:
        report.checked[e.kind] += 1
        if e.kind in ("membership", "org_role") and e.organization_id in state.undone_orgs:
            continue  # went with its organization, which is checked itself
        found = look(e, natural=True)
        if found is None:
            continue
        wid, name = found
        if e.detail:
            detail = e.detail
        elif wid == e.workos_id:
            detail = "the rollback recorded it removed, yet WorkOS still has it: run rollback --apply again"
        else:
            detail = "re-created since the rollback with the migration's " + (
                "external id" if e.kind == "organization" else "email address"
            )
        add(Finding("left", e.kind, e.key, wid, expected=DELETED, found=name, detail=detail))
    for e in state.kept:
        detail = f"kept by the rollback: {e.detail}" if e.detail else "kept by the rollback"
        if listed(e) and look(e, natural=False) is None:
            detail += " (no longer in WorkOS)"
        add(Finding("kept", e.kind, e.key, e.workos_id, detail=detail))
    rank = {c: n for n, c in enumerate(ROLLBACK_CATEGORIES)}
    report.findings.sort(key=lambda f: (rank[f.category], f.kind, f.key, f.workos_id or ""))
    return report

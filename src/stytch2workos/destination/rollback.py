"""Applying a rollback: revoke and delete, in the plan's order, what this migration made.

Each kind runs after the one before it has finished (see :mod:`..plan_rollback` for the
order); the steps of one kind run on the worker pool. Every undo is ledgered: the row
says ``sending`` while the request is on the wire, then ``deleted`` or ``gone`` together
with the import ledger turning ``rolled_back`` (:mod:`..workspace.rollback`). A 404 means
someone, or a cascade (an organization takes its memberships with it), got there first.

A delete whose answer was lost (a timeout, a 5xx, or a run stopped while it was on the
wire) is not simply sent again: the entity is looked up first, and the delete counts
as done when it is no longer there. Only a 429 says for certain nothing happened.

Before an organization goes, its memberships are listed: members this migration did not
add keep it (and its own roles and connections), unless ``force``. A user is kept when
WorkOS says they signed in or they belong somewhere through a membership this
migration did not make. Organization deletes are paced under their own budget (50 per
60 s per key), beside the general one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from stytch2workos import stopping
from stytch2workos.config import MigrationConfig
from stytch2workos.destination.client import Bucket, WorkOSTarget
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.errors import AuthError, Refused, RetriesExhausted, Retryable, ServiceError, Unreadable
from stytch2workos.plan_rollback import (
    KEEP_DETAILS,
    KIND_ORDER,
    Activity,
    RollbackPlan,
    RollbackResult,
    Step,
    keep_reason,
    plan_rollback,
)
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import rollback as store

# Which budget each kind's requests count against: users, memberships and invitations
# live under /user_management/*, the rest under the general per-key budget.
_USER_MANAGEMENT = frozenset({"invitation", "membership", "user"})
ORGANIZATION_KEPT = "organization_kept"


class _Gone(Exception):
    """The entity is not in WorkOS (a 404, or an invitation no longer pending)."""


class Rollback:
    """One rollback run over a workspace and a WorkOS target."""

    def __init__(
        self,
        ws: Workspace,
        target: WorkOSTarget,
        config: MigrationConfig,
        plan: RollbackPlan,
        *,
        force: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.ws, self.target, self.plan, self.force = ws, target, plan, force
        self.progress = progress or NullProgress()
        self.pool = WorkerPool(config.pacing.concurrency, self.progress, "rollback")
        self.result = RollbackResult(plan, applied=False)
        self._lock = threading.Lock()
        # Memberships this migration made (any still in WorkOS): the others are "outside".
        self.ours = frozenset(s.target_id for s in plan.steps if s.kind == "membership")
        self.kept_orgs: set[str] = set()
        self._permission_slugs: dict[str, str] | None = None

    # -- reads ---------------------------------------------------------------------------

    def _read(self, bucket: Bucket, fn: Callable[[], Any]) -> Any:
        """One paced read; :class:`_Gone` for a 404."""
        try:
            return self.target.call(bucket, fn)
        except Refused as exc:
            if exc.failure.status == 404:
                raise _Gone from None
            raise

    def _outside(self, *, user_id: str | None = None, organization_id: str | None = None) -> int:
        """Memberships (any status) of the user or in the organization that are not this migration's."""
        oms = self.target.client.organization_membership
        pages = self.target.iter_pages(
            "read",
            lambda a: oms.list_organization_memberships(
                user_id=user_id,
                organization_id=organization_id,
                statuses=["active", "inactive", "pending"],
                limit=100,
                after=a,
            ),
        )
        return sum(1 for m in pages if str(m.id) not in self.ours)

    def user_activity(self, user_id: str) -> Activity | None:
        """What the user did outside this migration; None when the user is gone."""
        um = self.target.client.user_management
        try:
            user = self._read("read", lambda: um.get_user(user_id))
        except _Gone:
            return None
        return Activity(bool(user.last_sign_in_at), self._outside(user_id=user_id))

    def organization_activity(self, organization_id: str) -> Activity | None:
        """Members the organization has that this migration did not add; None when it is gone."""
        orgs = self.target.client.organizations
        try:
            self._read("general", lambda: orgs.get_organization(organization_id))
        except _Gone:
            return None
        return Activity(False, self._outside(organization_id=organization_id))

    # -- bookkeeping ---------------------------------------------------------------------

    def _count(self, kind: str, outcome: str) -> None:
        with self._lock:
            self.result.outcomes[(kind, outcome)] += 1

    def _keep(self, step: Step, code: str, detail: str, record: bool) -> None:
        entry = {"kind": step.kind, "source_id": step.source_id, "workos_id": step.target_id}
        with self._lock:
            self.result.kept.append({**entry, "code": code, "detail": detail})
        self._count(step.kind, "kept")
        if record:
            store.record(self.ws, step.kind, step.source_id, step.target_id, "kept", code, detail)

    # -- the dry run ---------------------------------------------------------------------

    def inspect(self) -> None:
        """Say what an applied rollback would keep (reads only)."""
        checked = [s for s in self.plan.steps if s.kind in ("user", "organization")]
        self.progress.start("checking", len(checked))
        self.pool.run((self._inspect_task(s) for s in checked), "checking")
        self.progress.finish("checking")

    def _inspect_task(self, step: Step) -> Callable[[], None]:
        def go() -> None:
            if step.kind == "user":
                activity = self.user_activity(step.target_id)
            else:
                activity = self.organization_activity(step.target_id)
            reason = None if activity is None else keep_reason(step.kind, activity, self.force)
            if reason is not None:
                self._keep(step, reason, KEEP_DETAILS[reason], record=False)

        return go

    # -- applying ------------------------------------------------------------------------

    def apply(self) -> None:
        """Undo every step, kind by kind, each kind on the worker pool."""
        self.result.applied = True
        self._decide_organizations()
        total = len(self.plan.steps)
        self.progress.start("rollback", total)
        by_kind: dict[str, list[Step]] = {}
        for step in self.plan.steps:
            by_kind.setdefault(step.kind, []).append(step)
        for kind in KIND_ORDER:
            stopping.check()
            steps = by_kind.get(kind, [])
            if not steps:
                continue
            self.pool.run((self._task(s) for s in steps), "rollback")
        self.progress.finish("rollback")

    def _decide_organizations(self) -> None:
        """Find, before anything is deleted, the organizations to keep with their roles and connections."""
        if self.force:
            return
        orgs = [s for s in self.plan.steps if s.kind == "organization"]
        found: list[str] = []
        lock = threading.Lock()

        def task(step: Step) -> Callable[[], None]:
            def go() -> None:
                activity = self.organization_activity(step.target_id)
                if activity is not None and keep_reason("organization", activity, False):
                    with lock:
                        found.append(step.target_id)

            return go

        self.progress.start("checking", len(orgs))
        self.pool.run((task(s) for s in orgs), "checking")
        self.progress.finish("checking")
        self.kept_orgs.update(found)

    def _task(self, step: Step) -> Callable[[], None]:
        return lambda: self._undo(step)

    def _undo(self, step: Step) -> None:
        prior = store.entry(self.ws, step.kind, step.source_id, step.target_id)
        if prior is not None and prior.status in store.UNDONE:
            self._count(step.kind, "unchanged")  # settled, though the import ledger was not (old copy)
            return
        if self._kept(step):
            return
        unknown = prior is not None and prior.status == "sending"
        store.record(self.ws, step.kind, step.source_id, step.target_id, "sending")
        try:
            status = self._send(step, unknown)
        except (AuthError, RetriesExhausted):
            raise
        except ServiceError as exc:
            failure = exc.failure
            store.record(
                self.ws, step.kind, step.source_id, step.target_id, "failed", failure.code, failure.describe()
            )
            with self._lock:
                self.result.failures.append(
                    {"kind": step.kind, "source_id": step.source_id, "workos_id": step.target_id,
                     "code": failure.code, "detail": failure.describe()}
                )  # fmt: skip
            self._count(step.kind, "failed")
            return
        verb = "revoked" if step.kind == "invitation" and status == "deleted" else status
        store.undone(self.ws, step.kind, step.source_id, step.target_id, status, f"{verb} by rollback")
        self._count(step.kind, status)

    def _kept(self, step: Step) -> bool:
        """Whether ``step`` is kept (recorded as such), by the checks of its kind."""
        reason: str | None = None
        if step.kind == "organization" and not self.force:
            if step.target_id in self.kept_orgs:
                reason = "outside_members"
            else:
                # Asked again right before the delete: members may have joined meanwhile.
                activity = self.organization_activity(step.target_id)
                reason = None if activity is None else keep_reason("organization", activity, False)
        elif step.kind == "user" and not self.force:
            activity = self.user_activity(step.target_id)
            reason = None if activity is None else keep_reason("user", activity, False)
        elif (step.kind == "org_role" and step.organization_id in self.kept_orgs) or (
            step.kind == "connection" and self.kept_orgs and self._connection_org(step) in self.kept_orgs
        ):
            reason = ORGANIZATION_KEPT
        if reason is None:
            return False
        detail = KEEP_DETAILS.get(reason, "its organization is kept")
        self._keep(step, reason, detail, record=True)
        return True

    def _connection_org(self, step: Step) -> str | None:
        sso = self.target.client.sso
        try:
            return str(self._read("general", lambda: sso.get_connection(step.target_id)).organization_id)
        except _Gone:
            return None

    def _permissions(self) -> dict[str, str]:
        authz = self.target.client.authorization
        pages = self.target.iter_pages("general", lambda a: authz.list_permissions(limit=100, after=a))
        return {str(p.id): str(p.slug) for p in pages}

    # -- one undo ------------------------------------------------------------------------

    def _send(self, step: Step, unknown: bool) -> str:
        """Undo ``step``: ``deleted`` when this request did it, ``gone`` when it was not there.

        After an unknown outcome the entity is looked up before the request goes again.
        """
        maybe_applied = unknown
        bucket = self._bucket(step)
        slug: str | None = None
        if step.kind in ("org_role", "permission"):
            # Both are deleted by slug; the ledger holds their WorkOS ids.
            slug = self._slug(step)
            if slug is None:
                return "deleted" if unknown else "gone"

        def attempt() -> str:
            nonlocal maybe_applied
            if maybe_applied and not self._present(step):
                return "deleted"
            try:
                self.target.once(lambda: self._request(step, slug))
            except Retryable as exc:
                maybe_applied = maybe_applied or exc.failure.status != 429
                raise
            except Refused as exc:
                if exc.failure.status == 404:
                    return "gone"
                if step.kind == "invitation" and "invite_not_pending" in exc.codes:
                    return "gone"  # accepted, expired or revoked meanwhile: nothing to revoke
                raise
            return "deleted"

        try:
            return self.target.pacer.call(attempt, *self.target.buckets(bucket))
        except Unreadable:
            # A 2xx the SDK could not read: whether it took effect, WorkOS itself says.
            if not self._present(step):
                return "deleted"
            raise

    def _bucket(self, step: Step) -> Bucket:
        if step.kind == "organization":
            return "organization_delete"
        return "write" if step.kind in _USER_MANAGEMENT else "general"

    def _request(self, step: Step, slug: str | None) -> bool:
        """Send the one request that undoes ``step`` (True: the SDK's deletes answer None)."""
        c = self.target.client
        target = step.target_id
        if step.kind == "invitation":
            c.user_management.revoke_invitation(target)
        elif step.kind == "membership":
            c.organization_membership.delete_organization_membership(target)
        elif step.kind == "user":
            c.user_management.delete_user(target)
        elif step.kind == "organization":
            c.organizations.delete_organization(target)
        elif step.kind == "connection":
            c.sso.delete_connection(target)
        elif step.kind == "org_role":
            c.authorization.delete_organization_role(str(step.organization_id), str(slug))
        elif step.kind == "permission":
            c.authorization.delete_permission(str(slug))
        else:  # pragma: no cover - the plan holds only the kinds above
            raise AssertionError(step.kind)
        return True

    def _slug(self, step: Step) -> str | None:
        """The slug of the role or permission with the step's WorkOS id; None when it is gone."""
        if step.kind == "permission":
            if self._permission_slugs is None:
                self._permission_slugs = self._permissions()
            return self._permission_slugs.get(step.target_id)
        authz = self.target.client.authorization
        org = str(step.organization_id)
        try:
            roles = self._read("general", lambda: authz.list_organization_roles(org))
        except _Gone:
            return None  # the organization is gone, and its roles with it
        return next((str(r.slug) for r in roles.data if str(r.id) == step.target_id), None)

    def _present(self, step: Step) -> bool:
        """Whether the entity ``step`` undoes is still there (for an invitation: still pending)."""
        c = self.target.client
        target = step.target_id
        read: dict[str, tuple[Bucket, Callable[[], Any]]] = {
            "invitation": ("read", lambda: c.user_management.get_invitation(target)),
            "membership": ("read", lambda: c.organization_membership.get_organization_membership(target)),
            "user": ("read", lambda: c.user_management.get_user(target)),
            "organization": ("general", lambda: c.organizations.get_organization(target)),
            "connection": ("general", lambda: c.sso.get_connection(target)),
        }
        if step.kind == "org_role":
            return self._slug(step) is not None
        if step.kind == "permission":
            return target in self._permissions()
        bucket, fn = read[step.kind]
        try:
            found = self._read(bucket, fn)
        except _Gone:
            return False
        return step.kind != "invitation" or str(found.state) == "pending"


def plan_for(ws: Workspace) -> RollbackPlan:
    """The rollback plan for what the workspace's ledger says this migration made."""
    return plan_rollback(store.ledger_facts(ws))


def run_rollback(
    ws: Workspace,
    target: WorkOSTarget,
    config: MigrationConfig,
    *,
    apply: bool,
    force: bool = False,
    progress: Progress | None = None,
) -> RollbackResult:
    """Plan the rollback; with ``apply`` carry it out, else only check what it would keep."""
    rollback = Rollback(ws, target, config, plan_for(ws), force=force, progress=progress)
    if apply:
        rollback.apply()
    else:
        rollback.inspect()
    return rollback.result

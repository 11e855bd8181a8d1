"""Import's roles stage: permissions, environment roles, then each organization's own roles.

It runs before any membership is written, so every slug a membership names is
there when it is sent; organization roles run once the organizations exist,
since they need the WorkOS organization id. Idempotent by slug: what WorkOS
holds is read first and reused; a create refused with a 409 slug conflict means
the role or permission was made meanwhile, and it is looked up; after an
unknown outcome the slug is looked up before anything is sent again
(:meth:`Writes._write`). A new role is created, then given its permissions (a
second request, replacing the whole list): a run that stops between the two
leaves the ledger saying ``sending``, and the next run finds the role and sets
its permissions. Every outcome goes to the ledger under the Stytch name, kinds
``permission``, ``role`` and ``org_role``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from typing import Any

from workos import NOT_GIVEN, NotGiven
from workos.common.models.role_type import RoleType

from stytch2workos import stopping
from stytch2workos.config import MigrationConfig
from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.destination.inventory import (
    HeldRole,
    environment_roles,
    organization_roles,
    permissions,
)
from stytch2workos.destination.writes import Outcome, Writes
from stytch2workos.errors import AuthError, Refused, RetriesExhausted, ServiceError
from stytch2workos.plan_roles import role_action
from stytch2workos.progress import Progress
from stytch2workos.transform.rbac import DesiredRbac, PermissionSpec, RoleSpec, desired_rbac
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.ledger import DONE, SENDING, UNKNOWN_OUTCOME, Ledger, org_role_key

_CONFLICTS = frozenset({"permission_slug_conflict", "role_slug_conflict", "organization_role_slug_conflict"})


def desired_for(
    ws: Workspace, snapshot: int, config: MigrationConfig, scope: frozenset[str] | None
) -> DesiredRbac:
    """The permissions and roles the snapshot's policy and in-scope organizations want."""
    orgs = (o for o in ws.organizations(snapshot) if scope is None or o["organization_id"] in scope)
    return desired_rbac(ws.rbac_policy(snapshot), orgs, config.role_map, config.permissions)


def _described(text: str | None) -> str | NotGiven:
    # Left out rather than sent as null: a create has nothing to clear.
    return NOT_GIVEN if text is None else text


def _missing(exc: Refused) -> bool:
    return exc.failure.status == 404


class RoleWrites(Writes):
    """The idempotent creates of the roles stage, under the general per-key budget."""

    def ensure_permission(self, spec: PermissionSpec, *, unknown: bool = False) -> Outcome:
        """Create the permission, or return the one WorkOS already has under its slug."""
        authz = self.target.client.authorization

        def lookup() -> str | None:
            try:
                return str(self.target.call("general", lambda: authz.get_permission(spec.slug)).id)
            except Refused as exc:
                if _missing(exc):
                    return None
                raise

        try:
            return self._write(
                "general",
                lambda: authz.create_permission(
                    slug=spec.slug, name=spec.name, description=_described(spec.description)
                ),
                lookup,
                unknown=unknown,
            )
        except Refused as exc:
            found = lookup() if exc.codes & _CONFLICTS or exc.failure.status == 409 else None
            if found is None:
                raise
            return Outcome(found, "reused")

    def ensure_role(
        self,
        spec: RoleSpec,
        organization_id: str | None,
        held: HeldRole | None,
        existing: str,
        *,
        unknown: bool = False,
    ) -> Outcome:
        """Create the role with its permissions, or settle the one WorkOS has (see ``role_action``).

        ``organization_id`` is the WorkOS organization for an organization's own role, None
        for an environment role; ``held`` is the role as WorkOS listed it before the stage.
        """
        authz = self.target.client.authorization
        wanted = list(spec.permissions)

        def fetch() -> HeldRole | None:
            try:
                if organization_id is None:
                    role = self.target.call("general", lambda: authz.get_environment_role(spec.slug))
                else:
                    org = organization_id
                    role = self.target.call("general", lambda: authz.get_organization_role(org, spec.slug))
            except Refused as exc:
                if _missing(exc):
                    return None
                raise
            # The organization lookup answers with an environment role of the same slug too;
            # that one is not this organization's role.
            if organization_id is not None and role.type != RoleType.ORGANIZATION_ROLE:
                return None
            return HeldRole(str(role.id), frozenset(role.permissions))

        def set_permissions() -> None:
            if organization_id is None:
                self.target.call(
                    "general", lambda: authz.set_environment_role_permissions(spec.slug, permissions=wanted)
                )
            else:
                org = organization_id
                self.target.call(
                    "general",
                    lambda: authz.set_organization_role_permissions(org, spec.slug, permissions=wanted),
                )

        def create() -> Any:
            if organization_id is None:
                return authz.create_environment_role(
                    slug=spec.slug, name=spec.name, description=_described(spec.description)
                )
            return authz.create_organization_role(
                organization_id, name=spec.name, slug=spec.slug, description=_described(spec.description)
            )

        if held is None:
            try:
                outcome = self._write("general", create, lambda: _id(fetch()), unknown=unknown)
            except Refused as exc:
                held = fetch() if exc.codes & _CONFLICTS or exc.failure.status == 409 else None
                if held is None:
                    raise
            else:
                if wanted or outcome.status == "recovered":
                    set_permissions()
                return outcome
        elif unknown:
            # An earlier run was creating or updating this role when it stopped: finish it.
            set_permissions()
            return Outcome(held.id, "recovered")
        action = role_action(wanted, held.permissions, existing)
        if action == "reuse":
            return Outcome(held.id, "reused")
        adds = [p for p in wanted if p not in held.permissions]
        removes = sorted(held.permissions - set(wanted))
        detail = "; ".join(
            part
            for part in (
                f"only Stytch's grants {', '.join(adds)}" if adds else "",
                f"only WorkOS's grants {', '.join(removes)}" if removes else "",
            )
            if part
        )
        if action == "update":
            set_permissions()
            return Outcome(held.id, "reused", "updated", detail)
        # "stop" reaches import only when the plan's problem was accepted: WorkOS's stay.
        return Outcome(held.id, "reused", "kept", detail)


def _given(outcome: Outcome) -> Callable[[], Outcome]:
    return lambda: outcome


def _id(held: HeldRole | None) -> str | None:
    return None if held is None else held.id


class RoleStage:
    """Runs the roles stage for one import, recording each outcome in the ledger."""

    def __init__(
        self,
        target: WorkOSTarget,
        ledger: Ledger,
        config: MigrationConfig,
        progress: Progress,
        workers: int,
        count: Callable[[str, str], None],
        retry_failed: bool = False,
    ) -> None:
        self.target, self.ledger, self.config = target, ledger, config
        self.progress, self.workers, self.count = progress, max(1, workers), count
        self.writes = RoleWrites(target)
        self.retry_failed = retry_failed

    def _run(self, tasks: list[Callable[[], None]], name: str) -> None:
        """Run ``tasks`` on ``workers`` threads; the first exception (a signal, an auth failure)
        cancels the tasks not started and is raised once the running ones have ended.

        The stage has few tasks, all submitted at once, so a signal finds the caller waiting
        for them: it must wait again before raising, or the workspace would close under a
        task still recording its outcome.
        """
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="roles") as pool:
            futures = [pool.submit(task) for task in tasks]
            try:
                for future in as_completed(futures):
                    future.result()
                    self.progress.advance(name)
                    stopping.check()
            except BaseException:
                for future in futures:
                    future.cancel()
                wait(futures)
                raise

    def _pending(self, kind: str, keys: Sequence[str]) -> tuple[bool, bool]:
        """(anything to do, an earlier outcome unknown) for the ledger rows of one slug."""
        entries = [self.ledger.get(kind, k) for k in keys]
        todo = any(
            e is None or (self.retry_failed if e.status == "failed" else e.status not in DONE)
            for e in entries
        )
        unknown = any(e is not None and (e.status == SENDING or e.code in UNKNOWN_OUTCOME) for e in entries)
        if not todo:
            for _ in keys:
                self.count(kind, "unchanged")
        return todo, unknown

    def _settle(self, kind: str, keys: Sequence[str], write: Callable[[], Outcome], sends: bool) -> None:
        """Run ``write`` for the rows ``keys`` (one WorkOS slug) and record its outcome on each."""
        if sends:
            for k in keys:
                self.ledger.mark_sending(kind, k)
        try:
            outcome = write()
        except (AuthError, RetriesExhausted):
            raise
        except ServiceError as exc:
            self._fail(kind, keys, exc.failure.code, exc.failure.describe())
            return
        for k in keys:
            self.ledger.record(kind, k, outcome.status, outcome.target_id, outcome.code, outcome.detail)
            self.count(kind, outcome.status)

    def _fail(self, kind: str, keys: Sequence[str], code: str | None, detail: str) -> None:
        for k in keys:
            self.ledger.record(kind, k, "failed", code=code, detail=detail)
            self.count(kind, "failed")

    def _role_task(
        self, kind: str, keys: Sequence[str], spec: RoleSpec, org: str | None, held: HeldRole | None
    ) -> None:
        todo, unknown = self._pending(kind, keys)
        if not todo:
            return
        existing = self.config.existing_roles
        sends = (
            held is None or unknown or role_action(spec.permissions, held.permissions, existing) == "update"
        )
        self._settle(
            kind,
            keys,
            lambda: self.writes.ensure_role(spec, org, held, existing, unknown=unknown),
            sends,
        )

    def environment(self, desired: DesiredRbac) -> None:
        """Permissions, then environment roles with their permissions."""
        todo_permissions = [p for p in desired.permissions if self._pending("permission", p.sources)[0]]
        todo_roles = [r for r in desired.roles if self._pending("role", r.sources)[0]]
        if not todo_permissions and not todo_roles:
            return
        self.progress.start("roles", len(todo_permissions) + len(todo_roles))
        held_permissions = permissions(self.target)

        def permission_task(spec: PermissionSpec) -> Callable[[], None]:
            def go() -> None:
                todo, unknown = self._pending("permission", spec.sources)
                if not todo:
                    return
                found = held_permissions.get(spec.slug)
                if found is not None and not unknown:
                    self._settle("permission", spec.sources, lambda: Outcome(found, "reused"), False)
                    return
                self._settle(
                    "permission",
                    spec.sources,
                    lambda: self.writes.ensure_permission(spec, unknown=unknown),
                    True,
                )

            return go

        self._run([permission_task(p) for p in todo_permissions], "roles")
        held_roles = environment_roles(self.target)

        def role_task(spec: RoleSpec) -> Callable[[], None]:
            return lambda: self._role_task("role", spec.sources, spec, None, held_roles.get(spec.slug))

        self._run([role_task(r) for r in todo_roles], "roles")
        self.progress.finish("roles")

    def organizations(self, desired: DesiredRbac, workos_ids: dict[str, str]) -> None:
        """Each organization's own roles, in the WorkOS organization ``workos_ids`` maps it to."""
        grouped = desired.org_roles_by_org()
        keyed = {
            org_id: [(r, [org_role_key(org_id, s) for s in r.sources]) for r in roles]
            for org_id, roles in grouped.items()
        }
        todo = {
            org_id: [(r, keys) for r, keys in items if self._pending("org_role", keys)[0]]
            for org_id, items in keyed.items()
        }
        todo = {org_id: items for org_id, items in todo.items() if items}
        if not todo:
            return
        self.progress.start("organization roles", len(todo))
        env = environment_roles(self.target)

        def org_task(org_id: str, items: list[tuple[RoleSpec, list[str]]]) -> Callable[[], None]:
            def go() -> None:
                own = []
                for spec, keys in items:
                    shadow = env.get(spec.slug)
                    if shadow is None:
                        own.append((spec, keys))
                        continue
                    # An environment role of this slug stands in for it (the plan warned): WorkOS
                    # resolves the slug to it, and would refuse an organization role beside it.
                    reused = Outcome(
                        shadow.id, "reused", "environment_role", "an environment role has this slug"
                    )
                    self._settle("org_role", keys, _given(reused), False)
                if not own:
                    return
                workos_id = workos_ids.get(org_id)
                if workos_id is None:
                    for _, keys in own:
                        self._fail(
                            "org_role",
                            keys,
                            "organization_not_imported",
                            f"organization {org_id} is not in WorkOS yet",
                        )
                    return
                held = organization_roles(self.target, workos_id)
                for spec, keys in own:
                    self._role_task("org_role", keys, spec, workos_id, held.get(spec.slug))

            return go

        self._run([org_task(o, items) for o, items in sorted(todo.items())], "organization roles")
        self.progress.finish("organization roles")

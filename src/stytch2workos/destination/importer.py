"""Import: organizations, then people (a user, their memberships and invitations).

Work is streamed from the snapshot ordered by email, grouped into people, and
handed to a bounded pool of workers; at most ``2 × concurrency`` people are in
flight, so memory stays flat however large the project. Every outcome goes to
the ledger as soon as it is known; a rerun skips what the ledger says is done
and repeats the rest, which the idempotent creates make harmless.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workos.user_management import PasswordHashed

from stytch2workos.config import MigrationConfig
from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.destination.connections import ConnectionStage, connection_decisions
from stytch2workos.destination.passwords_source import record_carried_hash
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.destination.roles import RoleStage, desired_for
from stytch2workos.destination.writes import Outcome, Writes
from stytch2workos.errors import AuthError, RetriesExhausted, ServiceError
from stytch2workos.plan import domain_ownership, iter_people, scoped_organizations
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.transform.records import OrgRequest, PersonPlan, org_request
from stytch2workos.workspace import Workspace, problems
from stytch2workos.workspace import snapshot as snap
from stytch2workos.workspace.ledger import DONE, SENDING, UNKNOWN_OUTCOME, Ledger


@dataclass(frozen=True)
class ImportOptions:
    organization_ids: frozenset[str] | None = None  # None: every organization
    retry_failed: bool = False


@dataclass
class ImportResult:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # the whole ledger
    failures: list[dict[str, str | None]] = field(default_factory=list)
    retries: int = 0
    # What this run did, per kind: created, reused, failed, skipped, or unchanged (the
    # ledger already had the outcome, so nothing was sent). A rerun is all "unchanged".
    run: dict[str, dict[str, int]] = field(default_factory=dict)
    # Members whose membership got fewer roles than Stytch's (the environment takes one role
    # per membership): how many in the whole ledger, and the first ones with what was left off.
    narrowed: int = 0
    narrowed_members: list[dict[str, str | None]] = field(default_factory=list)
    # What the first POST /connections of this run found: "available", "unavailable" (a 404:
    # the Create Connection API is off, every connection went to the handoff), or None.
    connections_api: str | None = None


class Importer:
    def __init__(
        self,
        ws: Workspace,
        target: WorkOSTarget,
        config: MigrationConfig,
        options: ImportOptions,
        progress: Progress,
        passwords: Callable[[str], tuple[str, str] | None] | None = None,
    ) -> None:
        self.ws, self.target, self.config, self.options = ws, target, config, options
        self.progress = progress
        self.ledger = Ledger(ws)
        self.writes = Writes(target)
        self.passwords = passwords or (lambda _key: None)
        self.pool = WorkerPool(config.pacing.concurrency, progress, "import")
        self._tally: Counter[tuple[str, str]] = Counter()
        self._tally_lock = threading.Lock()

    def _count(self, kind: str, outcome: str) -> None:
        with self._tally_lock:
            self._tally[(kind, outcome)] += 1

    def run_counts(self) -> dict[str, dict[str, int]]:
        """This run's outcomes per kind (see :class:`ImportResult`)."""
        result: dict[str, dict[str, int]] = {}
        with self._tally_lock:
            for (kind, outcome), n in sorted(self._tally.items()):
                result.setdefault(kind, {})[outcome] = n
        return result

    def _todo(self, kind: str, source_id: str) -> bool:
        entry = self.ledger.get(kind, source_id)
        if entry is None:
            return True
        todo = self.options.retry_failed if entry.status == "failed" else entry.status not in DONE
        if not todo:
            self._count(kind, "unchanged")
        return todo

    def _attempt(self, kind: str, source_id: str, write: Callable[..., Outcome], *args: Any) -> str | None:
        """Run one write; record its outcome; return the WorkOS id or None if it failed.

        The ledger says ``sending`` while the write is on the wire: a run that stops there
        (kill -9, power loss) leaves the next run to look the entity up before sending.
        """
        entry = self.ledger.get(kind, source_id)
        unknown = entry is not None and (entry.status == SENDING or entry.code in UNKNOWN_OUTCOME)
        self.ledger.mark_sending(kind, source_id)
        try:
            outcome = write(*args, unknown=unknown)
        except (AuthError, RetriesExhausted):
            raise
        except ServiceError as exc:
            self._fail(kind, source_id, exc.failure.code, exc.failure.describe())
            return None
        self.ledger.record(kind, source_id, outcome.status, outcome.target_id, outcome.code, outcome.detail)
        self._count(kind, outcome.status)
        return outcome.target_id

    def _fail(self, kind: str, source_id: str, code: str | None, detail: str) -> None:
        self.ledger.record(kind, source_id, "failed", code=code, detail=detail)
        self._count(kind, "failed")

    def import_organizations(self, orgs: list[dict[str, Any]], every_org: list[dict[str, Any]]) -> None:
        """Create ``orgs``; domain ownership is decided over ``every_org`` in the snapshot, so a
        pilot does not verify a domain that the full import gives to an earlier organization."""
        domains = domain_ownership(every_org, self.config).domains
        self.progress.start("organizations", len(orgs))

        def task(req: OrgRequest) -> Callable[[], None]:
            def go() -> None:
                if self._todo("organization", req.source_id):
                    self._attempt(
                        "organization",
                        req.source_id,
                        self.writes.ensure_organization,
                        req,
                        domains[req.source_id],
                    )

            return go

        self.pool.run((task(org_request(o, self.config)) for o in orgs), "organizations")
        self.progress.finish("organizations")

    def import_people(self, snapshot: int, total: int) -> None:
        org_ids = self.ledger.done_ids("organization")
        self.progress.start("people", total)
        scope = self.options.organization_ids
        self.pool.run(
            (
                self._person_task(p, org_ids)
                for p in iter_people(snap.members_by_email(self.ws, snapshot), self.config, scope)
            ),
            "people",
        )
        self.progress.finish("people")

    def _person_task(self, plan: PersonPlan, org_ids: dict[str, str]) -> Callable[[], None]:
        def go() -> None:
            # Skips live under their own kind: changing the config later must not leave a
            # member stuck as "skipped" for the membership it may now get.
            for skip in plan.skips:
                entry = self.ledger.get("skip", skip.member_id)
                if entry is None or entry.code != skip.reason:
                    self.ledger.record(
                        "skip", skip.member_id, "skipped", code=skip.reason, detail=skip.detail
                    )
                    self._count("skip", "skipped")
                else:
                    self._count("skip", "unchanged")
            for access in plan.access:
                if self.ledger.get("skip", access.member_id) is not None:
                    # Skipped under an earlier config, migrated under this one.
                    self.ledger.forget("skip", access.member_id)
            user_id: str | None = None
            if plan.user is not None:
                user = plan.user
                entry = self.ledger.get("user", plan.key)
                if entry is not None and entry.status in DONE:
                    user_id = entry.target_id
                    self._count("user", "unchanged")
                elif self._todo("user", plan.key):
                    hashed = self.passwords(plan.key)
                    password = (
                        PasswordHashed(password_hash=hashed[0], password_hash_type=hashed[1])
                        if hashed
                        else None
                    )
                    user_id = self._attempt("user", plan.key, self.writes.ensure_user, user, password)
                    if hashed is not None and user_id is not None:
                        record_carried_hash(self.ledger, plan.key, user_id, hashed[0])
            for access in plan.access:
                kind = access.kind
                if not self._todo(kind, access.member_id):
                    continue
                org_id = org_ids.get(access.organization_id)
                if org_id is None:
                    self._fail(
                        kind,
                        access.member_id,
                        "organization_not_imported",
                        f"organization {access.organization_id} is not in WorkOS yet",
                    )
                    continue
                if kind == "membership":
                    if user_id is None:
                        self._fail(
                            kind, access.member_id, "user_not_imported", "the user could not be created"
                        )
                        continue
                    uid = user_id
                    self._attempt(
                        kind,
                        access.member_id,
                        self.writes.ensure_membership,
                        uid,
                        org_id,
                        access.role_slugs,
                    )
                else:
                    role = access.role_slugs[0] if access.role_slugs else None
                    self._attempt(
                        kind,
                        access.member_id,
                        self.writes.ensure_invitation,
                        plan.key,
                        org_id,
                        role,
                    )

        return go

    def record_refused(self, refused: list[tuple[str, str, str]]) -> None:
        """A skip row per member the export refused ``(id, code, reason)``: such a record
        never reaches a person's plan, but the ledger still accounts for it."""
        for member_id, code, reason in refused:
            entry = self.ledger.get("skip", member_id)
            if entry is None or entry.code != code:
                self.ledger.record("skip", member_id, "skipped", code=code, detail=reason)
                self._count("skip", "skipped")
            else:
                self._count("skip", "unchanged")


def run_import(
    ws: Workspace,
    target: WorkOSTarget,
    config: MigrationConfig,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    passwords: Callable[[str], tuple[str, str] | None] | None = None,
) -> ImportResult:
    """Import the workspace's snapshot into WorkOS; safe to run again at any time."""
    progress = progress or NullProgress()
    snapshot = ws.require_snapshot()
    options = options or ImportOptions()
    importer = Importer(ws, target, config, options, progress, passwords)
    every_org = scoped_organizations(ws.organizations(snapshot), None)
    scope = options.organization_ids
    # Roles first: every slug a membership names exists before the first membership is sent.
    roles = RoleStage(
        target,
        importer.ledger,
        config,
        progress,
        config.pacing.concurrency,
        importer._count,
        options.retry_failed,
    )
    desired = desired_for(ws, snapshot, config, scope)
    roles.environment(desired)
    importer.import_organizations(
        [o for o in every_org if scope is None or o["organization_id"] in scope], every_org
    )
    roles.organizations(desired, importer.ledger.done_ids("organization"))
    # SSO connections once their organizations exist (transform/connections.py decides).
    sso = ConnectionStage(
        ws, target, importer.ledger, importer.pool, progress, importer._count, options.retry_failed
    )
    known = {o["organization_id"] for o in every_org if scope is None or o["organization_id"] in scope}
    sso.run(connection_decisions(ws, snapshot, config, known), importer.ledger.done_ids("organization"))
    importer.import_people(snapshot, snap.count_people(ws, snapshot, options.organization_ids))
    importer.record_refused(problems.refused_members(ws, snapshot, scope))
    ledger = importer.ledger
    narrowed, narrowed_members = ledger.coded("membership", "narrowed", 50)
    return ImportResult(
        ledger.counts(),
        ledger.failures(),
        target.pacer.retries,
        importer.run_counts(),
        narrowed,
        narrowed_members,
        connections_api={None: None, True: "available", False: "unavailable"}[sso.api_available],
    )

"""Import: organizations, then people (a user, their memberships and invitations).

Work is streamed from the snapshot ordered by email, grouped into people, and
handed to a bounded pool of workers; at most ``2 × concurrency`` people are in
flight, so memory stays flat however large the project. Every outcome goes to
the ledger as soon as it is known; a rerun skips what the ledger says is done
and repeats the rest, which the idempotent creates make harmless.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from workos.user_management import PasswordHashed

from ..config import MigrationConfig
from ..errors import AuthError, RetriesExhausted, ServiceError
from ..progress import NullProgress, Progress
from ..transform.records import OrgRequest, PersonPlan, org_request, plan_person, slim_org
from ..workspace import Workspace
from .client import Outcome, WorkOSTarget
from .ledger import DONE, Ledger
from .passwords_source import record_carried_hash


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


def scoped_organizations(ws: Workspace, snapshot: int, only: frozenset[str] | None) -> list[dict[str, Any]]:
    """The organizations in scope, reduced to the fields plan and import read."""
    return [slim_org(o) for o in ws.organizations(snapshot) if only is None or o["organization_id"] in only]


def domain_plan(
    orgs: list[dict[str, Any]], config: MigrationConfig
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Domains per organization; a domain several organizations list is verified for the first only.

    WorkOS lets a domain be pending on several organizations but verified on one.
    """
    owner: dict[str, str] = {}
    result: dict[str, tuple[tuple[str, str], ...]] = {}
    for org in sorted(orgs, key=lambda o: (str(o.get("created_at") or ""), o["organization_id"])):
        req = org_request(org, config)
        domains = []
        for domain, state in req.domains:
            first = owner.setdefault(domain, req.source_id) == req.source_id
            domains.append((domain, state if first else "pending"))
        result[req.source_id] = tuple(domains)
    return result


def _members_by_email(ws: Workspace, snapshot: int, batch: int = 500) -> Iterator[tuple[str, str]]:
    """(email key, raw member) ordered by email, read in short batches under the workspace lock.

    Import workers write the ledger on the same connection meanwhile; no statement stays
    open across their transactions.
    """
    after = ("", "")
    while True:
        with ws.lock:
            rows = ws.db.execute(
                "SELECT email_key, member_id, raw FROM members WHERE snapshot_id = ? "
                "AND (email_key, member_id) > (?, ?) ORDER BY email_key, member_id LIMIT ?",
                (snapshot, *after, batch),
            ).fetchall()
        for key, _, raw in rows:
            yield str(key), str(raw)
        if len(rows) < batch:
            return
        after = (str(rows[-1][0]), str(rows[-1][1]))


def iter_people(
    ws: Workspace, snapshot: int, config: MigrationConfig, scope: frozenset[str] | None
) -> Iterator[PersonPlan]:
    """Every person (members grouped by email key) with the plan for them, streaming."""
    for _, group in itertools.groupby(_members_by_email(ws, snapshot), key=lambda r: r[0]):
        members = [json.loads(raw) for _, raw in group]
        plan = plan_person(members, config, scope)
        if plan.access or plan.skips:
            yield plan


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
        self.passwords = passwords or (lambda _key: None)
        self._fatal: BaseException | None = None
        self._stop = threading.Event()
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
        """Run one write; record its outcome; return the WorkOS id or None if it failed."""
        try:
            outcome = write(*args)
        except (AuthError, RetriesExhausted):
            raise
        except ServiceError as exc:
            self._fail(kind, source_id, exc.failure.code, exc.failure.describe())
            return None
        status = "reused" if outcome.reused else "created"
        self.ledger.record(kind, source_id, status, outcome.target_id)
        self._count(kind, status)
        return outcome.target_id

    def _fail(self, kind: str, source_id: str, code: str | None, detail: str) -> None:
        self.ledger.record(kind, source_id, "failed", code=code, detail=detail)
        self._count(kind, "failed")

    def _run_pool(self, tasks: Iterator[Callable[[], None]], task: str) -> None:
        workers = max(1, self.config.pacing.concurrency)
        slots = threading.Semaphore(workers * 2)

        def run(fn: Callable[[], None]) -> None:
            try:
                if not self._stop.is_set():
                    fn()
            except BaseException as exc:  # handed to the main thread
                if self._fatal is None:
                    self._fatal = exc
                self._stop.set()
            finally:
                slots.release()
                self.progress.advance(task)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
            futures: list[Future[None]] = []
            try:
                for fn in tasks:
                    if self._stop.is_set():
                        break
                    slots.acquire()
                    futures.append(pool.submit(run, fn))
                    if len(futures) > workers * 8:
                        futures = [f for f in futures if not f.done()]
            except BaseException:
                # Ctrl-C lands here: let queued tasks end at once rather than run to completion
                # while the pool shuts down.
                self._stop.set()
                raise
        if self._fatal is not None:
            raise self._fatal

    def import_organizations(self, orgs: list[dict[str, Any]], every_org: list[dict[str, Any]]) -> None:
        """Create ``orgs``; domain ownership is decided over ``every_org`` in the snapshot, so a
        pilot does not verify a domain that the full import gives to an earlier organization."""
        domains = domain_plan(every_org, self.config)
        self.progress.start("organizations", len(orgs))

        def task(req: OrgRequest) -> Callable[[], None]:
            def go() -> None:
                if self._todo("organization", req.source_id):
                    self._attempt(
                        "organization",
                        req.source_id,
                        self.target.ensure_organization,
                        req,
                        domains[req.source_id],
                    )

            return go

        self._run_pool((task(org_request(o, self.config)) for o in orgs), "organizations")
        self.progress.finish("organizations")

    def import_people(self, snapshot: int, total: int) -> None:
        org_ids = self.ledger.done_ids("organization")
        self.progress.start("people", total)
        scope = self.options.organization_ids
        self._run_pool(
            (self._person_task(p, org_ids) for p in iter_people(self.ws, snapshot, self.config, scope)),
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
                    user_id = self._attempt("user", plan.key, self.target.ensure_user, user, password)
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
                        self.target.ensure_membership,
                        uid,
                        org_id,
                        access.role_slugs,
                    )
                else:
                    role = access.role_slugs[0] if access.role_slugs else None
                    self._attempt(
                        kind,
                        access.member_id,
                        self.target.ensure_invitation,
                        plan.key,
                        org_id,
                        role,
                    )

        return go


def count_people(ws: Workspace, snapshot: int, scope: frozenset[str] | None) -> int:
    if scope is None:
        row = ws.db.execute(
            "SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ?", (snapshot,)
        )
    else:
        marks = ",".join("?" * len(scope))
        row = ws.db.execute(
            f"SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ? AND organization_id IN ({marks})",
            (snapshot, *sorted(scope)),
        )
    return int(row.fetchone()[0])


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
    every_org = scoped_organizations(ws, snapshot, None)
    scope = options.organization_ids
    importer.import_organizations(
        [o for o in every_org if scope is None or o["organization_id"] in scope], every_org
    )
    importer.import_people(snapshot, count_people(ws, snapshot, options.organization_ids))
    ledger = importer.ledger
    return ImportResult(ledger.counts(), ledger.failures(), target.pacer.retries, importer.run_counts())

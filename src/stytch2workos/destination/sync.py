"""Sync: keep WorkOS in step with Stytch between the import and the switch.

One engine, two ways in. A refresh cycle (:func:`run_sync`) takes a new snapshot, plans
every change from the baseline (what the migration last applied, :mod:`..workspace.sync`)
to what the snapshot wants (:mod:`..plan_sync`), applies the changes, then runs import's
stages so new organizations and people are created as import would, when the ledger lacks
something the snapshot holds (:mod:`.sync_gate`); a quiet cycle never opens WorkOS. The webhook
receiver hands one current Stytch record at a time to
:class:`.sync_records.RecordSync` (``apply_member`` / ``apply_organization``), which goes
through the same engine.

Only entities in the ledger (created or reused by this migration) are ever changed. Each
change reads the live entity first: a field already at its new value needs nothing, one
still at the baseline is written, and one WorkOS changed meanwhile is a conflict that
``[sync] conflicts`` decides. The baseline row is written once the write succeeded, so a
rerun after any stop repeats nothing that was done.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.destination import sync_gate
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.destination.sync_speed import Stages
from stytch2workos.errors import AuthError, RetriesExhausted, ServiceError, Stytch2WorkOSError
from stytch2workos.plan import iter_people, scoped_organizations
from stytch2workos.plan_sync import Change, Desired, Key, Values, desired_state, plan_changes, resolve
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.workspace import Workspace, problems
from stytch2workos.workspace import snapshot as snap
from stytch2workos.workspace import sync as store
from stytch2workos.workspace.ledger import Ledger

# The WorkOS SDK is imported only where a write needs it, so that a refresh cycle can
# import it in the background while the refresh waits on Stytch's budget (see run_sync).
if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget

# Ledger kinds whose entities sync keeps in step, and the baseline kind of each.
LEDGER_KINDS = ("organization", "user", "membership", "invitation")


class ConflictStop(Stytch2WorkOSError):
    """``[sync] conflicts = "stop"`` and WorkOS holds a value the migration did not write."""

    exit_code = 1


def desired_for(ws: Workspace, snapshot: int, config: MigrationConfig) -> Desired:
    """What the snapshot wants, by the transforms import uses."""
    orgs = scoped_organizations(ws.organizations(snapshot), None)
    people = iter_people(snap.members_by_email(ws, snapshot), config, None)
    # A member the export refused is not gone from Stytch: it keeps what it has.
    refused = [(m, "", "refused") for m, _, _ in problems.refused_members(ws, snapshot)]
    return desired_state(orgs, people, [*store.member_statuses(ws, snapshot), *refused], config)


def seed_baseline(ws: Workspace, config: MigrationConfig) -> int:
    """Give every ledger entity without a baseline the values import applied to it.

    Import wrote each entity from the latest snapshot complete at the time (its ledger row's
    ``updated_at``), and the workspace keeps that snapshot until the next refresh
    completes: call this before refreshing. Returns how many rows were added.
    """
    missing = store.without_baseline(ws, LEDGER_KINDS)  # (kind, key) → when the ledger row was written
    if not missing:
        return 0
    snapshots = store.complete_snapshots(ws)
    if not snapshots:
        return 0
    by_snapshot: dict[int, list[Key]] = {}
    for key, written_at in missing.items():
        chosen = [s for s, finished in snapshots if finished <= written_at]
        by_snapshot.setdefault(chosen[-1] if chosen else snapshots[0][0], []).append(key)
    rows: dict[Key, Values] = {}
    for snapshot, keys in by_snapshot.items():
        values = desired_for(ws, snapshot, config).values
        rows.update((k, values[k]) for k in keys if k in values)
    store.save_baseline(ws, rows)
    return len(rows)


@dataclass
class SyncResult:
    snapshot: int | None = None
    resumed: bool = False
    changes: dict[str, Any] = field(default_factory=dict)  # plan_sync.summarize
    creates: dict[str, int] = field(default_factory=dict)  # what import's stages would create
    outcomes: dict[str, int] = field(default_factory=dict)  # applied, unchanged, conflict, failed
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    import_run: dict[str, dict[str, int]] = field(default_factory=dict)
    # People whose every membership has ended: their WorkOS user is kept.
    users_without_membership: list[str] = field(default_factory=list)
    lag_seconds: float | None = None
    dry_run: bool = False
    # Seconds per stage of this cycle: baseline, refresh, plan, apply, import (when it ran).
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "resumed": self.resumed,
            "dry_run": self.dry_run,
            "changes": self.changes,
            "creates": self.creates,
            "outcomes": self.outcomes,
            "conflicts": self.conflicts[:50],
            "failures": self.failures[:50],
            "import": self.import_run,
            "users_without_membership": {
                "count": len(self.users_without_membership),
                "examples": self.users_without_membership[:20],
            },
            "lag_seconds": self.lag_seconds,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


class SyncEngine:
    """Applies changes to WorkOS and records them; thread-safe (the webhook receiver's
    threads and the pool's workers share it)."""

    def __init__(
        self,
        ws: Workspace,
        target: WorkOSTarget,
        config: MigrationConfig,
        progress: Progress | None = None,
        run_id: int | None = None,
    ) -> None:
        self.ws, self.target, self.config = ws, target, config
        self.progress = progress or NullProgress()
        self.run_id = run_id
        from stytch2workos.destination.sync_writes import SyncWrites

        self.writes = SyncWrites(target)
        self.tally: Counter[str] = Counter()
        self._tally_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _count(self, outcome: str, n: int = 1) -> None:
        with self._tally_lock:
            self.tally[outcome] += n
        if self.run_id is not None and outcome in ("applied", "conflict", "failed"):
            store.add_to_run(
                self.ws,
                self.run_id,
                applied=n if outcome == "applied" else 0,
                conflicts=n if outcome == "conflict" else 0,
                failures=n if outcome == "failed" else 0,
            )

    def _lock(self, kind: str, key: str) -> threading.Lock:
        # One change at a time per entity, whichever way it came in.
        with self._locks_lock:
            return self._locks.setdefault(f"{kind}/{key}", threading.Lock())

    def _target_id(self, change: Change) -> str | None:
        return store.ledger_target(self.ws, change.kind, change.key)

    def apply(self, change: Change) -> None:
        """Read the live entity, resolve the change against it, write, record the baseline."""
        with self._lock(change.kind, change.key):
            target_id = self._target_id(change)
            if target_id is None:
                return  # no longer the migration's (deleted or forgotten meanwhile)
            try:
                live = self.writes.live(change, target_id)
                resolution = resolve(change, live, self.config.sync.conflicts)
                for c in resolution.conflicts:
                    store.record_conflict(
                        self.ws,
                        self.run_id,
                        c.kind,
                        c.key,
                        c.field,
                        (c.baseline, c.live, c.desired),
                        c.resolution,
                    )
                if resolution.conflicts:
                    self._count("conflict", len(resolution.conflicts))
                    if self.config.sync.conflicts == "stop":
                        first = resolution.conflicts[0]
                        raise ConflictStop(
                            f"{first.kind} {first.key}: {first.field} is {first.live!r} in WorkOS, which "
                            f"the migration did not write (it wrote {first.baseline!r}; Stytch now says "
                            f"{first.desired!r}); nothing further was applied. Decide in migration.toml "
                            '([sync] conflicts = "report", "stytch" or "workos") and run sync again'
                        )
                self.writes.apply(change, target_id, resolution.send, live)
            except (AuthError, RetriesExhausted):
                raise
            except ServiceError as exc:
                store.record_failure(
                    self.ws,
                    self.run_id,
                    change.kind,
                    change.key,
                    change.action,
                    exc.failure.code,
                    exc.failure.describe(),
                )
                self._count("failed")
                return
            self._record(change, resolution.baseline, live, bool(resolution.send))
            store.clear_failure(self.ws, change.kind, change.key)

    def _record(self, change: Change, values: Values, live: Values | None, sent: bool) -> None:
        self._count("applied" if sent else "unchanged")
        if change.action == "rename" and (sent or (live is not None and live.get("email") == change.new_key)):
            new = str(change.new_key)
            moved = store.memberships_of(self.ws, change.key)
            store.rename_user(self.ws, change.key, new, values, moved)
            return
        if change.action == "move":
            # Its member now belongs to another person: import makes the membership anew.
            store.forget_ledger(self.ws, "membership", change.key)
            store.forget_baseline(self.ws, "membership", change.key)
            return
        if change.kind == "membership" and values.get("status") == "deleted":
            store.mark_ledger(self.ws, "membership", change.key, "deleted", "deleted_by_sync")
        if change.kind == "invitation" and values.get("state") == "revoked":
            store.mark_ledger(self.ws, "invitation", change.key, "revoked", "revoked_by_sync")
        store.save_baseline(self.ws, {(change.kind, change.key): values})

    def apply_all(self, changes: Iterable[Change]) -> None:
        """Apply ``changes`` on the pool; a conflict with ``stop`` ends the rest."""
        items = list(changes)
        if not items:
            return
        pool = WorkerPool(self.config.pacing.concurrency, self.progress, "sync")
        self.progress.start("changes", len(items))
        pool.run((functools.partial(self.apply, c) for c in items), "changes")
        self.progress.finish("changes")

    def fill_baseline(self, desired: Desired) -> int:
        """Baselines for ledger entities created since (by import's stages): what they were made from."""
        return fill_baseline(self.ws, desired)


def fill_baseline(ws: Workspace, desired: Desired) -> int:
    """Give each done ledger entity without a baseline its desired values (what import made it from)."""
    missing = store.without_baseline(ws, LEDGER_KINDS)
    rows = {k: desired.values[k] for k in missing if k in desired.values}
    store.save_baseline(ws, rows)
    return len(rows)


def creates(ws: Workspace, desired: Desired, changes: Iterable[Change] = ()) -> dict[str, int]:
    """What import's stages would create: desired entities with no ledger row at all (a user
    another one is renamed to is not new)."""
    done = store.ledger_done(ws, LEDGER_KINDS)
    renamed = {("user", str(c.new_key)) for c in changes if c.action == "rename"}
    counts: Counter[str] = Counter()
    for kind, key in desired.values:
        if (kind, key) in done or (kind, key) in renamed:
            continue
        if kind == "invitation" and desired.values[(kind, key)]["state"] != "pending":
            continue
        counts[kind] += 1
    return dict(sorted(counts.items()))


def users_without_membership(ws: Workspace) -> list[str]:
    """Users of this migration with memberships, none of them active any more (the user is kept)."""
    return store.users_without_active_membership(ws)


def _import_stage(
    ws: Workspace,
    target: WorkOSTarget | None,
    config: MigrationConfig,
    result: SyncResult,
    progress: Progress,
    passwords: Callable[[str], tuple[str, str] | None] | None,
) -> list[dict[str, str | None]]:
    """Create what is new as import would; ``target`` None: the ledger already accounts for
    every organization, member, connection and role of the snapshot (the usual quiet cycle:
    no person is walked and nothing is read from WorkOS). Returns the ledger's failures."""
    if target is None:
        return Ledger(ws).failures()
    from stytch2workos.destination.importer import ImportOptions, run_import

    imported = run_import(ws, target, config, ImportOptions(), progress, passwords)
    result.import_run = imported.run
    return imported.failures


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False


def run_sync(
    ws: Workspace,
    target: WorkOSTarget | None,
    config: MigrationConfig,
    refresh: Callable[[], int],
    options: SyncOptions = SyncOptions(),
    progress: Progress | None = None,
    confirm: Callable[[SyncResult], None] | None = None,
    passwords: Callable[[str], tuple[str, str] | None] | None = None,
    connect: Callable[[], AbstractContextManager[WorkOSTarget]] | None = None,
) -> SyncResult:
    """One refresh cycle: refresh the snapshot, plan, (confirm), apply, create what is new.

    ``refresh`` takes the new snapshot and returns its id. A run stopped after its refresh
    completed resumes with that snapshot instead of taking another. ``target`` may be None
    for a dry run, or given as ``connect``, which opens it once the plan is made: the
    WorkOS SDK then need not be imported before the refresh (:func:`.sync_speed.warm_up`
    imports it beside the refresh, which mostly waits on Stytch's budget).
    """
    progress = progress or NullProgress()
    result = SyncResult(dry_run=options.dry_run)
    clock = Stages(result.timings)
    seed_baseline(ws, config)  # before the refresh prunes the snapshot import applied
    clock.lap("baseline")
    resumable = None if options.dry_run else store.unfinished_run(ws)
    run_id: int | None
    if resumable is not None and resumable[1] is not None and resumable[1] == ws.latest_snapshot():
        run_id, snapshot = resumable[0], resumable[1]
        result.resumed = True
    else:
        snapshot = refresh()
        run_id = None if options.dry_run else (resumable[0] if resumable else store.start_run(ws, "refresh"))
        if run_id is not None:
            store.set_run_snapshot(ws, run_id, snapshot)
        clock.lap("refresh")
    result.snapshot = snapshot
    desired = desired_for(ws, snapshot, config)
    changes = plan_changes(store.baseline(ws), desired, config.sync.deleted_members)
    from stytch2workos.plan_sync import summarize

    result.changes = summarize(changes)
    result.creates = creates(ws, desired, changes)
    clock.lap("plan")
    if options.dry_run or (target is None and connect is None):
        return result
    if confirm is not None:
        confirm(result)
        clock.restart()  # the operator's time to answer is no stage's
    assert run_id is not None
    importing = sync_gate.import_needed(ws, snapshot, config)
    with ExitStack() as stack:
        # A quiet cycle (no change, nothing new) never opens WorkOS, nor imports its SDK.
        if target is None and (changes or importing):
            assert connect is not None
            target = stack.enter_context(connect())
        _apply(ws, target, config, progress, passwords, result, clock, run_id, changes, desired, importing)
    return result


def _apply(
    ws: Workspace,
    target: WorkOSTarget | None,
    config: MigrationConfig,
    progress: Progress,
    passwords: Callable[[str], tuple[str, str] | None] | None,
    result: SyncResult,
    clock: Stages,
    run_id: int,
    changes: list[Change],
    desired: Desired,
    importing: bool,
) -> None:
    """Apply the planned changes, create what is new (``importing``), record the run as finished.
    ``target`` is None only when there is neither."""
    snapshot = result.snapshot
    assert snapshot is not None
    if changes:
        assert target is not None
        engine = SyncEngine(ws, target, config, progress, run_id)
        try:
            engine.apply_all(changes)
        finally:
            result.outcomes = dict(engine.tally)
    clock.lap("apply")
    import_failures = _import_stage(ws, target if importing else None, config, result, progress, passwords)
    if importing:
        sync_gate.note_imported(ws, config)
    fill_baseline(ws, desired)
    clock.lap("import")
    result.conflicts = store.conflicts(ws, run_id)
    result.failures = [*store.failures(ws), *import_failures]
    result.users_without_membership = users_without_membership(ws)
    started = store.snapshot_started(ws, snapshot)
    result.lag_seconds = None if started is None else round(time.time() - started, 3)
    store.finish_run(ws, run_id, result.lag_seconds)

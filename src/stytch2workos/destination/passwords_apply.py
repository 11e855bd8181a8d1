"""``passwords apply``: set loaded hashes on users that were imported without them.

For each person whose hash was selected by ``passwords load`` and whose WorkOS
user exists (ledger kind ``user`` done), the hash is sent with ``update_user``
unless the ledger's ``password`` entry already holds the same hash's
fingerprint (sent at creation by ``import``, or by an earlier apply). Updates
run on the same bounded worker pool as import, under the same pacing, so a rerun
is cheap and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from stytch2workos.config import MigrationConfig
from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.destination.passwords_source import PASSWORD_KIND, UPDATED, hash_fingerprint
from stytch2workos.destination.pool import WorkerPool
from stytch2workos.destination.writes import Writes
from stytch2workos.errors import AuthError, RetriesExhausted, ServiceError
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.hashes import HashStore
from stytch2workos.workspace.ledger import DONE, Ledger

PAGE = 500
TASK = "passwords"


@dataclass
class ApplyResult:
    """What one ``passwords apply`` run did, per person."""

    applied: int = 0
    already_set: int = 0
    waiting_for_import: int = 0
    failed_before: int = 0
    failed: int = 0
    failures: list[dict[str, str | None]] = field(default_factory=list)
    retries: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "applied": self.applied,
            "already_set": self.already_set,
            "waiting_for_import": self.waiting_for_import,
            "failed_before": self.failed_before,
            "failed": self.failed,
            "failures": self.failures[:50],
            "retries": self.retries,
        }


@dataclass(frozen=True)
class _Pending:
    key: str
    user_id: str
    workos_hash: str = field(repr=False)
    hash_type: str


class PasswordApplier:
    """One apply run: the pending hashes, sent on a worker pool, each outcome in the ledger."""

    def __init__(
        self,
        ws: Workspace,
        target: WorkOSTarget,
        config: MigrationConfig,
        retry_failed: bool,
        progress: Progress,
    ) -> None:
        self.target, self.retry_failed, self.progress = target, retry_failed, progress
        self.ledger = Ledger(ws)
        self.writes = Writes(target)
        self.pool = WorkerPool(config.pacing.concurrency, progress, "passwords")
        self.outcomes: Counter[str] = Counter()
        self._outcome_lock = threading.Lock()
        self.hashes = HashStore(ws)

    def _note(self, outcome: str) -> None:
        with self._outcome_lock:
            self.outcomes[outcome] += 1

    def pending(self) -> Iterator[_Pending]:
        """Hashes still to send, streamed page by page; the rest are counted and passed over."""
        after = ""
        while page := self.hashes.pending_page(PASSWORD_KIND, after, PAGE):
            after = page[-1].email_key
            for key, workos_hash, hash_type, user_id, status, detail in page:
                outcome = None
                if user_id is None:
                    outcome = "waiting_for_import"
                elif status in DONE and detail == hash_fingerprint(workos_hash):
                    outcome = "already_set"
                elif status == "failed" and not self.retry_failed:
                    outcome = "failed_before"
                if outcome is not None:
                    self._note(outcome)
                    self.progress.advance(TASK)
                    continue
                assert user_id is not None
                yield _Pending(key, user_id, workos_hash, hash_type)

    def _task(self, item: _Pending) -> Callable[[], None]:
        def go() -> None:
            try:
                self.writes.set_password_hash(item.user_id, item.workos_hash, item.hash_type)
            except (AuthError, RetriesExhausted):
                raise
            except ServiceError as exc:
                self.ledger.record(
                    PASSWORD_KIND, item.key, "failed", code=exc.failure.code, detail=exc.failure.describe()
                )
                self._note("failed")
                return
            fingerprint = hash_fingerprint(item.workos_hash)
            self.ledger.record(PASSWORD_KIND, item.key, "created", item.user_id, UPDATED, fingerprint)
            self._note("applied")

        return go

    def run(self) -> ApplyResult:
        """Send every pending hash; return the counts for this run."""
        self.progress.start(TASK, self.hashes.selected_count())
        self.pool.run((self._task(item) for item in self.pending()), TASK)
        self.progress.finish(TASK)
        failures = [f for f in self.ledger.failures() if f["kind"] == PASSWORD_KIND]
        return ApplyResult(
            applied=self.outcomes["applied"],
            already_set=self.outcomes["already_set"],
            waiting_for_import=self.outcomes["waiting_for_import"],
            failed_before=self.outcomes["failed_before"],
            failed=self.outcomes["failed"],
            failures=failures,
            retries=self.target.pacer.retries,
        )


def run_apply(
    ws: Workspace,
    target: WorkOSTarget,
    config: MigrationConfig,
    *,
    retry_failed: bool = False,
    progress: Progress | None = None,
) -> ApplyResult:
    """Set the selected hashes on already-imported users; safe to run again at any time."""
    return PasswordApplier(ws, target, config, retry_failed, progress or NullProgress()).run()


def count_to_apply(ws: Workspace) -> tuple[int, int]:
    """(hashes selected, of which not yet known to be in WorkOS) — for the confirmation prompt."""
    return HashStore(ws).apply_counts(PASSWORD_KIND)

"""``migrate``: which stage comes next, decided from what the workspace holds.

Every stage is already safe to rerun (export resumes from its checkpoints, import and
``passwords apply`` skip what the ledger says is done), so ``migrate`` needs no
progress record of its own: after Ctrl-C, kill -9 or a failure it reads the workspace
again, and :func:`next_stages` sends it through the same sequence, the finished work
costing only the reads that confirm it is finished.

The sequence: export (or ``--refresh``) → init when there is no ``migration.toml``
(then a stop, so a person reviews it) → plan (a stop on blocking problems, or after it
for ``--dry-run``) → passwords load (when a delivery is given) → import (roles,
organizations, people, SSO connections) → passwords apply → packets → verify.

:func:`next_stages` is pure; :func:`read_state` gathers its input from the workspace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from stytch2workos.workspace import Workspace
from stytch2workos.workspace.readiness import passwords_loaded


class Stage(StrEnum):
    EXPORT = "export"
    INIT = "init"
    PLAN = "plan"
    PASSWORDS_LOAD = "passwords load"
    IMPORT = "import"
    PASSWORDS_APPLY = "passwords apply"
    PACKETS = "packets"
    VERIFY = "verify"


# The stages that write to WorkOS: each is confirmed first (unless --yes).
WRITES_WORKOS = frozenset({Stage.IMPORT, Stage.PASSWORDS_APPLY})

SnapshotState = Literal["none", "unfinished", "complete"]
# A password delivery given on the command line: none, one not loaded yet, or the very
# file (same size and SHA-256) an earlier run loaded.
DeliveryState = Literal["none", "new", "loaded"]
Stop = Literal["review_config", "dry_run"]


@dataclass(frozen=True)
class State:
    """What :func:`next_stages` decides from: the workspace, the flags, this run so far."""

    snapshot: SnapshotState = "none"
    config: bool = False  # a migration.toml exists (or --config names one)
    refresh: bool = False  # --refresh: take a new snapshot even though one is complete
    delivery: DeliveryState = "none"
    hashes_loaded: bool = False  # password hashes are in the workspace (from any load)
    handoff: bool = False  # the snapshot has SSO or SCIM connections: packets to write
    dry_run: bool = False
    verify: bool = False  # this build has a verify stage
    done: frozenset[Stage] = frozenset()  # stages this run has finished


@dataclass(frozen=True)
class Route:
    """The stages still to run, in order, and why the run stops early (None: it goes to the end)."""

    stages: tuple[Stage, ...]
    stop: Stop | None = None

    @property
    def next(self) -> Stage | None:
        return self.stages[0] if self.stages else None


def next_stages(state: State) -> Route:
    """The rest of the migration from ``state``: every stage not done yet that has work to do."""
    wanted: list[Stage] = []
    if state.snapshot != "complete" or state.refresh:
        wanted.append(Stage.EXPORT)
    if not state.config:
        # Nothing after init can run on a proposal nobody has read.
        wanted.append(Stage.INIT)
        return _route(wanted, state.done, "review_config")
    wanted.append(Stage.PLAN)
    if state.dry_run:
        return _route(wanted, state.done, "dry_run")
    if state.delivery == "new":
        wanted.append(Stage.PASSWORDS_LOAD)
    wanted.append(Stage.IMPORT)
    if state.hashes_loaded or state.delivery != "none":
        # Import sends a hash with each user it creates; users that already existed get theirs here.
        wanted.append(Stage.PASSWORDS_APPLY)
    if state.handoff:
        wanted.append(Stage.PACKETS)
    if state.verify:
        wanted.append(Stage.VERIFY)
    return _route(wanted, state.done, None)


def _route(wanted: list[Stage], done: frozenset[Stage], stop: Stop | None) -> Route:
    return Route(tuple(s for s in wanted if s not in done), stop)


# -- outcomes ------------------------------------------------------------------------------

Outcome = Literal["done", "kept", "findings", "stopped", "declined", "failed", "skipped"]


@dataclass
class StageResult:
    """One row of the summary: what a stage did, its counts and its exit code."""

    stage: Stage
    outcome: Outcome
    exit_code: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    notes: list[str] = field(default_factory=list)  # lines to read: problems, refused records

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": str(self.stage),
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "counts": self.counts,
            "detail": self.detail,
            "notes": self.notes,
        }


def worst_exit(results: Iterable[StageResult]) -> int:
    """The exit code of the run: the worst stage's (0 ok < 1 findings < 2 input < 3 API < 4 < 5)."""
    return max((r.exit_code for r in results), default=0)


def what_next(results: list[StageResult], stop: Stop | None, command: str) -> str:
    """One sentence: what the operator does now. ``command`` is how they ran migrate."""
    last = results[-1] if results else None
    if last is not None and last.outcome == "failed":
        return f"Fix what the error says, then run `{command}` again: it resumes where it stopped."
    if last is not None and last.outcome == "declined":
        return f"Nothing more was written. Run `{command}` again when ready (or add --yes)."
    if stop == "review_config" and last is not None and last.stage == Stage.INIT:
        return (
            "Review migration.toml in the workspace ([roles.map], [permissions.map], [statuses]), "
            f"then run `{command}` again."
        )
    if last is not None and last.stage == Stage.PLAN and last.outcome == "stopped":
        return (
            "The plan has blocking problems: fix them in migration.toml (or pass --accept CODE "
            f"for each one you accept), then run `{command}` again."
        )
    if stop == "dry_run":
        return f"Nothing was written. Run `{command}` without --dry-run to migrate."
    if any(r.exit_code == 1 for r in results):
        return (
            "Some records need attention (listed above; `stytch2workos status` shows them all). "
            "Fix the cause and run migrate again with --retry-failed."
        )
    return "The migration is in WorkOS. Next: the sync window and customer handoff (docs/runbook.md)."


# -- reading the workspace ------------------------------------------------------------------

DELIVERY_META = "migrate.passwords_delivery"


def delivery_fingerprint(path: Path) -> str:
    """Size and SHA-256 of a delivery's hashes file: the same file is not loaded twice."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return f"{path.stat().st_size}:{digest.hexdigest()}"


def read_state(
    ws: Workspace,
    *,
    config: bool,
    refresh: bool,
    delivery: Path | None,
    dry_run: bool,
    verify: bool,
    done: frozenset[Stage],
) -> State:
    """The :class:`State` of ``ws`` for this run's flags."""
    complete = ws.latest_snapshot()
    # An unfinished snapshot is resumed even beside a complete one (an interrupted --refresh).
    snapshot: SnapshotState = (
        "unfinished"
        if ws.latest_snapshot("running") is not None
        else "complete"
        if complete is not None
        else "none"
    )
    delivery_state: DeliveryState = "none"
    if delivery is not None:
        loaded = ws.get_meta(DELIVERY_META)
        same = loaded is not None and delivery.is_file() and loaded == delivery_fingerprint(delivery)
        delivery_state = "loaded" if same else "new"
    handoff = complete is not None and ws.count("connections", complete) > 0
    return State(
        snapshot=snapshot,
        config=config,
        refresh=refresh,
        delivery=delivery_state,
        hashes_loaded=passwords_loaded(ws),
        handoff=handoff,
        dry_run=dry_run,
        verify=verify,
        done=done,
    )

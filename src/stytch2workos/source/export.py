"""Export: a complete, resumable snapshot of a Stytch B2B project.

Stages, each checkpointed in the workspace: organizations (search, 1,000 per
page) → members of every status (search over batches of organization ids) →
SSO connections of organizations with active ones, and SCIM connections → the
RBAC policy. Rerunning after an interruption continues where the last saved
page left off.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stytch2workos.progress import NullProgress, Progress
from stytch2workos.source.client import StytchSource
from stytch2workos.source.jsonfile import read_export
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import snapshot as snap

PAGE_SIZE = 1000


@dataclass(frozen=True)
class ExportOptions:
    refresh: bool = False
    # Organization ids per members search; the API documents no maximum.
    org_batch: int = 100
    page_size: int = PAGE_SIZE
    # Concurrent per-organization reads (SSO and SCIM connections).
    workers: int = 8


@dataclass
class ExportResult:
    snapshot_id: int
    resumed: bool
    already_complete: bool
    changes: dict[str, int] = field(default_factory=dict)
    retries: int = 0


def export_project(
    ws: Workspace,
    source: StytchSource,
    options: ExportOptions = ExportOptions(),
    progress: Progress | None = None,
) -> ExportResult:
    """Pull everything the API gives into a snapshot, resuming an unfinished one."""
    progress = progress or NullProgress()
    ws.bulk_writes()
    snapshot, active = snap.open_snapshot(ws, "api", options.refresh)
    if not active:
        return ExportResult(snapshot, resumed=False, already_complete=True)
    resumed = snap.has_checkpoints(ws, snapshot)
    if resumed:
        progress.note(f"resuming unfinished export (snapshot {snapshot})")

    _export_organizations(ws, source, snapshot, options, progress)
    org_ids = snap.organization_ids(ws, snapshot)
    _export_members(ws, source, snapshot, org_ids, options, progress)
    _export_connections(ws, source, snapshot, options, progress)
    if not snap.checkpoint(ws, snapshot, "rbac", "policy").done:
        snap.save_policy(ws, snapshot, source.rbac_policy())
    changes = snap.finish_snapshot(ws, snapshot)
    return ExportResult(snapshot, resumed, False, changes, source.retries)


def _export_organizations(
    ws: Workspace, source: StytchSource, snapshot: int, options: ExportOptions, progress: Progress
) -> None:
    cp = snap.checkpoint(ws, snapshot, "organizations", "all")
    progress.start("organizations", None)
    progress.advance("organizations", ws.count("organizations", snapshot))
    while not cp.done:
        page = source.search_organizations(cp.cursor, options.page_size)
        if page.total is not None:
            progress.start("organizations", page.total)
        cp = snap.save_page(
            ws, snapshot, "organizations", "all", cp, page.next_cursor, organizations=page.items
        )
        progress.advance("organizations", len(page.items))
    progress.finish("organizations")


def _export_members(
    ws: Workspace,
    source: StytchSource,
    snapshot: int,
    org_ids: list[str],
    options: ExportOptions,
    progress: Progress,
) -> None:
    batches = [org_ids[i : i + options.org_batch] for i in range(0, len(org_ids), options.org_batch)]
    progress.start("members", None)
    progress.advance("members", ws.count("members", snapshot))
    # The total is known batch by batch; until the last, estimate the rest from the average
    # so the progress display can show an ETA.
    seen_total, seen_batches = 0, 0
    for index, batch in enumerate(batches):
        key = f"{index:06d}:{batch[0]}"
        cp = snap.checkpoint(ws, snapshot, "members", key)
        first = True
        while not cp.done:
            page = source.search_members(batch, cp.cursor, options.page_size)
            if first and page.total is not None:
                seen_total, seen_batches = seen_total + page.total, seen_batches + 1
                estimate = seen_total + (len(batches) - index - 1) * seen_total // seen_batches
                progress.start("members", max(estimate, ws.count("members", snapshot)))
            first = False
            cp = snap.save_page(ws, snapshot, "members", key, cp, page.next_cursor, members=page.items)
            progress.advance("members", len(page.items))
    progress.finish("members")


def _fetch_connections(source: StytchSource, org: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for kind, items in source.sso_connections(org["organization_id"]).items():
        found.extend((kind.removesuffix("_connections"), c) for c in items)
    if org.get("scim_active_connection"):
        scim = source.scim_connection(org["organization_id"])
        if scim is not None:
            found.append(("scim", scim))
    return found


def _export_connections(
    ws: Workspace, source: StytchSource, snapshot: int, options: ExportOptions, progress: Progress
) -> None:
    # Every organization is asked: pending and external connections do not show in
    # `sso_active_connections`, and they are part of what a customer configured.
    done = snap.done_keys(ws, snapshot, "connections")
    orgs = list(ws.organizations(snapshot))
    todo = [o for o in orgs if o["organization_id"] not in done]
    progress.start("connections", len(orgs))
    progress.advance("connections", len(orgs) - len(todo))
    # Reads run concurrently (each takes a round trip); the main thread alone writes.
    with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="export") as pool:
        for start in range(0, len(todo), options.workers * 4):
            chunk = todo[start : start + options.workers * 4]
            for org, found in zip(
                chunk, pool.map(lambda o: _fetch_connections(source, o), chunk), strict=True
            ):
                snap.save_connections(ws, snapshot, org["organization_id"], found)
                progress.advance("connections")
    progress.finish("connections")


def load_json_file(
    ws: Workspace,
    path: Path,
    refresh: bool = False,
    progress: Progress | None = None,
    batch: int = 20000,
) -> ExportResult:
    """Load a ``{"organizations", "members"}`` file into a snapshot, streaming.

    An interrupted load is resumed by reading the file again: rows are keyed by
    id, so rows already stored are overwritten, never duplicated.
    """
    progress = progress or NullProgress()
    ws.bulk_writes()
    snapshot, active = snap.open_snapshot(ws, f"file:{path.name}", refresh)
    if not active:
        return ExportResult(snapshot, resumed=False, already_complete=True)
    progress.start("records", None)
    # Rows are turned into their stored form as they arrive, so a batch holds strings,
    # not parsed objects: memory stays flat with large batches (few commits, fast loads).
    orgs: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []

    def flush() -> None:
        snap.save_rows(ws, orgs, members)
        progress.advance("records", len(orgs) + len(members))
        orgs.clear()
        members.clear()

    for kind, item, text in read_export(path):
        if kind == "organization":
            orgs.append(snap.org_row(snapshot, item, text))
        else:
            members.append(snap.member_row(snapshot, item, text))
        if len(orgs) + len(members) >= batch:
            flush()
    flush()
    progress.finish("records")
    missing = snap.orphan_members(ws, snapshot)
    if missing:
        progress.note(f"{missing} member(s) belong to organizations not in the file")
    changes = snap.finish_snapshot(ws, snapshot)
    return ExportResult(snapshot, True, False, changes)

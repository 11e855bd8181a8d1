"""Export: a complete, resumable snapshot of a Stytch B2B project.

Stages, each checkpointed in the workspace: organizations (search, 1,000 per
page) → members of every status (search over batches of organization ids), with
the SSO and SCIM connections of every organization read beside them
(:mod:`.connection_reads`) → the RBAC policy. Rerunning after an interruption
continues where the last saved page left off.

Every organization and member is checked on the way in
(:mod:`stytch2workos.transform.validate`): a malformed record is stored apart as
refused, with its reason, and the rest of the export goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stytch2workos import stopping
from stytch2workos.errors import InputError
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.source.client import StytchSource
from stytch2workos.source.connection_reads import ConnectionReads, Found
from stytch2workos.source.jsonfile import ExportFile, prefix_sha256
from stytch2workos.transform.validate import DUPLICATE_ID, DuplicateIds, Entity, Finding, check
from stytch2workos.workspace import Workspace, file_loads, problems
from stytch2workos.workspace import snapshot as snap

PAGE_SIZE = 1000


@dataclass(frozen=True)
class ExportOptions:
    refresh: bool = False
    restart: bool = False  # drop an unfinished snapshot and start over
    # Organization ids per members search; the API documents no maximum.
    org_batch: int = 100
    page_size: int = PAGE_SIZE
    # Reader threads for the per-organization reads (SSO and SCIM connections).
    workers: int = 8


@dataclass
class ExportResult:
    snapshot_id: int
    resumed: bool
    already_complete: bool
    changes: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    file_sha256: str | None = None  # of the whole file, for a load from a file


def export_project(
    ws: Workspace,
    source: StytchSource,
    options: ExportOptions = ExportOptions(),
    progress: Progress | None = None,
) -> ExportResult:
    """Pull everything the API gives into a snapshot, resuming an unfinished one."""
    progress = progress or NullProgress()
    ws.bulk_writes()
    opened = snap.open_snapshot(ws, "api", options.refresh, options.restart)
    snapshot = opened.id
    if not opened.active:
        return ExportResult(snapshot, resumed=False, already_complete=True)
    resumed = snap.has_checkpoints(ws, snapshot)
    if resumed:
        progress.note(f"resuming unfinished export (snapshot {snapshot})")
    diff_base = snap.member_diff_base(ws, snapshot, fresh=not opened.resumed)

    _export_organizations(ws, source, snapshot, options, progress)
    # The members of a refused organization are read too, to be reported as refused.
    org_ids = sorted({*snap.organization_ids(ws, snapshot), *problems.refused_organization_ids(ws, snapshot)})
    # The connection reads run under their own budget while the members stage waits on
    # the search budget; this thread stores what they found between member pages.
    with _connection_reads(ws, source, snapshot, options, progress) as reads:

        def store(found: list[tuple[str, Found]]) -> None:
            if found:
                progress.advance("connections", snap.save_connections(ws, snapshot, found))

        _export_members(
            ws, source, snapshot, org_ids, options, progress, diff_base, lambda: store(reads.ready())
        )
        problems.refuse_members_of_refused_organizations(ws, snapshot)
        for found in reads.rest():
            store(found)
        progress.finish("connections")
    if not snap.checkpoint(ws, snapshot, "rbac", "policy").done:
        snap.save_policy(ws, snapshot, source.rbac_policy())
    changes = snap.finish_snapshot(ws, snapshot, members_diffed=diff_base is not None)
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
        kept, found = _screen(snapshot, "organization", page.items)
        cp = snap.save_page(
            ws, snapshot, "organizations", "all", cp, page.next_cursor, organizations=kept, findings=found
        )
        progress.advance("organizations", len(page.items))
        stopping.check()
    progress.finish("organizations")


def _export_members(
    ws: Workspace,
    source: StytchSource,
    snapshot: int,
    org_ids: list[str],
    options: ExportOptions,
    progress: Progress,
    diff_base: int | None,
    after_page: Callable[[], None],
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
            kept, found = _screen(snapshot, "member", page.items)
            cp = snap.save_page(
                ws,
                snapshot,
                "members",
                key,
                cp,
                page.next_cursor,
                members=kept,
                findings=found,
                diff_against=diff_base,
            )
            progress.advance("members", len(page.items))
            after_page()
            stopping.check()
    progress.finish("members")


def _screen(
    snapshot: int, kind: Entity, items: list[Any]
) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The records of an API page to store, and the stored form of every finding.

    A record repeated across pages is not a duplicate here: a record that changes while
    the export pages through the API can be returned twice, and the later copy is newer.
    """
    kept: list[dict[str, Any]] = []
    found: list[tuple[Any, ...]] = []
    for item in items:
        findings = check(kind, item)
        found.extend(problems.problem_rows(snapshot, kind, item, None, findings))
        if not any(f.refused for f in findings):
            kept.append(item)
    return kept, found


def _connection_reads(
    ws: Workspace, source: StytchSource, snapshot: int, options: ExportOptions, progress: Progress
) -> ConnectionReads:
    """Reader threads for the organizations whose connections are not stored yet."""
    # Every organization is asked: pending and external connections do not show in
    # `sso_active_connections`, and they are part of what a customer configured.
    done = snap.done_keys(ws, snapshot, "connections")
    orgs = list(ws.organizations(snapshot))
    todo = [o for o in orgs if o["organization_id"] not in done]
    progress.start("connections", len(orgs))
    progress.advance("connections", len(orgs) - len(todo))
    return ConnectionReads(source, todo, options.workers)


def load_json_file(
    ws: Workspace,
    path: Path,
    refresh: bool = False,
    progress: Progress | None = None,
    batch: int = 20000,
    restart: bool = False,
) -> ExportResult:
    """Load a ``{"organizations", "members"}`` file into a snapshot, streaming.

    An interrupted load is resumed by reading the same file again: rows are keyed
    by id, so rows already stored are overwritten, never duplicated. A different
    file is refused (``restart`` drops the unfinished load instead). A file that
    cannot be read leaves nothing half-loaded behind.
    """
    progress = progress or NullProgress()
    with ExportFile(path) as export:
        ws.bulk_writes()
        opened = snap.open_snapshot(ws, f"file:{path.name}", refresh, restart)
        snapshot = opened.id
        if not opened.active:
            return ExportResult(snapshot, resumed=False, already_complete=True)
        fresh = True
        if opened.resumed:
            fresh = _same_file(ws, snapshot, path, export.size)
        file_loads.start_file_load(ws, snapshot, export.size, fresh)
        try:
            _load(ws, snapshot, export, batch, progress)
        except InputError:
            # Nothing in a file that cannot be read is worth resuming from.
            snap.abandon_snapshot(ws, snapshot)
            raise
        digest = export.sha256()
    missing = snap.orphan_members(ws, snapshot)
    if missing:
        progress.note(f"{missing} member(s) belong to organizations not in the file")
    changes = snap.finish_snapshot(ws, snapshot)
    return ExportResult(snapshot, opened.resumed, False, changes, file_sha256=digest)


def _same_file(ws: Workspace, snapshot: int, path: Path, size: int) -> bool:
    """Check that an unfinished load may go on with the file at ``path``.

    Returns True when nothing was stored yet (any file may take over), False when the
    stored rows came from this very file; raises :class:`InputError` otherwise.
    """
    mark = file_loads.file_mark(ws, snapshot)
    if mark.size is not None and mark.loaded == 0:
        return True
    same = mark.size == size and mark.sha256 is not None and prefix_sha256(path, mark.loaded) == mark.sha256
    if not same:
        held = f"a file of {mark.size:,} bytes" if mark.size is not None else "an unrecorded file"
        raise InputError(
            f"{path}: the workspace holds an unfinished load of another file ({held}); it is "
            "not mixed with this one. Run again with --restart to drop the unfinished load and "
            "load this file from the start"
        )
    return False


def _load(ws: Workspace, snapshot: int, export: ExportFile, batch: int, progress: Progress) -> None:
    progress.start("records", None)
    # Rows are turned into their stored form as they arrive, so a batch holds strings,
    # not parsed objects: memory stays flat with large batches (few commits, fast loads).
    orgs: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    found: list[tuple[Any, ...]] = []
    repeated = DuplicateIds()

    def flush() -> None:
        snap.save_rows(ws, orgs, members, found, (snapshot, export.bytes_read, export.sha256()))
        progress.advance("records", len(orgs) + len(members))
        orgs.clear()
        members.clear()
        found.clear()

    for item in export.items():
        first = repeated.see(item.kind, item.value, item.position)
        if first is not None:
            reason = f"{item.kind}_id also at character {first}; every copy is refused"
            findings = [Finding(DUPLICATE_ID, reason, True)]
        else:
            findings = check(item.kind, item.value)
        if findings:
            found.extend(problems.problem_rows(snapshot, item.kind, item.value, item.position, findings))
        if not findings or not any(f.refused for f in findings):
            if item.kind == "organization":
                orgs.append(snap.org_row(snapshot, item.value, item.text))
            else:
                members.append(snap.member_row(snapshot, item.value, item.text))
        if len(orgs) + len(members) + len(found) >= batch:
            flush()
    flush()
    progress.finish("records")
    problems.refuse_first_copies(ws, snapshot, repeated.first_copies())
    problems.refuse_members_of_refused_organizations(ws, snapshot)

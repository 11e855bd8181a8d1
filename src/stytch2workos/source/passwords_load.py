"""``passwords load``: Stytch's hash export → the workspace's ``password_hashes`` table.

The decrypted CSV arrives as a stream of lines and is never held whole: rows
are parsed, matched to the snapshot and converted in batches, and each batch is
stored in one call (``HashStore.insert``). Memory stays flat for any number of rows;
the database is the only place a hash is kept.

A load replaces the previous one, inside a single transaction: a delivery that
turns out to be corrupt at its last block (where ``openssl enc`` padding is
checked) leaves the earlier load untouched instead of half of a new one.

Row statuses: ``selected`` (the hash to send for that person), ``superseded``
(another member of the same person won), ``refused`` (cannot be imported;
``code`` and ``reason`` say why), ``unmatched`` (no such member in the
snapshot), ``skipped`` (the member is deleted in Stytch). Rows too damaged to
name a member go to ``password_row_problems``. Refused and unmatched rows keep
no hash at all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from stytch2workos.errors import InputError
from stytch2workos.progress import NullProgress, Progress
from stytch2workos.source.delivery import DeliveryError
from stytch2workos.source.hashcsv import HashCsvFormatError, RowError, read_params_and_rows
from stytch2workos.source.passwords_select import select_hashes
from stytch2workos.transform.passwords import Converted, ParsedRow, PickRule, ScryptParams, convert
from stytch2workos.workspace import Workspace, now_iso
from stytch2workos.workspace.hash_reports import people_counts
from stytch2workos.workspace.hashes import HashRow, HashStore, SnapshotMember

BATCH = 1000
LOAD_META = "passwords_load"
# Stytch's method names are short; anything longer is a damaged row, not worth keeping whole.
_METHOD_CHARS = 40


@dataclass
class LoadSummary:
    """What a load found; counts and ids only, never hash material."""

    source: str
    conflict_rule: str
    scrypt_params: dict[str, int] | None = None
    rows_read: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    malformed: int = 0
    deleted_members: int = 0
    converted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    people: dict[str, int] = field(default_factory=dict)
    unmatched_examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["converted"] = dict(sorted(self.converted.items()))
        data["refused"] = dict(sorted(self.refused.items()))
        return data


class _Loader:
    """One load: the store inside its open transaction, the running counts, the project to
    check rows against."""

    def __init__(self, store: HashStore, snapshot: int, project_id: str | None, summary: LoadSummary):
        self.store, self.snapshot, self.project_id, self.summary = store, snapshot, project_id, summary
        self.loaded_at = now_iso()

    def row_values(
        self, row: ParsedRow, member: SnapshotMember | None, params: ScryptParams | None
    ) -> HashRow:
        method = row.hash_method.strip().lower()[:_METHOD_CHARS]

        def stored(
            status: str, code: str | None, reason: str | None, converted: Converted | None = None
        ) -> HashRow:
            return HashRow(
                row.member_id,
                member.email_key if member else None,
                method,
                converted.password_hash if converted else None,
                converted.password_hash_type if converted else None,
                status,
                reason,
                self.loaded_at,
                code,
                row.line_no,
            )

        if member is None:
            reason = "no member with this id in the snapshot (deleted before the export, or another project)"
            return stored("unmatched", "unknown_member", reason)
        if self.project_id and row.project_id and row.project_id != self.project_id:
            reason = f"the row belongs to project {row.project_id}, not this workspace's {self.project_id}"
            return stored("refused", "other_project", reason)
        if member.status == "deleted":
            return stored("skipped", "member_deleted", "the member is deleted in Stytch and is not migrated")
        result = convert(row, params)
        if isinstance(result, Converted):
            # Selected until a second hash for the same person turns up (see select_hashes).
            return stored("selected", None, None, result)
        return stored("refused", result.code, result.reason)

    def write(self, batch: list[ParsedRow], params: ScryptParams | None) -> None:
        members = self.store.snapshot_members(self.snapshot, [row.member_id for row in batch])
        values = [self.row_values(row, members.get(row.member_id), params) for row in batch]
        # The first row for a member id wins; later ones are reported, not silently merged.
        repeated = self.store.insert(values)
        for duplicate in repeated:
            reason = f"this member id already appeared on line {duplicate.kept_line}; that row is kept"
            self.store.add_problem(duplicate.row.line_no, duplicate.row.member_id, "duplicate_id", reason)
        self.summary.duplicates += len(repeated)
        duplicates = {duplicate.row.line_no for duplicate in repeated}
        for value in values:
            if value.line_no not in duplicates:
                self._count(value)

    def _count(self, value: HashRow) -> None:
        summary = self.summary
        if value.status == "unmatched":
            summary.unmatched += 1
            if len(summary.unmatched_examples) < 20:
                summary.unmatched_examples.append(value.member_id)
            return
        summary.matched += 1
        if value.status == "selected":
            summary.converted[str(value.workos_type)] += 1
        elif value.status == "refused":
            summary.refused[str(value.code)] += 1
        else:
            summary.deleted_members += 1


def _batches(
    rows: Iterator[ParsedRow | RowError], loader: _Loader, progress: Progress
) -> Iterator[list[ParsedRow]]:
    batch: list[ParsedRow] = []
    for row in rows:
        loader.summary.rows_read += 1
        if isinstance(row, RowError):
            loader.summary.malformed += 1
            loader.store.add_problem(row.line_no, None, "malformed_row", row.reason)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            progress.advance("hash rows", len(batch))
            batch = []
    if batch:
        yield batch
        progress.advance("hash rows", len(batch))


def load_hashes(
    ws: Workspace,
    lines: Iterable[str],
    rule: PickRule,
    *,
    source: str,
    progress: Progress | None = None,
) -> LoadSummary:
    """Replace the workspace's hashes with those in ``lines`` (the decrypted CSV's lines).

    Raises ``InputError`` if the file is not Stytch's hash export or cannot be
    decrypted to the end; in that case the previous load is kept unchanged.
    """
    progress = progress or NullProgress()
    snapshot = ws.require_snapshot()
    summary = LoadSummary(source=source, conflict_rule=rule)
    store = HashStore(ws)
    try:
        with ws.lock, ws.transaction():
            params, rows = read_params_and_rows(lines)
            summary.scrypt_params = None if params is None else asdict(params)
            store.clear()
            loader = _Loader(store, snapshot, ws.get_meta("stytch_project_id"), summary)
            progress.start("hash rows")
            for batch in _batches(rows, loader, progress):
                loader.write(batch, params)
            progress.finish("hash rows")
            if summary.rows_read == 0:
                raise InputError("the hashes file has a header but no rows; ask Stytch support to check it")
            progress.start("choosing")
            select_hashes(store, snapshot, rule)
            summary.people = asdict(people_counts(ws, snapshot))
            progress.finish("choosing")
            ws.set_meta(LOAD_META, json.dumps(summary.to_json()))
    except HashCsvFormatError as exc:
        raise InputError(f"the hashes file is not Stytch's hash export: {exc}") from None
    except DeliveryError as exc:
        raise InputError(str(exc)) from None
    return summary

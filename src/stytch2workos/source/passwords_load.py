"""``passwords load``: Stytch's hash export → the workspace's ``password_hashes`` table.

The decrypted CSV arrives as a stream of lines and is never held whole: rows
are parsed, matched to the snapshot and converted in batches, and each batch is
stored in one call (``HashStore.insert``). Memory stays flat for any number of rows;
the database is the only place a hash is kept.

A load replaces the previous one inside a single transaction, and only when it
finished and is no worse: a delivery that turns out to be corrupt at its last
block (where ``openssl enc`` padding is checked), a file with a defect that
spoils every row, or a file that would leave fewer people with a usable hash
than the stored load (unless ``replace``) rolls back and leaves the earlier load
untouched.

File defects (``InputError``): no scrypt parameter block although there are
scrypt rows; parameters no scrypt hash can have (``hashcsv``); a header without
the required columns; no data rows, or none that can be read; no row naming
this workspace's Stytch project while rows name another (the file is that
project's).

Row statuses: ``selected`` (the hash to send for that person), ``superseded``
(another member of the same person won), ``refused`` (cannot be imported;
``code`` and ``reason`` say why), ``unmatched`` (no such member in the
snapshot), ``skipped`` (the member is deleted in Stytch). A later row for a
member id already stored is compared with it: the same outcome (the same
converted hash) is a ``duplicate_row``, kept once and reported as information;
a different one refuses the member (``conflicting_rows``), since either hash may
be the wrong one. Rows too damaged to read go to ``password_row_problems``, with
their member id when the row shows one; an unreadable row of a snapshot member
refuses that member (``malformed_row``). Refused and unmatched rows keep no hash.
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
from stytch2workos.source.hashcsv import (
    HashCsvFormatError,
    RowError,
    looks_like_stytch_id,
    read_params_and_rows,
)
from stytch2workos.source.passwords_select import select_hashes
from stytch2workos.transform.passwords import Converted, ParsedRow, PickRule, ScryptParams, convert
from stytch2workos.workspace import Workspace, now_iso
from stytch2workos.workspace.hash_reports import people_counts
from stytch2workos.workspace.hashes import HashRow, HashStore, SnapshotMember, StoredRow

BATCH = 1000
LOAD_META = "passwords_load"
CONFLICT = "conflicting_rows"
DUPLICATE = "duplicate_row"
MALFORMED = "malformed_row"
# Stytch's method names are short; anything longer is a damaged row, not worth keeping whole.
_METHOD_CHARS = 40
# `export --from-json` without STYTCH_PROJECT_ID binds the workspace to this placeholder:
# such a workspace does not know its project, so rows cannot be checked against it.
_UNKNOWN_PROJECT = "from-file"
# Statuses of members that are not migrated: a repeated row cannot change their outcome.
_NOT_MIGRATED = ("unmatched", "skipped")


@dataclass
class LoadSummary:
    """What a load found; counts and ids only, never hash material.

    Every row read is counted once: ``matched`` (the first row for a member of the
    snapshot, split into ``converted``, ``refused`` and ``deleted_members``),
    ``unmatched``, ``malformed`` (unreadable, and naming no member of the snapshot),
    ``duplicates`` (a repeat with the same outcome, ignored) or ``conflicting_rows``
    (a repeat that disagrees; its member is then refused as ``conflicting_rows``).
    """

    source: str
    conflict_rule: str
    scrypt_params: dict[str, int] | None = None
    rows_read: int = 0
    matched: int = 0
    unmatched: int = 0
    duplicates: int = 0
    conflicting_rows: int = 0
    malformed: int = 0
    deleted_members: int = 0
    converted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    people: dict[str, int] = field(default_factory=dict)
    previous_with_password: int = 0
    unmatched_examples: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["converted"] = dict(sorted((k, n) for k, n in self.converted.items() if n))
        data["refused"] = dict(sorted((k, n) for k, n in self.refused.items() if n))
        return data


def _named_project(project_id: str) -> str:
    # A shifted cell in a damaged row may hold a hash; only an id-shaped value is echoed.
    return project_id if looks_like_stytch_id(project_id) else "another project"


class _Loader:
    """One load: the store inside its open transaction, the running counts, the project to
    check rows against."""

    def __init__(
        self,
        store: HashStore,
        snapshot: int,
        project_id: str | None,
        params: ScryptParams | None,
        summary: LoadSummary,
    ):
        self.store, self.snapshot, self.params, self.summary = store, snapshot, params, summary
        self.project_id = None if project_id == _UNKNOWN_PROJECT else project_id
        self.loaded_at = now_iso()
        self.readable = 0  # rows that parsed, whatever became of them
        self.first_error: RowError | None = None
        self.ours = 0  # readable rows naming this workspace's project
        self.foreign: Counter[str] = Counter()  # readable rows naming another, by project id

    # -- reading ------------------------------------------------------------------------

    def take(self, rows: Iterator[ParsedRow | RowError], progress: Progress) -> None:
        """Store every row of the stream, ``BATCH`` at a time."""
        batch: list[ParsedRow | RowError] = []
        for row in rows:
            self.summary.rows_read += 1
            if isinstance(row, RowError):
                self.first_error = self.first_error or row
                if row.member_id is None:
                    self.summary.malformed += 1
                    self.store.add_problem(row.line_no, None, MALFORMED, row.reason)
                    continue
            else:
                self._check(row)
            batch.append(row)
            if len(batch) >= BATCH:
                self.write(batch)
                progress.advance("hash rows", len(batch))
                batch = []
        if batch:
            self.write(batch)
            progress.advance("hash rows", len(batch))

    def _check(self, row: ParsedRow) -> None:
        self.readable += 1
        if self.params is None and row.hash_method.strip().lower() == "scrypt":
            raise InputError(
                f"line {row.line_no} is a scrypt row, but the hashes file has no scrypt parameter block "
                "(N, r, p, key length), so no scrypt hash in it can be converted; ask Stytch support "
                "for the export with its parameter block"
            )
        if self.project_id and row.project_id:
            if row.project_id == self.project_id:
                self.ours += 1
            elif len(self.foreign) < 100 or row.project_id in self.foreign:
                self.foreign[row.project_id] += 1

    def check_file(self) -> None:
        """Raise ``InputError`` for a file that, read to its end, cannot be a usable export."""
        rows = self.summary.rows_read
        if rows == 0:
            raise InputError("the hashes file has a header but no rows; ask Stytch support to check it")
        if self.readable == 0 and self.first_error is not None:
            first = self.first_error
            raise InputError(
                f"none of the {rows:,} rows of the hashes file can be read (line {first.line_no}: "
                f"{first.reason}); ask Stytch support to resend the export"
            )
        if self.foreign and not self.ours:
            other, count = self.foreign.most_common(1)[0]
            project = f"Stytch project {other}" if looks_like_stytch_id(other) else "another Stytch project"
            raise InputError(
                f"the hashes file is for {project} ({count:,} rows), not this workspace's project "
                f"{self.project_id}: no row names {self.project_id}. Load it into that project's "
                "workspace, or ask Stytch support for this project's export"
            )

    # -- storing ------------------------------------------------------------------------

    def row_values(self, row: ParsedRow, member: SnapshotMember | None) -> HashRow:
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
            reason = (
                f"the row belongs to {_named_project(row.project_id)}, not this workspace's {self.project_id}"
            )
            return stored("refused", "other_project", reason)
        if member.status == "deleted":
            return stored("skipped", "member_deleted", "the member is deleted in Stytch and is not migrated")
        result = convert(row, self.params)
        if isinstance(result, Converted):
            # Selected until a second hash for the same person turns up (see select_hashes).
            return stored("selected", None, None, result)
        return stored("refused", result.code, result.reason)

    def _unreadable_values(self, row: RowError, member: SnapshotMember) -> HashRow:
        # The member had a password row, but it cannot be read: they must reset.
        deleted = member.status == "deleted"
        status, code = ("skipped", "member_deleted") if deleted else ("refused", MALFORMED)
        reason = "the member is deleted in Stytch and is not migrated" if deleted else row.reason
        return HashRow(
            str(row.member_id),
            member.email_key,
            "",
            None,
            None,
            status,
            reason,
            self.loaded_at,
            code,
            row.line_no,
        )

    def write(self, batch: list[ParsedRow | RowError]) -> None:
        members = self.store.snapshot_members(self.snapshot, [str(row.member_id) for row in batch])
        values: list[HashRow] = []
        for row in batch:
            member = members.get(str(row.member_id))
            if isinstance(row, ParsedRow):
                values.append(self.row_values(row, member))
            elif member is not None:
                values.append(self._unreadable_values(row, member))
            else:
                self.summary.malformed += 1
                self.store.add_problem(row.line_no, row.member_id, MALFORMED, row.reason)
        repeated = {duplicate.row.line_no: duplicate for duplicate in self.store.insert(values)}
        # What is stored for a member as this batch's repeats change it.
        stored: dict[str, StoredRow] = {}
        for value in values:
            duplicate = repeated.get(value.line_no)
            if duplicate is None:
                self._count(value)
            else:
                kept = stored.get(value.member_id, duplicate.kept)
                stored[value.member_id] = self._repeat(value, kept)

    def _repeat(self, value: HashRow, kept: StoredRow) -> StoredRow:
        """Report a second row for a stored member id; refuse the member if the rows disagree."""
        summary = self.summary
        same = (kept.status, kept.workos_hash, kept.code) == (value.status, value.workos_hash, value.code)
        if kept.code != CONFLICT and (same or kept.status in _NOT_MIGRATED):
            summary.duplicates += 1
            if value.status == "selected":
                reason = f"the same hash as line {kept.line_no}, which is kept; this repeat is ignored"
            else:
                reason = f"line {kept.line_no} names this member too, with the same outcome; this repeat is ignored"
            self.store.add_problem(value.line_no, value.member_id, DUPLICATE, reason)
            return kept
        summary.conflicting_rows += 1
        if kept.code == CONFLICT:
            reason = f"this member's rows disagree (line {kept.line_no} and others); none of them is used"
        else:
            # The member's row stays matched; only its outcome changes.
            self._outcome(kept, -1)
            summary.refused[CONFLICT] += 1
            self.store.mark_conflict(
                value.member_id,
                CONFLICT,
                f"lines {kept.line_no} and {value.line_no} give this member different password hashes; "
                "neither is used",
            )
            kept = kept._replace(status="refused", workos_hash=None, workos_type=None, code=CONFLICT)
            reason = f"line {kept.line_no} gives this member a different password hash; neither is used"
        self.store.add_problem(value.line_no, value.member_id, CONFLICT, reason)
        return kept

    def _count(self, value: HashRow) -> None:
        summary = self.summary
        if value.status == "unmatched":
            summary.unmatched += 1
            if len(summary.unmatched_examples) < 20:
                summary.unmatched_examples.append(value.member_id)
            return
        summary.matched += 1
        self._outcome(value, 1)

    def _outcome(self, value: HashRow | StoredRow, sign: int) -> None:
        """Add a matched row's outcome to the counts, or (``sign`` -1) take it back out."""
        summary = self.summary
        if value.status == "selected":
            summary.converted[str(value.workos_type)] += sign
        elif value.status == "refused":
            summary.refused[str(value.code)] += sign
        else:
            summary.deleted_members += sign


def _fewer_message(summary: LoadSummary, previous: int) -> str:
    new = summary.people["with_password"]
    causes = Counter({f"refused as {code}": n for code, n in summary.refused.items() if n})
    causes.update(
        {
            "unreadable": summary.malformed,
            "matching no member": summary.unmatched,
            "repeating a member with another hash": summary.conflicting_rows,
        }
    )
    named = ", ".join(f"{n:,} {label}" for label, n in causes.most_common(3) if n) or "no row refused"
    return (
        f"this hashes file would leave {new:,} people with a usable password hash where the stored load "
        f"has {previous:,} ({previous - new:,} more would need a password reset); of its "
        f"{summary.rows_read:,} rows: {named}. Nothing was changed. Check the file, or pass --replace "
        "to accept the smaller set"
    )


def load_hashes(
    ws: Workspace,
    lines: Iterable[str],
    rule: PickRule,
    *,
    source: str,
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadSummary:
    """Replace the workspace's hashes with those in ``lines`` (the decrypted CSV's lines).

    Raises ``InputError`` if the file is not Stytch's hash export, has a defect that
    spoils every row, cannot be decrypted to the end, or would leave fewer people
    with a usable hash than the stored load and ``replace`` is False; in each case
    the previous load is kept unchanged.
    """
    progress = progress or NullProgress()
    snapshot = ws.require_snapshot()
    summary = LoadSummary(source=source, conflict_rule=rule)
    store = HashStore(ws)
    try:
        with ws.lock, ws.transaction():
            params, rows = read_params_and_rows(lines)
            summary.scrypt_params = None if params is None else asdict(params)
            previous = store.selected_count()
            summary.previous_with_password = previous
            store.clear()
            loader = _Loader(store, snapshot, ws.get_meta("stytch_project_id"), params, summary)
            progress.start("hash rows")
            loader.take(rows, progress)
            progress.finish("hash rows")
            loader.check_file()
            progress.start("choosing")
            select_hashes(store, snapshot, rule)
            summary.people = asdict(people_counts(ws, snapshot))
            progress.finish("choosing")
            if not replace and summary.people["with_password"] < previous:
                raise InputError(_fewer_message(summary, previous))
            ws.set_meta(LOAD_META, json.dumps(summary.to_json()))
    except HashCsvFormatError as exc:
        raise InputError(
            f"the hashes file is not Stytch's hash export: {exc}. Check that this is the file Stytch "
            "support sent, or ask them to resend it"
        ) from None
    except DeliveryError as exc:
        raise InputError(str(exc)) from None
    return summary

"""The ``password_hashes`` table: what ``passwords load`` stores, chooses and later sends.

One row per member id from Stytch's hash export (converted for WorkOS, or
refused with a code), and one ``password_row_problems`` row per line that
repeated an id or could not be read (with the member id when the line shows it). ``passwords load`` writes them inside its
own transaction, holding ``ws.lock``; ``import`` and ``passwords apply`` read
the selected hash of each person beside the ledger. Reads for the reports and
the load's counts are in ``workspace.hash_reports``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from stytch2workos.workspace.core import Workspace

_INSERT = (
    "INSERT OR IGNORE INTO password_hashes (member_id, email_key, hash_method, workos_hash, "
    "workos_type, status, reason, loaded_at, code, line_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PROBLEM = (
    "INSERT OR REPLACE INTO password_row_problems (line_no, member_id, code, reason) VALUES (?, ?, ?, ?)"
)


class HashRow(NamedTuple):
    """One ``password_hashes`` row, in the INSERT's column order."""

    member_id: str
    email_key: str | None
    hash_method: str
    workos_hash: str | None
    workos_type: str | None
    status: str
    reason: str | None
    loaded_at: str
    code: str | None
    line_no: int


@dataclass(frozen=True)
class SnapshotMember:
    """What a hash row needs to know about its member in the snapshot."""

    email_key: str
    status: str


class StoredRow(NamedTuple):
    """What is stored for a member id, as far as a later row for the same id needs to know."""

    line_no: int | None
    status: str
    workos_hash: str | None
    workos_type: str | None
    code: str | None


@dataclass(frozen=True)
class Duplicate:
    """A row not stored because an earlier row had the same member id."""

    row: HashRow
    kept: StoredRow  # the row stored for that member id, as it was when ``insert`` ran


@dataclass(frozen=True)
class CandidateRow:
    """One of a person's several selected hashes, as stored (see ``HashStore.contested``)."""

    email_key: str
    member_id: str
    organization_id: str
    workos_hash: str
    updated_at: str | None  # the member record's ``updated_at``, if it is a string
    member_status: str


class PendingRow(NamedTuple):
    """A selected hash beside what the ledger knows of its person (``passwords apply``)."""

    email_key: str
    workos_hash: str
    workos_type: str
    user_id: str | None  # the person's WorkOS user, once created or reused
    password_status: str | None  # the ledger's entry for the hash itself, if any
    password_detail: str | None


class HashStore:
    """Typed access to the hash tables over the workspace's one connection.

    What ``passwords load`` calls (the sections "passwords load" and "choosing") runs
    in the load's one transaction, under the ``ws.lock`` it holds, so a load replaces
    the previous one whole or not at all. The reads for ``import`` and ``passwords
    apply`` take ``ws.lock`` themselves: worker threads share the one connection.
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    # -- passwords load ------------------------------------------------------------------

    def clear(self) -> None:
        """Forget the previous load: its hashes and its unreadable rows."""
        self.ws._db.execute("DELETE FROM password_hashes")
        self.ws._db.execute("DELETE FROM password_row_problems")

    def snapshot_members(self, snapshot: int, member_ids: Sequence[str]) -> dict[str, SnapshotMember]:
        """The members of ``snapshot`` among ``member_ids``, by id (absent ids are left out)."""
        marks = ",".join("?" * len(member_ids))
        rows = self.ws._db.execute(
            f"SELECT member_id, email_key, status FROM members WHERE snapshot_id = ? AND member_id IN ({marks})",
            (snapshot, *member_ids),
        )
        return {str(m): SnapshotMember(str(k), str(s)) for m, k, s in rows}

    def insert(self, rows: Sequence[HashRow]) -> list[Duplicate]:
        """Store ``rows``; return those whose member id was already stored, in order.

        The first row for a member id is stored (``INSERT OR IGNORE``); whether a later
        one agrees with it is the caller's decision (``mark_conflict``). The stored rows
        are only looked up again when some insert was ignored, which is rare.
        """
        db = self.ws._db
        before = db.total_changes
        db.executemany(_INSERT, rows)
        if db.total_changes - before >= len(rows):
            return []
        ids = list({row.member_id for row in rows})
        marks = ",".join("?" * len(ids))
        kept = {
            str(member_id): StoredRow(*stored)
            for member_id, *stored in db.execute(
                "SELECT member_id, line_no, status, workos_hash, workos_type, code "
                f"FROM password_hashes WHERE member_id IN ({marks})",
                ids,
            )
        }
        return [
            Duplicate(row, kept[row.member_id]) for row in rows if kept[row.member_id].line_no != row.line_no
        ]

    def mark_conflict(self, member_id: str, code: str, reason: str) -> None:
        """Refuse a member's stored row because another row for the same id disagrees with it.

        Its converted hash is dropped: a hash that might be the wrong one is not kept.
        """
        self.ws._db.execute(
            "UPDATE password_hashes SET status = 'refused', code = ?, reason = ?, workos_hash = NULL, "
            "workos_type = NULL WHERE member_id = ?",
            (code, reason, member_id),
        )

    def add_problem(self, line_no: int, member_id: str | None, code: str, reason: str) -> None:
        """Note a line that stored no hash row: unreadable, or a repeated member id."""
        self.ws._db.execute(_PROBLEM, (line_no, member_id, code, reason))

    # -- choosing one hash per person ----------------------------------------------------

    def organization_created(self, snapshot: int) -> dict[str, str]:
        """organization id → its ``created_at`` as text, for organizations that have one."""
        return {
            str(org_id): str(created)
            for org_id, created in self.ws._db.execute(
                "SELECT organization_id, json_extract(raw, '$.created_at') FROM organizations "
                "WHERE snapshot_id = ?",
                (snapshot,),
            )
            if created
        }

    def contested(self, snapshot: int, page: int) -> Iterator[list[list[CandidateRow]]]:
        """Pages of up to ``page`` people with more than one selected hash, each person's
        rows together (in no particular order), people by email key.

        A page is read when asked for, after the previous one's last email key, so the
        caller may ``supersede`` a page's rows before asking for the next. Only these
        people are visited: the common case (one member per person) costs one indexed scan.
        """
        after = ""
        while True:
            keys = [
                str(k)
                for (k,) in self.ws._db.execute(
                    "SELECT email_key FROM password_hashes WHERE status = 'selected' AND email_key > ? "
                    "GROUP BY email_key HAVING COUNT(*) > 1 ORDER BY email_key LIMIT ?",
                    (after, page),
                )
            ]
            if not keys:
                return
            yield self._candidates(snapshot, keys)
            after = keys[-1]

    def _candidates(self, snapshot: int, keys: list[str]) -> list[list[CandidateRow]]:
        marks = ",".join("?" * len(keys))
        rows = self.ws._db.execute(
            "SELECT p.email_key, p.member_id, m.organization_id, p.workos_hash, "
            "json_extract(m.raw, '$.updated_at'), m.status "
            "FROM password_hashes p JOIN members m ON m.snapshot_id = ? AND m.member_id = p.member_id "
            f"WHERE p.status = 'selected' AND p.email_key IN ({marks}) ORDER BY p.email_key",
            (snapshot, *keys),
        )
        return [
            [
                CandidateRow(
                    str(key),
                    str(member_id),
                    str(org_id),
                    str(hash_value),
                    # A member record is JSON from Stytch: a non-text date counts as unknown.
                    updated if isinstance(updated, str) else None,
                    str(status),
                )
                for key, member_id, org_id, hash_value, updated, status in group
            ]
            for _, group in itertools.groupby(rows, key=lambda row: row[0])
        ]

    def supersede(self, member_ids: Sequence[str], reason: str) -> None:
        """Mark these members' hashes as not chosen for their person, saying why."""
        self.ws._db.executemany(
            "UPDATE password_hashes SET status = 'superseded', code = 'not_chosen', reason = ? "
            "WHERE member_id = ?",
            [(reason, member_id) for member_id in member_ids],
        )

    # -- import and passwords apply --------------------------------------------------------

    def selected_hash(self, email_key: str) -> tuple[str, str] | None:
        """(WorkOS hash string, hash type) chosen for the person with this email key."""
        with self.ws.lock:
            row = self.ws._db.execute(
                "SELECT workos_hash, workos_type FROM password_hashes WHERE email_key = ? AND status = 'selected'",
                (email_key,),
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def selected_count(self) -> int:
        """How many people have a hash chosen for them (``passwords load`` compares a new
        load with the stored one by this count)."""
        with self.ws.lock:
            row = self.ws._db.execute(
                "SELECT COUNT(*) FROM password_hashes WHERE status = 'selected'"
            ).fetchone()
        return int(row[0])

    def pending_page(self, password_kind: str, after: str, limit: int) -> list[PendingRow]:
        """Up to ``limit`` selected hashes after email key ``after``, in email-key order, each
        with its person's WorkOS user and the ledger's ``password_kind`` entry."""
        with self.ws.lock:
            rows = self.ws._db.execute(
                "SELECT p.email_key, p.workos_hash, p.workos_type, u.target_id, pw.status, pw.detail "
                "FROM password_hashes p "
                "LEFT JOIN ledger u ON u.kind = 'user' AND u.source_id = p.email_key "
                "  AND u.status IN ('created', 'reused', 'recovered') "
                "LEFT JOIN ledger pw ON pw.kind = ? AND pw.source_id = p.email_key "
                "WHERE p.status = 'selected' AND p.email_key > ? ORDER BY p.email_key LIMIT ?",
                (password_kind, after, limit),
            ).fetchall()
        return [PendingRow(*row) for row in rows]

    def apply_counts(self, password_kind: str) -> tuple[int, int]:
        """(hashes selected, of which the ledger's ``password_kind`` entry is not done)."""
        with self.ws.lock:
            row = self.ws._db.execute(
                "SELECT COUNT(*), SUM(pw.status IS NULL OR pw.status NOT IN ('created', 'reused', 'recovered')) "
                "FROM password_hashes p LEFT JOIN ledger pw ON pw.kind = ? AND pw.source_id = p.email_key "
                "WHERE p.status = 'selected'",
                (password_kind,),
            ).fetchone()
        # SUM over no rows is NULL.
        return int(row[0]), int(row[1] or 0)

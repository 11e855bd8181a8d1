"""What a password load leaves to report: people counts, conflicts, resets, problem rows.

Read-only views over ``password_hashes``, ``password_row_problems`` and the
snapshot's members, shared by the load's summary (counts) and the report files
(rows). The row readers run their query when called and stream the rows after,
so a report of any size stays flat in memory; the caller holds ``ws.lock`` until
it has read them all. None of them returns hash material.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from stytch2workos.workspace.core import Workspace

# People with a selected hash and another matched row whose password will stop working:
# a different hash (superseded), or a hash WorkOS cannot take (refused).
_CONFLICTS_SQL = """
    SELECT s.email_key, s.member_id FROM password_hashes s
    WHERE s.status = 'selected' AND EXISTS (
        SELECT 1 FROM password_hashes o WHERE o.email_key = s.email_key AND o.member_id != s.member_id
        AND (o.status = 'refused' OR (o.status = 'superseded' AND o.workos_hash != s.workos_hash)))
    ORDER BY s.email_key
"""

# People migrated without a usable hash although Stytch had a password for them: a refused
# row, or a password member the export does not list.
_RESETS_SQL = """
    SELECT m.email_key,
        MIN(CASE WHEN p.status = 'refused' THEN p.code END) AS code,
        GROUP_CONCAT(m.member_id, ' ') AS members
    FROM members m LEFT JOIN password_hashes p ON p.member_id = m.member_id
    WHERE m.snapshot_id = ? AND m.status != 'deleted'
      AND (p.status = 'refused'
           OR (p.member_id IS NULL AND COALESCE(json_extract(m.raw, '$.member_password_id'), '') != ''))
      AND NOT EXISTS (SELECT 1 FROM password_hashes s WHERE s.email_key = m.email_key AND s.status = 'selected')
    GROUP BY m.email_key ORDER BY m.email_key
"""


@dataclass(frozen=True)
class PeopleCounts:
    """People who keep a password, whose passwords conflict, and who must reset."""

    with_password: int
    conflicting: int
    need_reset: int
    password_members_not_in_export: int


class ConflictRow(NamedTuple):
    """A person whose members had different passwords: which one was kept, which were dropped."""

    email: str
    kept_organization_name: str | None  # None when the organization is not in the snapshot
    kept_organization_id: str
    kept_member_id: str
    dropped_from: str | None  # organization names (or ids), ``; ``-separated


class ResetRow(NamedTuple):
    """A person who will need a password reset."""

    email_key: str
    code: str | None  # the refusal's code; None when the export did not list the member
    member_ids: str  # space-separated


# A repeat of a row already stored, identical to it: reported for completeness only.
INFO_CODES = ("duplicate_row",)


class ProblemRow(NamedTuple):
    """A hash row that was refused, matched no member or was skipped, or a line that stored nothing."""

    line_no: int | None
    member_id: str | None
    status: str  # the row's status; for a line that stored no row ``problem``, or ``info`` (INFO_CODES)
    code: str | None
    reason: str | None


def people_counts(ws: Workspace, snapshot: int) -> PeopleCounts:
    """Count the people of ``snapshot`` by what the load means for their password."""

    def count(sql: str, params: tuple[object, ...] = ()) -> int:
        return int(ws._db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0])

    missing = count(
        "SELECT 1 FROM members m WHERE m.snapshot_id = ? AND m.status != 'deleted' "
        "AND COALESCE(json_extract(m.raw, '$.member_password_id'), '') != '' "
        "AND NOT EXISTS (SELECT 1 FROM password_hashes p WHERE p.member_id = m.member_id)",
        (snapshot,),
    )
    return PeopleCounts(
        with_password=count("SELECT 1 FROM password_hashes WHERE status = 'selected'"),
        conflicting=count(_CONFLICTS_SQL),
        need_reset=count(_RESETS_SQL, (snapshot,)),
        password_members_not_in_export=missing,
    )


def conflict_rows(ws: Workspace, snapshot: int) -> Iterator[ConflictRow]:
    """Every person whose kept password differs from another of theirs, by email key."""
    cursor = ws._db.execute(
        "SELECT m.email, o.name, m.organization_id, s.member_id, ("
        "  SELECT GROUP_CONCAT(COALESCE(o2.name, m2.organization_id), '; ') FROM password_hashes x "
        "  JOIN members m2 ON m2.snapshot_id = ? AND m2.member_id = x.member_id "
        "  LEFT JOIN organizations o2 ON o2.snapshot_id = ? AND o2.organization_id = m2.organization_id "
        "  WHERE x.email_key = s.email_key AND x.member_id != s.member_id "
        "  AND x.status IN ('superseded', 'refused')) "
        f"FROM ({_CONFLICTS_SQL}) s JOIN members m ON m.snapshot_id = ? AND m.member_id = s.member_id "
        "LEFT JOIN organizations o ON o.snapshot_id = ? AND o.organization_id = m.organization_id",
        (snapshot, snapshot, snapshot, snapshot),
    )
    return (ConflictRow(*row) for row in cursor)


def reset_rows(ws: Workspace, snapshot: int) -> Iterator[ResetRow]:
    """Every person of ``snapshot`` who will need a password reset, by email key."""
    cursor = ws._db.execute(_RESETS_SQL, (snapshot,))
    return (ResetRow(*row) for row in cursor)


def problem_rows(ws: Workspace) -> Iterator[ProblemRow]:
    """Every refused, unmatched or skipped row and every line that stored nothing, by line."""
    cursor = ws._db.execute(
        "SELECT line_no, member_id, status, code, reason FROM password_hashes "
        "WHERE status IN ('refused', 'unmatched', 'skipped') "
        "UNION ALL SELECT line_no, COALESCE(member_id, ''), "
        f"CASE WHEN code IN ({','.join('?' * len(INFO_CODES))}) THEN 'info' ELSE 'problem' END, code, reason "
        "FROM password_row_problems ORDER BY 1",
        INFO_CODES,
    )
    return (ProblemRow(*row) for row in cursor)

"""One hash per person: choosing among a person's member hashes, and counting people.

WorkOS has one user (one password) per email address, while Stytch keeps a
password per member, so a person in several organizations may arrive with
several hashes. The choice is ``transform.passwords.pick_hash`` under the
configured ``[passwords] conflict_rule``; this module feeds it the candidates
from the workspace, page by page, so memory stays flat.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import datetime

from ..transform.passwords import HashCandidate, PickRule, pick_hash

PAGE = 500

# People with a selected hash and another matched row whose password will stop working:
# a different hash (superseded), or a hash WorkOS cannot take (refused).
CONFLICTS_SQL = """
    SELECT s.email_key, s.member_id FROM password_hashes s
    WHERE s.status = 'selected' AND EXISTS (
        SELECT 1 FROM password_hashes o WHERE o.email_key = s.email_key AND o.member_id != s.member_id
        AND (o.status = 'refused' OR (o.status = 'superseded' AND o.workos_hash != s.workos_hash)))
    ORDER BY s.email_key
"""

# People migrated without a usable hash although Stytch had a password for them: a refused
# row, or a password member the export does not list.
RESETS_SQL = """
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


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _multi_keys(db: sqlite3.Connection) -> Iterator[list[str]]:
    """Pages of email keys that have more than one usable hash."""
    after = ""
    while True:
        keys = [
            str(k)
            for (k,) in db.execute(
                "SELECT email_key FROM password_hashes WHERE status = 'selected' AND email_key > ? "
                "GROUP BY email_key HAVING COUNT(*) > 1 ORDER BY email_key LIMIT ?",
                (after, PAGE),
            )
        ]
        if not keys:
            return
        yield keys
        after = keys[-1]


def _candidates(
    db: sqlite3.Connection, snapshot: int, keys: list[str], org_created: dict[str, str]
) -> Iterator[list[HashCandidate]]:
    """Each person's candidates, oldest organization first (ties: organization id, member id)."""
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        "SELECT p.email_key, p.member_id, m.organization_id, p.workos_hash, "
        "json_extract(m.raw, '$.updated_at'), m.status "
        "FROM password_hashes p JOIN members m ON m.snapshot_id = ? AND m.member_id = p.member_id "
        f"WHERE p.status = 'selected' AND p.email_key IN ({marks}) ORDER BY p.email_key",
        (snapshot, *keys),
    )
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        ordered = sorted(group, key=lambda row: (org_created.get(row[2]) or "~", row[2], row[1]))
        yield [
            HashCandidate(
                str(member_id),
                str(org_id),
                str(hash_value),
                _moment(updated),
                _moment(org_created.get(org_id)),
                status == "active",
            )
            for _, member_id, org_id, hash_value, updated, status in ordered
        ]


def select_hashes(db: sqlite3.Connection, snapshot: int, rule: PickRule) -> None:
    """Leave one hash per person ``selected``; mark the others ``superseded``.

    Runs inside the caller's transaction, after every usable row was stored as
    ``selected``; only people with several such rows are visited, so the common
    case (one member per person) costs one indexed scan. Candidates are
    ordered by the organization's creation, so ties (and ``first_org`` without
    dates) go to the oldest organization.
    """
    superseded = f"another organization's password was kept for this person ({rule} rule)"
    org_created = {
        str(org_id): str(created)
        for org_id, created in db.execute(
            "SELECT organization_id, json_extract(raw, '$.created_at') FROM organizations WHERE snapshot_id = ?",
            (snapshot,),
        )
        if created
    }
    for keys in _multi_keys(db):
        others: list[tuple[str, str]] = []
        for candidates in _candidates(db, snapshot, keys, org_created):
            pick = pick_hash(candidates, rule).chosen
            others += [(superseded, c.member_id) for c in candidates if c.member_id != pick.member_id]
        db.executemany(
            "UPDATE password_hashes SET status = 'superseded', code = 'not_chosen', reason = ? "
            "WHERE member_id = ?",
            others,
        )


def people_counts(db: sqlite3.Connection, snapshot: int) -> dict[str, int]:
    """People who keep a password, whose passwords conflict, and who must reset."""

    def count(sql: str, params: tuple[object, ...] = ()) -> int:
        return int(db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0])

    missing = count(
        "SELECT 1 FROM members m WHERE m.snapshot_id = ? AND m.status != 'deleted' "
        "AND COALESCE(json_extract(m.raw, '$.member_password_id'), '') != '' "
        "AND NOT EXISTS (SELECT 1 FROM password_hashes p WHERE p.member_id = m.member_id)",
        (snapshot,),
    )
    return {
        "with_password": count("SELECT 1 FROM password_hashes WHERE status = 'selected'"),
        "conflicting": count(CONFLICTS_SQL),
        "need_reset": count(RESETS_SQL, (snapshot,)),
        "password_members_not_in_export": missing,
    }

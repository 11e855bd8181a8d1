"""The files ``passwords load`` leaves in the workspace for the people running the migration.

All owner-only (0600), all free of hash material:

* ``passwords-load.json``: the load's summary (what ``--json`` prints).
* ``password-conflicts.csv``: people whose members had different passwords; only
  the kept one works after the import, so each row says which organization's
  password that is, to tell them.
* ``password-resets.csv``: people who will need a password reset, and why.
* ``password-problems.csv``: every row that was refused, matched no member,
  was skipped, repeated an id or could not be read, with its line number.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .private_files import open_private_text
from .source.passwords_select import CONFLICTS_SQL, RESETS_SQL
from .workspace import Workspace

SUMMARY_FILE = "passwords-load.json"
CONFLICTS_FILE = "password-conflicts.csv"
RESETS_FILE = "password-resets.csv"
PROBLEMS_FILE = "password-problems.csv"


def _conflict_rows(ws: Workspace, snapshot: int) -> sqlite3.Cursor:
    return ws.db.execute(
        "SELECT m.email, o.name, m.organization_id, s.member_id, ("
        "  SELECT GROUP_CONCAT(COALESCE(o2.name, m2.organization_id), '; ') FROM password_hashes x "
        "  JOIN members m2 ON m2.snapshot_id = ? AND m2.member_id = x.member_id "
        "  LEFT JOIN organizations o2 ON o2.snapshot_id = ? AND o2.organization_id = m2.organization_id "
        "  WHERE x.email_key = s.email_key AND x.member_id != s.member_id "
        "  AND x.status IN ('superseded', 'refused')) "
        f"FROM ({CONFLICTS_SQL}) s JOIN members m ON m.snapshot_id = ? AND m.member_id = s.member_id "
        "LEFT JOIN organizations o ON o.snapshot_id = ? AND o.organization_id = m.organization_id",
        (snapshot, snapshot, snapshot, snapshot),
    )


def _problem_rows(ws: Workspace) -> sqlite3.Cursor:
    return ws.db.execute(
        "SELECT line_no, member_id, status, code, reason FROM password_hashes "
        "WHERE status IN ('refused', 'unmatched', 'skipped') "
        "UNION ALL SELECT line_no, COALESCE(member_id, ''), 'problem', code, reason FROM password_row_problems "
        "ORDER BY 1"
    )


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    with open_private_text(path) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_load_reports(ws: Workspace, summary: dict[str, Any]) -> dict[str, str]:
    """Write the four report files into the workspace; return their paths by name."""
    snapshot = ws.require_snapshot()
    paths = {
        "summary": ws.path / SUMMARY_FILE,
        "conflicts": ws.path / CONFLICTS_FILE,
        "resets": ws.path / RESETS_FILE,
        "problems": ws.path / PROBLEMS_FILE,
    }
    with ws.lock:
        _write_csv(
            paths["conflicts"],
            [
                "email",
                "password_kept_from_organization",
                "organization_id",
                "member_id",
                "passwords_dropped_from",
            ],
            _conflict_rows(ws, snapshot),
        )
        resets = (
            (email_key, code or "not_in_export", members)
            for email_key, code, members in ws.db.execute(RESETS_SQL, (snapshot,))
        )
        _write_csv(paths["resets"], ["email", "reason", "member_ids"], resets)
        _write_csv(paths["problems"], ["line", "member_id", "status", "code", "reason"], _problem_rows(ws))
    files = {name: str(path) for name, path in paths.items()}
    with open_private_text(paths["summary"]) as out:
        json.dump({**summary, "reports": files}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    return files

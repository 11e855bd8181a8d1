"""The files ``passwords load`` leaves in the workspace for the people running the migration.

All owner-only (0600), all free of hash material:

* ``passwords-load.json``: the load's summary (what ``--json`` prints).
* ``password-conflicts.csv``: people whose members had different passwords; only
  the kept one works after the import, so each row says which organization's
  password that is, to tell them.
* ``password-resets.csv``: people who will need a password reset, and why.
* ``password-problems.csv``: every row that was refused, matched no member,
  was skipped, repeated an id or could not be read, with its line number and
  member id (when the row shows one). A repeat identical to the row kept has
  status ``info``; rows that disagree are ``conflicting_rows``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stytch2workos.private_files import open_private_text
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.hash_reports import conflict_rows, problem_rows, reset_rows

SUMMARY_FILE = "passwords-load.json"
CONFLICTS_FILE = "password-conflicts.csv"
RESETS_FILE = "password-resets.csv"
PROBLEMS_FILE = "password-problems.csv"


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
            conflict_rows(ws, snapshot),
        )
        resets = (
            (row.email_key, row.code or "not_in_export", row.member_ids) for row in reset_rows(ws, snapshot)
        )
        _write_csv(paths["resets"], ["email", "reason", "member_ids"], resets)
        _write_csv(paths["problems"], ["line", "member_id", "status", "code", "reason"], problem_rows(ws))
    files = {name: str(path) for name, path in paths.items()}
    with open_private_text(paths["summary"]) as out:
        json.dump({**summary, "reports": files}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    return files

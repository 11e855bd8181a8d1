"""``readiness``: the report and its files, from the workspace alone (no network).

Files, all owner-only (0600), written into the workspace:

* ``readiness-people.csv``: one row per person and thing to tell them (email,
  organizations, action code, what to do, why), for a customer-communication campaign;
* ``readiness-organizations.csv``: every organization's Stytch policies next to
  their WorkOS counterparts, and what to do about each;
* ``metadata-not-carried.csv``: every metadata key WorkOS cannot take, by record, with
  the reason (what import leaves out; ``plan`` counts them).

None holds a secret: metadata values, password hashes and connection secrets are
never read into them. The files are made to be opened in spreadsheets and mailing
tools, and names come from the customers (an organization names itself): a cell that
starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading
``'`` so that it stays text.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TextIO

from stytch2workos.config import MigrationConfig
from stytch2workos.private_files import open_private_text
from stytch2workos.readiness import (
    Tally,
    member_view,
    person_actions,
    setting_groups,
    sign_in_methods,
)
from stytch2workos.readiness_policies import allows_email_sign_in, organization_settings
from stytch2workos.transform.metadata import LeftOut
from stytch2workos.transform.records import org_request, plan_person, slim_org
from stytch2workos.transform.validate import organization_name
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import readiness as reads
from stytch2workos.workspace.hash_reports import reset_rows
from stytch2workos.workspace.summary import snapshot_info

PEOPLE_FILE = "readiness-people.csv"
ORGANIZATIONS_FILE = "readiness-organizations.csv"
METADATA_FILE = "metadata-not-carried.csv"

PEOPLE_COLUMNS = ("email", "organizations", "action", "what_to_do", "why")
ORGANIZATION_COLUMNS = (
    "organization_id",
    "organization",
    "setting",
    "stytch",
    "detail",
    "status",
    "workos",
    "what_to_do",
)
METADATA_COLUMNS = ("kind", "record", "stytch_id", "key", "source", "reason", "detail")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """``value`` as a spreadsheet will show it: text that looks like a formula is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class _Csv:
    def __init__(self, out: TextIO, header: Iterable[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._writer.writerow(header)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class _Metadata:
    """Rows of ``metadata-not-carried.csv``, counted as they are written."""

    def __init__(self, out: TextIO) -> None:
        self.writer = _Csv(out, METADATA_COLUMNS)
        self.records: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()

    def add(self, kind: str, record: str, left: tuple[LeftOut, ...]) -> None:
        if not left:
            return
        self.records[kind] += 1
        for x in left:
            self.reasons[x.reason] += 1
            self.writer.writerow((kind, record, x.record_id, x.key, x.source, x.reason, x.detail))


def write_readiness(ws: Workspace, config: MigrationConfig) -> dict[str, Any]:
    """Write the three files into the workspace; return the report (what ``--json`` prints)."""
    snapshot = ws.require_snapshot()
    paths = {
        "people": ws.path / PEOPLE_FILE,
        "organizations": ws.path / ORGANIZATIONS_FILE,
        "metadata": ws.path / METADATA_FILE,
    }
    tally = Tally()
    orgs = list(ws.organizations(snapshot))
    names = {str(o["organization_id"]): organization_name(o) for o in orgs}
    email_orgs = frozenset(str(o["organization_id"]) for o in orgs if allows_email_sign_in(o))
    loaded = reads.passwords_loaded(ws)
    resets = {r.email_key: r.code for r in reset_rows(ws, snapshot)} if loaded else None
    per_org: list[dict[str, Any]] = []
    with (
        open_private_text(paths["organizations"]) as org_out,
        open_private_text(paths["metadata"]) as meta_out,
        open_private_text(paths["people"]) as people_out,
    ):
        org_csv = _Csv(org_out, ORGANIZATION_COLUMNS)
        metadata = _Metadata(meta_out)
        for org in orgs:
            org_id, name = str(org["organization_id"]), names[str(org["organization_id"])]
            settings = organization_settings(org, config)
            tally.add_organization(name, settings)
            org_csv.writerows(
                (org_id, name, s.setting, s.stytch, s.detail, s.status, s.workos, s.action) for s in settings
            )
            per_org.append(
                {"organization_id": org_id, "name": name, "settings": [asdict(s) for s in settings]}
            )
            metadata.add("organization", name, org_request(slim_org(org), config).metadata_left_out)
        people_csv = _Csv(people_out, PEOPLE_COLUMNS)
        for key, group in itertools.groupby(reads.member_rows(ws, snapshot), key=lambda r: r.email_key):
            rows = list(group)
            records = [json.loads(r.raw) for r in rows]
            views = [member_view(m, r.facets) for m, r in zip(records, rows, strict=True)]
            actions = person_actions(key, views, names, email_orgs, resets)
            tally.add_person(views, actions, email_orgs)
            people_csv.writerows((a.email, a.organizations, a.action, a.what_to_do, a.why) for a in actions)
            person = plan_person(records, config)
            if person.user is not None:
                metadata.add("user", key, person.user.metadata_left_out)
    info = snapshot_info(ws, snapshot)
    return {
        "snapshot": {"id": snapshot, "source": info.source, "finished_at": info.finished_at},
        "passwords_loaded": loaded,
        "organization_settings": [
            {**asdict(g.setting), "organizations": g.organizations, "examples": g.examples}
            for g in setting_groups(tally)
        ],
        "sign_in_methods": [asdict(row) for row in sign_in_methods(tally, loaded)],
        "people_actions": dict(sorted(tally.action_people.items())),
        "metadata_not_carried": {
            "records": dict(metadata.records),
            "keys": sum(metadata.reasons.values()),
            "by_reason": dict(sorted(metadata.reasons.items())),
        },
        "organizations": per_org,
        "files": {name: str(path) for name, path in paths.items()},
    }

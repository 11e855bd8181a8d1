"""What the HTML report shows beyond ``status``: the rows behind its tables and charts.

Failures (the ledger's failed rows, with WorkOS's code and the redacted detail), sync
conflicts, the people who must reset a password or re-enrol a second factor (as
``readiness`` tells them), import progress over time, and members per organization.
Read from the workspace; nothing here reads hash material or connection secrets.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stytch2workos.readiness import (
    REENROLL_TOTP,
    REPLACE_SMS_MFA,
    RESET_PASSWORD,
    member_view,
    person_actions,
)
from stytch2workos.readiness_policies import allows_email_sign_in
from stytch2workos.transform.validate import organization_name
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import readiness as member_reads
from stytch2workos.workspace import status as reads
from stytch2workos.workspace import sync as sync_reads
from stytch2workos.workspace.hash_reports import reset_rows
from stytch2workos.workspace.summary import members_per_organization

ROW_LIMIT = 5_000  # rows per table: a report stays a page a browser opens at once
RESET_ACTIONS = (RESET_PASSWORD, REENROLL_TOTP, REPLACE_SMS_MFA)


@dataclass(frozen=True)
class Table:
    """Rows for one of the report's tables; ``total`` counts those beyond ``ROW_LIMIT`` too."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    note: str = ""


@dataclass(frozen=True)
class Details:
    failures: Table
    conflicts: Table
    resets: Table
    failures_by_reason: list[tuple[str, int]]
    progress: dict[str, list[tuple[str, int]]]  # stage → (time bucket, cumulative done)
    progress_bucket: str
    members_per_organization: list[tuple[str, int]]
    extra: dict[str, Any] = field(default_factory=dict)


def choose_bucket(first: str | None, last: str | None) -> str:
    """Minutes for a few hours of import, hours for up to a week, days beyond."""
    try:
        span = (datetime.fromisoformat(str(last)) - datetime.fromisoformat(str(first))).total_seconds()
    except ValueError:
        return "hour"
    return "minute" if span <= 6 * 3600 else "hour" if span <= 7 * 86_400 else "day"


def cumulative(
    rows: Iterable[tuple[str, str, int]], stages: Mapping[str, tuple[str, ...]]
) -> dict[str, list[tuple[str, int]]]:
    """Per stage, the done rows written up to each time bucket (buckets shared by every stage)."""
    rows = list(rows)
    buckets = sorted({t for _, t, _ in rows})
    stage_of = {kind: stage for stage, kinds in stages.items() for kind in kinds}
    per: dict[str, dict[str, int]] = {}
    for kind, bucket, n in rows:
        stage = stage_of.get(kind)
        if stage is not None:
            per.setdefault(stage, {})[bucket] = per.get(stage, {}).get(bucket, 0) + n
    found: dict[str, list[tuple[str, int]]] = {}
    for stage in stages:
        if stage not in per:
            continue
        running = 0
        series = []
        for bucket in buckets:
            running += per[stage].get(bucket, 0)
            series.append((bucket, running))
        found[stage] = series
    return found


def failures_table(ws: Workspace) -> Table:
    """The ledger's failed records, then the changes sync could not make."""
    total = sum(n for _, _, n in reads.failures_by_code(ws))
    rows = [(f.kind, f.source_id, f.code, f.detail, f.updated_at) for f in reads.failures(ws, ROW_LIMIT)]
    synced = sync_reads.failures(ws, limit=ROW_LIMIT)
    rows += [
        (f"sync {f['kind']}", str(f["key"]), str(f["code"] or ""), str(f["detail"] or ""), "") for f in synced
    ]
    return Table(
        ("kind", "source id", "code", "detail", "when"), tuple(rows[:ROW_LIMIT]), total + len(synced)
    )


def resets_table(ws: Workspace, snapshot: int) -> Table:
    """People to tell to reset a password or set up a second factor again (readiness's actions)."""
    orgs = list(ws.organizations(snapshot))
    names = {str(o["organization_id"]): organization_name(o) for o in orgs}
    email_orgs = frozenset(str(o["organization_id"]) for o in orgs if allows_email_sign_in(o))
    loaded = member_reads.passwords_loaded(ws)
    resets = {r.email_key: r.code for r in reset_rows(ws, snapshot)} if loaded else None
    rows: list[tuple[str, ...]] = []
    total = 0
    for key, group in itertools.groupby(member_reads.member_rows(ws, snapshot), key=lambda r: r.email_key):
        members = list(group)
        views = [member_view(json.loads(r.raw), r.facets) for r in members]
        for action in person_actions(key, views, names, email_orgs, resets):
            if action.action in RESET_ACTIONS:
                total += 1
                if len(rows) < ROW_LIMIT:
                    rows.append((action.email, action.organizations, action.action, action.why))
    note = "" if loaded else "no password hashes loaded yet: everyone with a password is on this list"
    return Table(("email", "organizations", "action", "why"), tuple(rows), total, note)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def conflicts_table(ws: Workspace) -> Table:
    """The sync's conflicts: live WorkOS values the migration did not write, and what sync did."""
    rows = tuple(
        (
            str(c["kind"]),
            str(c["key"]),
            str(c["field"]),
            *(_cell(c[k]) for k in ("baseline", "live", "desired")),
            str(c["resolution"]),
        )
        for c in sync_reads.conflicts(ws, limit=ROW_LIMIT)
    )
    return Table(
        ("kind", "key", "field", "migrated", "in WorkOS", "in Stytch", "resolution"), rows, len(rows)
    )


def gather_details(ws: Workspace, snapshot: int | None, stages: Mapping[str, tuple[str, ...]]) -> Details:
    first, last = reads.ledger_span(ws)
    bucket = choose_bucket(first, last)
    return Details(
        failures=failures_table(ws),
        conflicts=conflicts_table(ws),
        resets=resets_table(ws, snapshot) if snapshot is not None else Table((), (), 0, "no snapshot yet"),
        failures_by_reason=[(f"{kind}: {code}", n) for kind, code, n in reads.failures_by_code(ws)],
        progress=cumulative(reads.done_over_time(ws, bucket), stages),
        progress_bucket=bucket,
        members_per_organization=(
            [(name or oid, n) for oid, name, n in members_per_organization(ws, snapshot)]
            if snapshot is not None
            else []
        ),
    )

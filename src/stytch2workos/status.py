"""Where the migration stands: one model, gathered from the workspace, rendered by ``status``
(terminal and ``--json``) and by the HTML report.

Everything is read, nothing written: the snapshot and its counts, the records the export
refused or adjusted and the last plan's problems (``plan.json``, written by ``plan`` and
``import``), each stage's ledger against that plan, the password hashes, the SSO handoff
per customer, and the last sync and verify. The handoff is judged from what the
workspace knows (what import recorded, the events the webhook receiver stored); with
``--live`` from what WorkOS holds now, as ``handoff`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.report import snapshot_summary
from stytch2workos.status_handoff import Handoff, handoff
from stytch2workos.workspace import Workspace, problems
from stytch2workos.workspace import status as reads
from stytch2workos.workspace import sync as sync_reads
from stytch2workos.workspace import verify as verify_reads
from stytch2workos.workspace.hash_reports import people_counts

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget

PLAN_FILE = "plan.json"

# Each stage of the import and the ledger kinds its rows are written under.
STAGES: dict[str, tuple[str, ...]] = {
    "roles": ("permission", "role", "org_role"),
    "organizations": ("organization",),
    "users": ("user",),
    "memberships": ("membership",),
    "invitations": ("invitation",),
    "passwords": ("password",),
    "connections": ("connection", "directory"),
}
_DONE = ("created", "reused", "recovered")


@dataclass(frozen=True)
class Stage:
    """One stage's ledger rows against what the last plan expected (None: no plan yet)."""

    planned: int | None
    done: int
    failed: int
    skipped: int
    handoff: int  # handed to the customer's IT admin (connections and directories)
    in_flight: int  # on the wire when a run stopped: the next run looks before resending

    @property
    def left(self) -> int | None:
        if self.planned is None:
            return None
        return max(0, self.planned - self.done - self.failed - self.skipped - self.handoff)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "left": self.left}


@dataclass(frozen=True)
class Status:
    """The whole picture; :meth:`to_json` is what ``status --json`` prints."""

    workspace: str
    generated_at: str
    snapshot: dict[str, Any] | None
    problems: dict[str, Any]
    stages: dict[str, Stage]
    passwords: dict[str, Any]
    handoff: Handoff
    sync: dict[str, Any] | None
    verify: dict[str, Any] | None
    live: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "generated_at": self.generated_at,
            "snapshot": self.snapshot,
            "problems": self.problems,
            "stages": {name: stage.to_json() for name, stage in self.stages.items()},
            "failed": sum(stage.failed for stage in self.stages.values()),
            "passwords": self.passwords,
            "handoff": self.handoff.to_json(),
            "sync": self.sync,
            "verify": self.verify,
            "live": self.live,
            "notes": list(self.notes),
        }


def lookup(doc: Any, path: str) -> Any:
    """The value at ``a.b.c`` in the status document (what the report's ``data-status`` names)."""
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_between(earlier: str | None, now: datetime) -> int | None:
    """Whole seconds from an ISO stamp to ``now``; None for a missing or unreadable stamp."""
    if not earlier:
        return None
    try:
        then = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0, int((now - then).total_seconds()))


# -- the last plan ------------------------------------------------------------------------


def read_last_plan(ws_path: Path) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """(``plan.json``, when it was written, why it could not be read)."""
    path = ws_path / PLAN_FILE
    try:
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None, None
    except (OSError, ValueError) as exc:
        return None, None, f"{path} could not be read ({type(exc).__name__}); run `stytch2workos plan`"
    if not isinstance(doc, dict):
        return None, None, f"{path} is not a plan; run `stytch2workos plan`"
    return doc, _iso(stamp), None


def _total(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        return sum(v for v in value.values() if isinstance(v, int))
    return 0


def planned_totals(plan: Mapping[str, Any]) -> dict[str, int]:
    """How many ledger rows each stage's plan expects (passwords are not planned: see stages)."""
    roles = plan.get("roles") if isinstance(plan.get("roles"), Mapping) else {}
    sso = plan.get("connections") if isinstance(plan.get("connections"), Mapping) else {}
    assert isinstance(roles, Mapping) and isinstance(sso, Mapping)
    return {
        "roles": sum(
            _total(roles.get(k)) for k in ("permissions", "environment_roles", "organization_roles")
        ),
        "organizations": _total(plan.get("organizations")),
        "users": _total(plan.get("users")),
        "memberships": _total(plan.get("memberships")),
        "invitations": _total(plan.get("invitations")),
        "connections": sum(_total(sso.get(k)) for k in ("create", "reuse", "handoff", "skip")),
    }


def plan_problems(plan: Mapping[str, Any] | None, written_at: str | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    found = [p for p in plan.get("problems") or [] if isinstance(p, Mapping)]

    def of(severity: str) -> list[dict[str, Any]]:
        return [
            {"code": str(p.get("code")), "message": str(p.get("message")), "count": _total(p.get("count"))}
            for p in found
            if p.get("severity") == severity
        ]

    skipped = plan.get("skipped") if isinstance(plan.get("skipped"), Mapping) else {}
    assert isinstance(skipped, Mapping)
    return {
        "written_at": written_at,
        "blocking": of("blocking"),
        "warnings": of("warning"),
        "skipped_members": {str(k): int(v) for k, v in skipped.items() if isinstance(v, int)},
    }


def stages(ledger: Mapping[str, Mapping[str, int]], planned: Mapping[str, int] | None) -> dict[str, Stage]:
    """Each stage's ledger rows by outcome, against the plan's totals."""
    found: dict[str, Stage] = {}
    for name, kinds in STAGES.items():
        rows: dict[str, int] = {}
        for kind in kinds:
            for status, n in ledger.get(kind, {}).items():
                rows[status] = rows.get(status, 0) + n
        found[name] = Stage(
            planned=None if planned is None or name not in planned else planned[name],
            done=sum(rows.get(s, 0) for s in _DONE),
            failed=rows.get("failed", 0),
            skipped=rows.get("skipped", 0),
            handoff=rows.get("handoff", 0),
            in_flight=rows.get("sending", 0),
        )
    return found


# -- passwords ---------------------------------------------------------------------------


def passwords(ws: Workspace, snapshot: int | None, password_stage: Stage) -> dict[str, Any]:
    statuses = reads.hash_statuses(ws)
    usable = statuses.get("selected", 0)
    need_reset = people_counts(ws, snapshot).need_reset if snapshot is not None and statuses else None
    return {
        "loaded": sum(statuses.values()),
        "loaded_at": reads.last_hash_load(ws),
        "by_status": dict(sorted(statuses.items())),
        "usable": usable,
        "applied": password_stage.done,
        "failed": password_stage.failed,
        "waiting": max(0, usable - password_stage.done - password_stage.failed),
        "need_reset": need_reset,
    }


# -- sync and verify ------------------------------------------------------------------------


def sync_run(ws: Workspace) -> dict[str, Any] | None:
    """The last sync (a refresh cycle or the webhook receiver's work), None if never run."""
    run = sync_reads.last_run(ws)
    return None if run is None else asdict(run)


def verify_run(ws: Workspace) -> dict[str, Any] | None:
    """The last finished verify, None if never run."""
    run = verify_reads.last_run(ws)
    return None if run is None else asdict(run)


# -- the whole -----------------------------------------------------------------------------


def snapshot_part(ws: Workspace, now: datetime) -> dict[str, Any] | None:
    rows = reads.snapshots(ws)
    complete = next((r for r in rows if r.status == "complete"), None)
    if complete is None:
        return None
    summary = snapshot_summary(ws, complete.id)
    return {
        "id": complete.id,
        "source": complete.source,
        "started_at": complete.started_at,
        "finished_at": complete.finished_at,
        "age_seconds": seconds_between(complete.finished_at, now),
        "export_running": any(r.status == "running" and r.id > complete.id for r in rows),
        "organizations": summary["organizations"],
        "members": summary["members"],
        "people": summary["people"],
        "connections": summary["connections"],
        "members_by_status": summary["members_by_status"],
        "members_by_auth_method": summary["members_by_auth_method"],
    }


def gather(
    ws: Workspace, config: MigrationConfig, now: datetime, target: WorkOSTarget | None = None
) -> Status:
    """Read everything ``status`` shows; with ``target``, the handoff and a few counts from WorkOS."""
    notes: list[str] = []
    snap = snapshot_part(ws, now)
    snapshot_id = None if snap is None else int(snap["id"])
    plan, written_at, unreadable = read_last_plan(ws.path)
    if unreadable:
        notes.append(unreadable)
    elif plan is None:
        notes.append("no plan yet: `stytch2workos plan` says what import will do (stages show no totals)")
    record_problems: dict[str, Any] = (
        problems.summary(ws, snapshot_id, examples=0) if snapshot_id is not None else {}
    )
    stage_rows = stages(reads.ledger_counts(ws), None if plan is None else planned_totals(plan))
    password_stage = stage_rows["passwords"]
    pw = passwords(ws, snapshot_id, password_stage)
    stage_rows["passwords"] = Stage(
        pw["usable"] if pw["loaded"] else None,
        password_stage.done,
        password_stage.failed,
        password_stage.skipped,
        password_stage.handoff,
        password_stage.in_flight,
    )
    return Status(
        workspace=str(ws.path),
        generated_at=_iso(now),
        snapshot=snap,
        problems={
            "refused": record_problems.get("refused_records", {}).get("count", 0),
            "refused_by_code": record_problems.get("refused_records", {}).get("by_code", {}),
            "adjusted": record_problems.get("adjusted_records", {}).get("count", 0),
            "adjusted_by_code": record_problems.get("adjusted_records", {}).get("by_code", {}),
            "plan": plan_problems(plan, written_at),
        },
        stages=stage_rows,
        passwords=pw,
        handoff=handoff(ws, config, target) if snapshot_id is not None else Handoff("workspace"),
        sync=sync_run(ws),
        verify=verify_run(ws),
        live=live_counts(target, snapshot_part_ids(ws, snapshot_id)) if target is not None else None,
        notes=tuple(notes),
    )


def snapshot_part_ids(ws: Workspace, snapshot: int | None) -> frozenset[str]:
    if snapshot is None:
        return frozenset()
    return frozenset(str(o["organization_id"]) for o in ws.organizations(snapshot))


def live_counts(target: WorkOSTarget, stytch_org_ids: frozenset[str]) -> dict[str, Any]:
    """Organizations and users WorkOS lists now (every page, paced like every other read)."""
    organizations = ours = 0
    for org in target.all_organizations():
        organizations += 1
        ours += org.external_id in stytch_org_ids
    users = sum(1 for _ in target.all_users())
    return {"organizations": organizations, "organizations_from_stytch": ours, "users": users}

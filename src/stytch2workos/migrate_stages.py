"""``migrate``'s stages: each runs the same library calls as the stage's own command.

Silent, like the rest of the library: what touches the terminal or asks a question comes
in through :class:`Edges` (progress, confirmation, the WorkOS target, a passphrase), which
the CLI supplies. Each stage returns a :class:`~stytch2workos.migrate.StageResult`; its
``notes`` are the lines the operator should read (plan problems, refused records).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from stytch2workos.config import MigrationConfig, load_config
from stytch2workos.migrate import DELIVERY_META, Stage, StageResult, delivery_fingerprint
from stytch2workos.progress import Progress
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.plan import Plan


class Edges(Protocol):
    """What a stage needs from the command line around it."""

    def progress(self, stage: Stage) -> AbstractContextManager[Progress]: ...
    def target(self, config: MigrationConfig) -> AbstractContextManager[WorkOSTarget]: ...
    def confirm(self, question: str, *notes: str) -> None: ...
    def passphrase(self) -> str: ...


@dataclass
class Options:
    """This run's flags, and what one stage hands on to the next."""

    config_path: Path | None = None
    orgs: list[str] | None = None
    accept: tuple[str, ...] = ()
    refresh: bool = False
    delivery: Path | None = None
    key: Path | None = None
    private_key: Path | None = None
    iterations: int | None = None
    retry_failed: bool = False
    plan: Plan | None = None


def export(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.source.take import take_snapshot
    from stytch2workos.stytch_pace import PaceSettings, resolve_pace

    # migrate has no pace flags: migration.toml's [pacing] stytch_* keys, else the defaults.
    # Unlike `export`, a broken file stops here: the plan stage would refuse it anyway, and
    # better before a long export than after.
    pace, _ = resolve_pace(PaceSettings(), load_config(ws.path, o.config_path).pacing.stytch)
    with edges.progress(Stage.EXPORT) as bar:
        summary = take_snapshot(ws, os.environ, pace, bar, refresh=o.refresh)
    refused = summary["refused_records"]["count"]
    counts = {
        "organizations": summary["organizations"],
        "members": summary["members"],
        "people": summary["people"],
        "refused": refused,
    }
    detail = f"snapshot {summary['snapshot']['id']}" + (" (resumed)" if summary["resumed"] else "")
    if refused:
        detail += f"; {refused:,} record(s) refused (`stytch2workos export --json` lists them)"
    return StageResult(Stage.EXPORT, "done", 0, counts, detail)


def init(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.config_proposal import write_proposed_config

    path = write_proposed_config(ws)
    return StageResult(Stage.INIT, "stopped", 0, {}, f"wrote {path}: review it before the plan")


def plan(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.plan_workspace import make_plan

    cfg = load_config(ws.path, o.config_path)
    with edges.target(cfg) as target, edges.progress(Stage.PLAN) as bar:
        the_plan = make_plan(ws, cfg, target, o.orgs, bar)
    o.plan = the_plan
    counts = {
        "organizations": the_plan.organizations["create"],
        "users": the_plan.users["create"],
        "reused": the_plan.organizations["reuse"] + the_plan.users["reuse"],
        "memberships": the_plan.memberships,
        "invitations": the_plan.invitations,
    }
    notes = []
    for problem in the_plan.problems:
        if problem.severity != "info":
            flag = " (accepted)" if problem.code in o.accept else ""
            examples = f"; e.g. {', '.join(problem.examples[:3])}" if problem.examples else ""
            notes.append(
                f"{problem.severity}{flag} {problem.code}: {problem.message} — {problem.count:,}{examples}"
            )
    blocking = the_plan.blocking(o.accept)
    if blocking:
        codes = " ".join(f"--accept {p.code}" for p in blocking)
        detail = f"blocking problems; to accept them: {codes}"
        return StageResult(Stage.PLAN, "stopped", 1, counts, detail, notes)
    return StageResult(Stage.PLAN, "done", 0, counts, "the full plan is in plan.json in the workspace", notes)


def passwords_load(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.passwords_report import write_load_reports
    from stytch2workos.source.hash_input import hash_lines, needs_attention
    from stytch2workos.source.passwords_load import load_hashes

    assert o.delivery is not None
    cfg = load_config(ws.path, o.config_path)
    lines, source = hash_lines(o.delivery, o.key, o.private_key, o.iterations, edges.passphrase)
    with edges.progress(Stage.PASSWORDS_LOAD) as bar:
        result = load_hashes(ws, lines, cfg.password_rule, source=source, progress=bar)
    summary = result.to_json()
    files = write_load_reports(ws, summary)
    # Only a load that finished marks the delivery as loaded: a rerun skips it then.
    ws.set_meta(DELIVERY_META, delivery_fingerprint(o.delivery))
    people = summary["people"]
    counts = {"keep_password": people["with_password"], "need_reset": people["need_reset"]}
    if needs_attention(summary):
        return StageResult(
            Stage.PASSWORDS_LOAD, "findings", 1, counts, f"rows to look at: {files['problems']}"
        )
    return StageResult(Stage.PASSWORDS_LOAD, "done", 0, counts, f"reset list: {files['resets']}")


def import_(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.destination.importer import ImportOptions, run_import
    from stytch2workos.destination.passwords_source import password_lookup

    cfg = load_config(ws.path, o.config_path)
    emails = o.plan.invitation_emails if o.plan is not None else 0
    edges.confirm(
        "Import roles, organizations, people and SSO connections into WorkOS?",
        f"WorkOS will email {emails:,} invitation(s) to invited and pending members.",
        "Tip: pause WorkOS webhook endpoints during a bulk import to avoid an event flood.",
    )
    options = ImportOptions(frozenset(o.orgs) if o.orgs else None, o.retry_failed)
    with edges.target(cfg) as target, edges.progress(Stage.IMPORT) as bar:
        result = run_import(ws, target, cfg, options, bar, password_lookup(ws))
    counts = import_counts(result.counts)
    notes = [f"{f['kind']} {f['source_id']}: {f['detail']}" for f in result.failures[:10]]
    if result.failures:
        more = "" if len(result.failures) <= 10 else f" ({len(result.failures):,} in all: `import --json`)"
        return StageResult(Stage.IMPORT, "findings", 1, counts, "some records failed" + more, notes)
    return StageResult(Stage.IMPORT, "done", 0, counts, "")


def import_counts(ledger: dict[str, dict[str, int]]) -> dict[str, int]:
    """The ledger per stage of import: roles, organizations, people, SSO (done), and failures."""
    groups = {
        "roles": ("permission", "role", "org_role"),
        "organizations": ("organization",),
        "users": ("user",),
        "memberships": ("membership",),
        "invitations": ("invitation",),
        "connections": ("connection", "directory"),
    }
    counts: dict[str, int] = {}
    for name, kinds in groups.items():
        rows = [ledger.get(kind, {}) for kind in kinds]
        counts[name] = sum(n for row in rows for status, n in row.items() if status != "failed")
    counts["failed"] = sum(row.get("failed", 0) for row in ledger.values())
    return counts


def passwords_apply(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.destination.passwords_apply import count_to_apply, run_apply

    total, todo = count_to_apply(ws)
    if total == 0:
        return StageResult(Stage.PASSWORDS_APPLY, "skipped", 0, {}, "no usable hashes were loaded")
    cfg = load_config(ws.path, o.config_path)
    if todo:
        edges.confirm(f"Set up to {todo:,} password hashes on WorkOS users?")
    with edges.target(cfg) as target, edges.progress(Stage.PASSWORDS_APPLY) as bar:
        result = run_apply(ws, target, cfg, retry_failed=o.retry_failed, progress=bar)
    counts = {"set": result.applied, "already_set": result.already_set}
    counts["failed"] = result.failed + result.failed_before
    notes = [f"{f['source_id']}: {f['detail']}" for f in result.failures[:10]]
    if counts["failed"]:
        return StageResult(Stage.PASSWORDS_APPLY, "findings", 1, counts, "WorkOS refused some hashes", notes)
    return StageResult(Stage.PASSWORDS_APPLY, "done", 0, counts, "")


def packets(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.packets_files import write_packets

    result = write_packets(ws, load_config(ws.path, o.config_path), o.orgs)
    counts = {"written": len(result["written"]), "not_ready": len(result["not_ready"])}
    detail = f"in {result['directory']}; `stytch2workos handoff` shows where each customer stands"
    return StageResult(Stage.PACKETS, "done", 0, counts, detail)


def verify(ws: Workspace, o: Options, edges: Edges) -> StageResult:
    from stytch2workos.verify_run import verify_workspace

    cfg = load_config(ws.path, o.config_path)
    scope = frozenset(o.orgs) if o.orgs else None
    with edges.target(cfg) as target, edges.progress(Stage.VERIFY) as bar:
        code, result = verify_workspace(ws, cfg, target, scope, bar)
    counts = {"checked": sum(result["checked"].values()), **result["totals"]}
    if code:
        detail = f"WorkOS differs from the snapshot; every finding: {result['csv']}"
        return StageResult(Stage.VERIFY, "findings", code, counts, detail)
    return StageResult(Stage.VERIFY, "done", 0, counts, "WorkOS matches the snapshot")


RUNNERS: dict[Stage, Callable[[Workspace, Options, Edges], StageResult]] = {
    Stage.EXPORT: export,
    Stage.INIT: init,
    Stage.PLAN: plan,
    Stage.PASSWORDS_LOAD: passwords_load,
    Stage.IMPORT: import_,
    Stage.PASSWORDS_APPLY: passwords_apply,
    Stage.PACKETS: packets,
    Stage.VERIFY: verify,
}

"""SSO connections through `plan` and `import`: the real CLI against both emulators over loopback.

The WorkOS side is read back from the emulator's control dump (it keeps the options a
create sent, secrets included, which the API never shows) and compared with what the
README promises, computed from the seed in ``sso_project``.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, start_cli
from sso_project import (
    Project,
    actual_connections,
    cli,
    expected_connections,
    expected_outcomes,
    export_project,
    org_ids_of,
    prepare_workos,
    seed_secrets,
    workspace_copy,
)
from stytch2workos_emulators.server.serve import RunningServer

pytestmark = pytest.mark.timeout(300)
POST = "POST /connections"


@pytest.fixture(scope="module")
def project(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return export_project(stytch_server, tmp_path_factory.mktemp("sso") / "template")


def import_json(ws: Path, emu: Emulator, *args: str, expect: int = 0) -> dict[str, Any]:
    run = cli(["import", "-w", str(ws), "--yes", "--json", *args], emu)
    assert run.code == expect, run.stderr
    result: dict[str, Any] = run.json()
    return result


def posts(emu: Emulator) -> int:
    return int(emu.control.stats()["requests"].get(POST, 0))


def ledger_of(outcomes: dict[str, tuple[str, str, str | None]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for kind, status, _ in outcomes.values():
        counts.setdefault(kind, {})
        counts[kind][status] = counts[kind].get(status, 0) + 1
    return counts


def test_connections_are_recreated_the_rest_reported_and_a_rerun_creates_nothing(
    project: Project, tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = workspace_copy(project, tmp_path)
    prepare_workos(workos_emu, project)
    want = expected_outcomes(project)
    kinds = {project_kind for project_kind, _ in project.connections()}
    assert kinds == {"saml", "oidc", "external", "scim"}
    assert {status for _, status, _ in want.values()} == {"created", "handoff", "skipped"}

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 0, plan.stderr
    sso = plan.json()["connections"]
    created = sum(1 for _, status, _ in want.values() if status == "created")
    assert (sso["create"], sso["reuse"], sso["api"]) == (created, 0, "unknown")
    assert "404" in sso["api_message"]
    listed = {
        row["connection_id"]: (row["reason"])
        for org in sso["per_organization"]
        for row in org["handoff"] + org["skip"]
    }
    assert listed == {cid: reason for cid, (_, status, reason) in want.items() if status != "created"}
    assert {n["code"] for n in sso["notes"]} >= {"encrypted_assertions", "proxied_acs", "role_rules"}

    outputs = [plan.stdout + plan.stderr]
    first = import_json(ws, workos_emu)
    assert first["failures"] == [] and first["connections_api"] == "available"
    expected_ledger = ledger_of(want)
    for kind in ("connection", "directory"):
        assert first["ledger"][kind] == expected_ledger[kind]
    actual, repeated = actual_connections(workos_emu)
    assert repeated == []
    assert actual == expected_connections(project, org_ids_of(workos_emu))

    # Secrets reached WorkOS (above) and nothing else: not the terminal, not --json.
    human = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert human.code == 0, human.stderr
    assert "handoff" in human.stdout and "stytch2workos packets" in human.stdout
    outputs += [human.stdout + human.stderr, str(first)]

    # A rerun finds every connection in the ledger and sends nothing.
    before = workos_emu.control.state()
    workos_emu.control.reset_stats()
    again = import_json(ws, workos_emu)
    assert again["ledger"] == first["ledger"]
    assert set(again["run"]["connection"]) == {"unchanged"} and set(again["run"]["directory"]) == {
        "unchanged"
    }
    assert posts(workos_emu) == 0 and workos_emu.control.state() == before

    # The plan now says they are there, and that WorkOS took the creates.
    replan = cli(["plan", "-w", str(ws), "--json"], workos_emu).json()["connections"]
    assert (replan["create"], replan["reuse"], replan["api"]) == (0, created, "available")

    # The id map carries every recreated connection with its organization.
    out = tmp_path / "map.json"
    assert cli(["mapping", "-w", str(ws), "-o", str(out), "--format", "json"], workos_emu).code == 0
    rows = [r for r in json.loads(out.read_text(encoding="utf-8")) if r["kind"] == "connection"]
    held = {c["external_id"]: c for c in workos_emu.control.state()["connections"]}
    assert {r["stytch_id"]: r["workos_id"] for r in rows} == {cid: held[cid]["id"] for cid in held}
    owners = {c["connection_id"]: c["organization_id"] for _, c in project.connections()}
    assert all(r["stytch_organization_id"] == owners[r["stytch_id"]] for r in rows)
    for text in outputs:
        for secret in seed_secrets(project.seed):
            assert secret not in text


@pytest.mark.parametrize(
    ("recreate", "change"),
    [
        ("all", "pending ones become drafts"),
        ("none", "every connection is handed off"),
    ],
)
def test_recreate_policy(
    project: Project, tmp_path: Path, workos_emu: Emulator, recreate: str, change: str
) -> None:
    ws = workspace_copy(project, tmp_path, connections={"recreate": recreate})
    prepare_workos(workos_emu, project)
    want = expected_outcomes(project)
    pending = [cid for cid, (_, _, reason) in want.items() if reason == "pending_connection"]
    summary = import_json(ws, workos_emu)
    ledger = summary["ledger"]["connection"]
    held = {c["external_id"]: c for c in workos_emu.control.state()["connections"]}
    if recreate == "all":
        assert pending and all(held[cid]["state"] == "draft" for cid in pending), change
        assert ledger["created"] == sum(1 for _, s, _ in want.values() if s == "created") + len(pending)
    else:
        assert held == {} and posts(workos_emu) == 0, change
        assert "created" not in ledger and ledger["skipped"] == len(pending)


def test_kill_9_while_creating_connections_then_resume_leaves_one_each(
    project: Project, tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = workspace_copy(project, tmp_path)
    prepare_workos(workos_emu, project)
    # Slow creates, so a kill lands while some are on the wire.
    workos_emu.control.set_faults([{"route": POST, "latency_ms": 120}])
    env = cli_env(None, workos_emu.base_url)
    created = sum(1 for _, status, _ in expected_outcomes(project).values() if status == "created")
    for target in (2, created // 2):
        proc = start_cli(["import", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 90
        while posts(workos_emu) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    summary = import_json(ws, workos_emu)
    assert summary["failures"] == []
    actual, repeated = actual_connections(workos_emu)
    assert repeated == []
    assert actual == expected_connections(project, org_ids_of(workos_emu))
    assert sum(summary["ledger"]["connection"].values()) == sum(
        1 for kind, _, _ in expected_outcomes(project).values() if kind == "connection"
    )


def test_lost_answers_are_looked_up_not_sent_blind(
    project: Project, tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = workspace_copy(project, tmp_path)
    prepare_workos(workos_emu, project)
    rules: list[dict[str, Any]] = [
        {"route": POST, "commit_then_fail_rate": 1, "commit_then_fail_mode": "drop", "times": 2},
        {"route": POST, "commit_then_fail_rate": 0.3, "commit_then_fail_mode": "500"},
        {"route": POST, "error_rate": 0.2, "error_statuses": [502, 503]},
    ]
    workos_emu.control.set_faults(rules, seed=5)
    summary = import_json(ws, workos_emu)
    assert summary["failures"] == []
    assert summary["run"]["connection"].get("recovered", 0) >= 2
    actual, repeated = actual_connections(workos_emu)
    assert repeated == []
    assert actual == expected_connections(project, org_ids_of(workos_emu))
    # Recovered connections still have what the packet needs.
    packets = cli(["packets", "-w", str(ws), "--json"], workos_emu)
    assert packets.code == 0 and packets.json()["not_ready"] == []


def test_create_connection_api_off_sends_everything_to_the_handoff_once(
    project: Project, tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = workspace_copy(project, tmp_path)
    prepare_workos(workos_emu, project)
    workos_emu.control.set_connections_api(False)
    want = expected_outcomes(project)
    would_create = [cid for cid, (_, status, _) in want.items() if status == "created"]

    run = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert run.code == 0, run.stderr
    assert "404" in run.stderr and "Create Connection API is not enabled" in run.stderr
    assert posts(workos_emu) == 1  # the first create said it all; nothing more was sent
    summary = import_json(ws, workos_emu)
    assert summary["connections_api"] == "unavailable" and summary["failures"] == []
    assert posts(workos_emu) == 2  # a rerun tries once more, then stops again
    assert set(summary["run"]["connection"]) == {"unchanged"}
    handoff = summary["ledger"]["connection"]["handoff"]
    assert handoff == len(would_create) + sum(
        1 for k, s, _ in want.values() if (k, s) == ("connection", "handoff")
    )
    assert workos_emu.control.state()["connections"] == []

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu).json()["connections"]
    assert plan["api"] == "unavailable" and "404" in plan["api_message"]
    doc = cli(["packets", "-w", str(ws), "--json"], workos_emu).json()
    owners = {c["connection_id"]: c["organization_id"] for _, c in project.connections()}
    orgs_with_saml = {owners[cid] for cid in would_create}
    for row in doc["written"]:
        if row["organization_id"] in orgs_with_saml:
            assert "setup link for single sign-on" in " ".join(Path(row["text"]).read_text().split())

    # Enabled later: the next run recreates them.
    workos_emu.control.set_connections_api(True)
    later = import_json(ws, workos_emu)
    assert later["connections_api"] == "available"
    assert later["run"]["connection"]["created"] == len(would_create)
    actual, repeated = actual_connections(workos_emu)
    assert repeated == [] and actual == expected_connections(project, org_ids_of(workos_emu))

"""`status` end to end: after export, a password load and an import with refusals, on both emulators.

The numbers are checked against the workspace's own tables (read here with SQL) and the
WorkOS emulator's state, never against the tool's status code. The command must only
read: the workspace's files keep their size and time, and it runs while `import` holds
the workspace.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, run_cli, start_cli
from status_project import REFUSED_MEMBERSHIPS, Migrated, shared_migration
from stytch2workos.report_details import choose_bucket, cumulative
from stytch2workos.status import STAGES, Stage, planned_totals
from stytch2workos.status_view import age
from stytch2workos.workspace.core import LOCK_NAME
from stytch2workos_emulators.server.serve import RunningServer

pytestmark = pytest.mark.timeout(300)
DONE = "('created', 'reused', 'recovered')"


@pytest.fixture(scope="module")
def migrated(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Migrated:
    return shared_migration(tmp_path_factory, stytch_server, workos_server)


@pytest.fixture(scope="module")
def doc(migrated: Migrated) -> dict[str, Any]:
    run = migrated.cli("status", "--json")
    assert run.code == 0, run.stderr
    found: dict[str, Any] = run.json()
    return found


def _files(ws: Path) -> dict[str, tuple[int, int]]:
    # Not the -shm file: SQLite's shared index of the write-ahead log, where every reader,
    # read-only ones too, marks what it reads.
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in ws.rglob("*")
        if p.is_file() and not p.name.endswith("-shm")
    }


def test_stages_count_what_the_ledger_holds(migrated: Migrated, doc: dict[str, Any]) -> None:
    plan = json.loads((migrated.ws / "plan.json").read_text(encoding="utf-8"))
    for stage, kinds in STAGES.items():
        marks = ",".join("?" * len(kinds))
        ((done,),) = migrated.query(
            f"SELECT COUNT(*) FROM ledger WHERE kind IN ({marks}) AND status IN {DONE}", kinds
        )
        ((failed,),) = migrated.query(
            f"SELECT COUNT(*) FROM ledger WHERE kind IN ({marks}) AND status = 'failed'", kinds
        )
        row = doc["stages"][stage]
        assert (row["done"], row["failed"]) == (done, failed), stage
        # The import ran to its end: nothing is left of any stage, whatever failed.
        assert row["left"] == 0, stage
    assert doc["stages"]["memberships"]["failed"] == REFUSED_MEMBERSHIPS == doc["failed"]
    assert doc["stages"]["organizations"]["planned"] == sum(plan["organizations"].values())
    assert doc["stages"]["memberships"]["planned"] == plan["memberships"]
    assert doc["stages"]["connections"]["handoff"] > 0


def test_snapshot_passwords_and_handoff(migrated: Migrated, doc: dict[str, Any]) -> None:
    seed = migrated.project.seed
    snap = doc["snapshot"]
    assert (snap["organizations"], snap["members"]) == (len(seed["organizations"]), len(seed["members"]))
    assert sum(snap["members_by_status"].values()) == len(seed["members"])
    assert snap["age_seconds"] is not None and snap["age_seconds"] < 600 and not snap["export_running"]
    assert doc["problems"]["refused"] == 0 and doc["problems"]["plan"]["blocking"] == []
    ((selected,),) = migrated.query("SELECT COUNT(*) FROM password_hashes WHERE status = 'selected'")
    ((loaded,),) = migrated.query("SELECT COUNT(*) FROM password_hashes")
    pw = doc["passwords"]
    assert (pw["loaded"], pw["usable"], pw["applied"], pw["failed"]) == (loaded, selected, selected, 0)
    handoff = doc["handoff"]
    assert handoff["source"] == "workspace"
    packets = sorted(p for p in (migrated.ws / "packets").glob("*.md"))
    assert handoff["total"] == len(packets) > 0
    assert handoff["done"] + handoff["waiting"] + handoff["failed"] == handoff["total"]
    assert sorted(Path(c["packet"]) for c in handoff["customers"]) == packets
    # Directories wait for the customer's admin; connections import recreated are done.
    assert handoff["waiting"] >= 1 and handoff["done"] >= 1
    assert doc["sync"] is None and doc["verify"] is None


def test_the_screen_shows_the_same_numbers(migrated: Migrated, doc: dict[str, Any]) -> None:
    run = migrated.cli("status")
    assert run.code == 0, run.stderr
    text = run.stdout
    snap = doc["snapshot"]
    assert f"{snap['organizations']} organizations, {snap['members']} members" in text
    line = next(row for row in text.splitlines() if row.strip().startswith("memberships"))
    m = doc["stages"]["memberships"]
    assert [c for c in line.split() if c != "│"][1:4] == [str(m["planned"]), str(m["done"]), str(m["failed"])]
    assert f"{doc['handoff']['done']} of {doc['handoff']['total']} customers done" in text
    assert "Sync: never run" in text and "Verify: never run" in text


def test_status_reads_only_and_runs_beside_an_import(
    migrated: Migrated, workos_emu: Emulator, tmp_path: Path
) -> None:
    before = _files(migrated.ws)
    for args in (["status"], ["status", "--json"]):
        assert migrated.cli(*args).code == 0
    assert _files(migrated.ws) == before
    # An import holds the workspace (WorkOS slowed down): status still answers beside it.
    ws = tmp_path / "ws"
    shutil.copytree(migrated.ws, ws)
    workos_emu.control.set_faults([{"route": "*", "latency_ms": 400}])
    env = cli_env(None, workos_emu.base_url, STYTCH2WORKOS_WORKSPACE=str(ws))
    proc = start_cli(["import", "--yes", "--json"], env)
    try:
        deadline = time.monotonic() + 60
        with open(ws / LOCK_NAME) as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(lock, fcntl.LOCK_UN)
                except BlockingIOError:
                    break  # import holds it
                assert proc.poll() is None and time.monotonic() < deadline, "import never took the workspace"
                time.sleep(0.05)
        run = run_cli(["status", "--json"], env)
        assert proc.poll() is None, "import finished before status could run beside it"
        assert run.code == 0, run.stderr
        assert run.json()["stages"]["organizations"]["done"] == len(migrated.project.seed["organizations"])
    finally:
        proc.kill()  # its work is not this test's: the copy is thrown away
        proc.communicate(timeout=60)
        workos_emu.control.clear_faults()


def test_live_counts_come_from_workos(migrated: Migrated, workos_emu: Emulator) -> None:
    orgs = migrated.project.seed["organizations"]
    workos_emu.control.seed(
        {
            "organizations": [
                {"id": "org_LIVE1", "name": "From Stytch", "external_id": orgs[0]["organization_id"]},
                {"id": "org_LIVE2", "name": "Made in WorkOS"},
            ],
            "users": [{"id": f"user_LIVE{i}", "email": f"live{i}@example.test"} for i in range(3)],
        }
    )
    env = cli_env(None, workos_emu.base_url, STYTCH2WORKOS_WORKSPACE=str(migrated.ws))
    run = run_cli(["status", "--live", "--json"], env)
    assert run.code == 0, run.stderr
    doc = run.json()
    state = workos_emu.control.state()
    assert (len(state["organizations"]), len(state["users"])) == (2, 3)
    assert doc["live"] == {"organizations": 2, "organizations_from_stytch": 1, "users": 3}
    # The handoff as WorkOS holds it now: the organization ids the ledger knows are not there.
    assert doc["handoff"]["source"] == "workos" and doc["handoff"]["done"] == 0


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("nothing", ["status"], "no workspace at"),
        ("empty_dir", ["status", "--json"], "no workspace at"),
        ("file", ["status"], "cannot open the workspace"),
        ("nothing", ["report", "--html", "OUT"], "no workspace at"),
    ],
)
def test_no_workspace_is_one_line_and_exit_2(
    tmp_path: Path, setup: str, args: list[str], message: str
) -> None:
    where = tmp_path / "ws"
    if setup == "empty_dir":
        where.mkdir()
    elif setup == "file":
        where.write_text("not a workspace")
    args = [str(tmp_path / "out.html") if a == "OUT" else a for a in args]
    run = run_cli([*args, "-w", str(where)], cli_env())
    assert run.code == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert not (tmp_path / "out.html").exists()


# ---- the pure parts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "left"),
    [
        (Stage(10, 4, 1, 2, 1, 0), 2),
        (Stage(3, 5, 0, 0, 0, 0), 0),  # a pilot's plan, then a full import: never below 0
        (Stage(None, 5, 0, 0, 0, 0), None),
    ],
)
def test_left(stage: Stage, left: int | None) -> None:
    assert stage.left == left


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (
            {},
            {
                "roles": 0,
                "organizations": 0,
                "users": 0,
                "memberships": 0,
                "invitations": 0,
                "connections": 0,
            },
        ),
        (
            {
                "organizations": {"create": 2, "reuse": 1},
                "users": {"create": 4},
                "memberships": 5,
                "invitations": "garbled",
                "roles": {"permissions": {"create": 1}, "environment_roles": {"exists": 2}},
                "connections": {"create": 1, "reuse": 0, "handoff": {"x": 2}, "skip": {"y": 1}},
            },
            {
                "roles": 3,
                "organizations": 3,
                "users": 4,
                "memberships": 5,
                "invitations": 0,
                "connections": 4,
            },
        ),
    ],
)
def test_planned_totals(plan: dict[str, Any], expected: dict[str, int]) -> None:
    assert planned_totals(plan) == expected


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "unknown"), (5, "5 s"), (61, "1 min"), (7200, "2 h"), (86_400 * 3, "3 days")]
)
def test_age(seconds: int | None, text: str) -> None:
    assert age(seconds) == text


@pytest.mark.parametrize(
    ("first", "last", "bucket"),
    [
        ("2024-01-01T10:00:00Z", "2024-01-01T11:30:00Z", "minute"),
        ("2024-01-01T10:00:00Z", "2024-01-03T10:00:00Z", "hour"),
        ("2024-01-01T10:00:00Z", "2024-03-01T10:00:00Z", "day"),
        (None, None, "hour"),
    ],
)
def test_choose_bucket(first: str | None, last: str | None, bucket: str) -> None:
    assert choose_bucket(first, last) == bucket


def test_cumulative_shares_buckets_between_stages() -> None:
    rows = [
        ("user", "t1", 2),
        ("organization", "t1", 1),
        ("user", "t2", 3),
        ("role", "t3", 1),
        ("odd", "t3", 9),
    ]
    stages = {"organizations": ("organization",), "users": ("user",), "roles": ("role",), "none": ("x",)}
    assert cumulative(rows, stages) == {
        "organizations": [("t1", 1), ("t2", 1), ("t3", 1)],
        "users": [("t1", 2), ("t2", 5), ("t3", 5)],
        "roles": [("t1", 0), ("t2", 0), ("t3", 1)],
    }

"""`stytch2workos export` end to end: the real CLI against the Stytch emulator over loopback."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import OIDC_SECRET, SAML_KEY, cli_env, run_cli, small_seed, start_cli, workspace_files
from stytch2workos.workspace import Workspace

FAST = ["--searches-per-minute", "600000"]


def snapshot_of(path: Path) -> dict[str, Any]:
    with Workspace(path) as ws:
        snap = ws.require_snapshot()
        conns: dict[str, dict[str, list[dict[str, Any]]]] = {}
        scim: dict[str, dict[str, Any]] = {}
        for kind, raw in ws.connections(snap):
            if kind == "scim":
                scim[raw["organization_id"]] = raw
            else:
                conns.setdefault(raw["organization_id"], {}).setdefault(f"{kind}_connections", []).append(raw)
        return {
            "organizations": {o["organization_id"]: o for o in ws.organizations(snap)},
            "members": {m["member_id"]: m for m in ws.members(snap)},
            "sso": conns,
            "scim": scim,
            "rbac": ws.rbac_policy(snap),
        }


def expected_from(emu: Emulator) -> dict[str, Any]:
    state = emu.control.state()
    sso = {
        org_id: {k: v for k, v in lists.items() if v}
        for org_id, lists in state.get("sso_connections", {}).items()
    }
    return {
        "organizations": {o["organization_id"]: o for o in state["organizations"]},
        "members": {m["member_id"]: m for m in state["members"]},
        "sso": {k: v for k, v in sso.items() if v},
        "scim": dict(state.get("scim_connections", {})),
        "rbac": state.get("rbac_policy"),
    }


def _sorted_sso(sso: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        org: {kind: sorted(items, key=lambda c: c["connection_id"]) for kind, items in lists.items()}
        for org, lists in sso.items()
    }


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual["organizations"] == expected["organizations"]
    assert actual["members"].keys() == expected["members"].keys()
    assert actual["members"] == expected["members"]
    assert _sorted_sso(actual["sso"]) == _sorted_sso(expected["sso"])
    assert actual["scim"] == expected["scim"]
    assert actual["rbac"] == expected["rbac"]


def test_snapshot_equals_the_seed(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    ws = tmp_path / "ws"
    run = run_cli(["export", "--workspace", str(ws), "--json", *FAST], cli_env(stytch_emu.base_url))
    assert run.code == 0, run.stderr
    summary = run.json()
    assert summary["organizations"] == 3
    assert summary["members"] == 7
    assert summary["members_by_status"] == {"active": 4, "invited": 1, "pending": 1, "deleted": 1}
    assert summary["people"] == 5  # Ada's two members are one person; the deleted one is not counted
    assert summary["connections"] == {"saml": 1, "oidc": 1, "scim": 1}
    assert_same(snapshot_of(ws), expected_from(stytch_emu))
    # Secrets stay in the database: never on the terminal.
    for secret in (OIDC_SECRET, "FAKE-SAML-KEY"):
        assert secret not in run.stdout + run.stderr
    # Owner-only workspace.
    assert stat.S_IMODE(ws.stat().st_mode) == 0o700
    for f in workspace_files(ws):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_generated_project_round_trips(stytch_emu: Emulator, tmp_path: Path) -> None:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    project = generate.generate_project(orgs=30, members=2500, seed=11)
    stytch_emu.control.seed(project.seed)
    ws = tmp_path / "ws"
    run = run_cli(["export", "-w", str(ws), "--json", *FAST], cli_env(stytch_emu.base_url))
    assert run.code == 0, run.stderr
    assert run.json()["members"] == 2500
    assert_same(snapshot_of(ws), expected_from(stytch_emu))


def test_rerun_is_a_no_op_and_refresh_records_changes(stytch_emu: Emulator, tmp_path: Path) -> None:
    seed = small_seed()
    stytch_emu.control.seed(seed)
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    assert run_cli(["export", "-w", str(ws), *FAST], env).code == 0
    again = run_cli(["export", "-w", str(ws), "--json", *FAST], env)
    assert again.json()["already_complete"] is True
    assert stytch_emu.control.stats()["requests"].get("POST /v1/b2b/organizations/search", 0) == 1

    # Changes in Stytch while the migration is under way.
    from stytch import B2BClient

    from stytch2workos_emulators import defaults

    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    o1 = seed["organizations"][0]["organization_id"]
    client.organizations.members.create(
        organization_id=o1, email_address="new@acme.example", name="New Person"
    )
    client.organizations.members.delete(organization_id=o1, member_id=seed["members"][2]["member_id"])
    client.organizations.members.update(
        organization_id=o1, member_id=seed["members"][0]["member_id"], name="Ada L."
    )

    fresh = run_cli(["export", "-w", str(ws), "--refresh", "--json", *FAST], env)
    assert fresh.code == 0, fresh.stderr
    assert fresh.json()["changes_since_previous"] == {
        "members_new": 1,
        "members_deleted": 1,
        "members_changed": 1,
    }
    assert_same(snapshot_of(ws), expected_from(stytch_emu))


def test_faults_and_429_storms_change_nothing(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    expected = expected_from(stytch_emu)
    stytch_emu.control.set_faults(
        [
            {"route": "*", "error_rate": 0.25, "rate_limit_rate": 0.2, "retry_after": 0},
            {"route": "POST *", "hang_rate": 0.1, "hang_seconds": 1.5},
        ],
        seed=3,
    )
    ws = tmp_path / "ws"
    run = run_cli(
        ["export", "-w", str(ws), "--json", "--timeout", "0.5", *FAST], cli_env(stytch_emu.base_url)
    )
    assert run.code == 0, run.stderr
    fired = stytch_emu.control.stats()["faults_fired"]
    assert fired.get("error", 0) + fired.get("rate_limit", 0) > 0
    assert run.json()["retries"] > 0
    assert_same(snapshot_of(ws), expected)


def test_real_rate_limits_are_respected(stytch_emu: Emulator, tmp_path: Path) -> None:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    stytch_emu.control.seed(generate.generate_project(orgs=40, members=1200, seed=5).seed)
    # Windows 60x shorter: 100 searches per second per endpoint; the tool paced to match.
    stytch_emu.control.set_rate_limits("scaled:60")
    ws = tmp_path / "ws"
    run = run_cli(
        ["export", "-w", str(ws), "--json", "--searches-per-minute", "6000"], cli_env(stytch_emu.base_url)
    )
    assert run.code == 0, run.stderr
    stats = stytch_emu.control.stats()
    assert stats["rate_limited"] == 0
    assert stats["max_in_window"]["members_search"] <= 100


def test_kill_at_random_points_then_resume(stytch_emu: Emulator, tmp_path: Path) -> None:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    stytch_emu.control.seed(generate.generate_project(orgs=60, members=3000, seed=9).seed)
    expected = expected_from(stytch_emu)
    # Small pages and latency make the export long enough to be killed in the middle.
    stytch_emu.control.set_faults([{"route": "*", "latency_ms": 15}])
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    rng = random.Random(4)
    kills = 0
    for _ in range(4):
        proc = start_cli(["export", "-w", str(ws), *FAST], env)
        time.sleep(rng.uniform(0.8, 2.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
    stytch_emu.control.clear_faults()
    final = run_cli(["export", "-w", str(ws), "--json", *FAST], env)
    assert final.code == 0, final.stderr
    assert kills >= 1
    assert_same(snapshot_of(ws), expected)


def test_wrong_credentials_is_one_clear_error(stytch_emu: Emulator, tmp_path: Path) -> None:
    env = cli_env(stytch_emu.base_url, STYTCH_SECRET="secret-test-wrong-and-fake")
    run = run_cli(["export", "-w", str(tmp_path / "ws"), *FAST], env)
    assert run.code == 3
    assert "unauthorized_credentials" in run.stderr
    assert "Traceback" not in run.stderr
    assert "secret-test-wrong-and-fake" not in run.stderr + run.stdout


def test_missing_credentials(tmp_path: Path) -> None:
    env = cli_env()
    del env["STYTCH_SECRET"]
    run = run_cli(["export", "-w", str(tmp_path / "ws")], env)
    assert run.code == 2
    assert "STYTCH_SECRET is not set" in run.stderr


def test_unreachable_api_gives_up_cleanly(tmp_path: Path) -> None:
    env = cli_env("http://127.0.0.1:9")  # discard port: nothing listens
    run = run_cli(["export", "-w", str(tmp_path / "ws"), "--max-attempts", "2", *FAST], env)
    assert run.code == 3
    assert "gave up after 2 attempts" in run.stderr
    assert "Traceback" not in run.stderr


def test_workspace_of_another_project_is_refused(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    ws = tmp_path / "ws"
    assert run_cli(["export", "-w", str(ws), *FAST], cli_env(stytch_emu.base_url)).code == 0
    other = cli_env(
        stytch_emu.base_url, STYTCH_PROJECT_ID="project-test-ffffffff-0000-4000-8000-000000000000"
    )
    run = run_cli(["export", "-w", str(ws), *FAST], other)
    assert run.code == 2
    assert "belongs to Stytch project" in run.stderr


def test_json_out_and_from_json_round_trip(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    env = cli_env(stytch_emu.base_url)
    out = tmp_path / "export.json"
    run = run_cli(["export", "-w", str(tmp_path / "a"), "--json-out", str(out), *FAST], env)
    assert run.code == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    assert OIDC_SECRET not in text and "FAKE-SAML-KEY" not in text
    data = json.loads(text)
    assert len(data["organizations"]) == 3 and len(data["members"]) == 7

    loaded = run_cli(["export", "-w", str(tmp_path / "b"), "--from-json", str(out), "--json"], env)
    assert loaded.code == 0, loaded.stderr
    a, b = snapshot_of(tmp_path / "a"), snapshot_of(tmp_path / "b")
    assert a["organizations"] == b["organizations"]
    assert a["members"] == b["members"]


def test_malformed_from_json_keeps_what_was_saved(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    env = cli_env(stytch_emu.base_url)
    ws = tmp_path / "ws"
    assert run_cli(["export", "-w", str(ws), *FAST], env).code == 0
    before = snapshot_of(ws)
    bad = tmp_path / "bad.json"
    bad.write_text('{"organizations": [{"organization_id": "o1"}], "members": [{"member_id": ')
    run = run_cli(["export", "-w", str(ws), "--refresh", "--from-json", str(bad)], env)
    assert run.code == 2
    assert "malformed JSON" in run.stderr and "Traceback" not in run.stderr
    assert snapshot_of(ws) == before


def test_secret_in_seed_is_in_the_database_only(stytch_emu: Emulator, tmp_path: Path) -> None:
    stytch_emu.control.seed(small_seed())
    ws = tmp_path / "ws"
    run = run_cli(["export", "-w", str(ws), *FAST], cli_env(stytch_emu.base_url))
    assert run.code == 0
    snap = snapshot_of(ws)
    oidc = next(iter(snap["sso"].values()))
    flat = json.dumps(snap["sso"])
    assert OIDC_SECRET in flat and SAML_KEY.split("\n")[1] in flat
    assert oidc


def test_a_malformed_member_from_the_api_is_a_refused_row(stytch_emu: Emulator, tmp_path: Path) -> None:
    seed = small_seed()
    o1 = seed["organizations"][0]["organization_id"]
    bad = {
        # The official SDK cannot parse this one (a number for a name) ...
        "member-test-00000008-0000-4000-8000-000000000000": {"name": 12345},
        # ... and parses this one ("yes" reads as true), which Stytch never sends.
        "member-test-00000009-0000-4000-8000-000000000000": {"email_address_verified": "yes"},
        # A name WorkOS would not take: kept, sent without it.
        "member-test-00000010-0000-4000-8000-000000000000": {"name": "x" * 300},
    }
    for n, (member_id, fields) in enumerate(bad.items(), start=8):
        seed["members"].append(
            {
                "member_id": member_id,
                "organization_id": o1,
                "email_address": f"odd{n}@acme.example",
                "status": "active",
                **fields,
            }
        )
    stytch_emu.control.seed(seed)
    ws = tmp_path / "ws"
    run = run_cli(["export", "-w", str(ws), "--json", *FAST], cli_env(stytch_emu.base_url))
    assert run.code == 0, run.stderr
    summary = run.json()
    refused = summary["refused_records"]
    assert refused["by_code"] == {"wrong_type": 2}
    assert {(e["id"], e["reason"]) for e in refused["examples"]} == {
        ("member-test-00000008-0000-4000-8000-000000000000", "name is a number, not a string"),
        (
            "member-test-00000009-0000-4000-8000-000000000000",
            "email_address_verified is a string, not true/false",
        ),
    }
    assert all(e["position"] is None for e in refused["examples"])  # read from the API, not a file
    assert summary["adjusted_records"]["by_code"] == {"name_too_long": 1}
    # Everything else is exported as usual.
    assert summary["members"] == 8
    stored = snapshot_of(ws)["members"]
    assert set(bad) - set(stored) == set(list(bad)[:2])

    # A rerun finds the snapshot complete and still reports what was refused.
    again = run_cli(["export", "-w", str(ws), "--json", *FAST], cli_env(stytch_emu.base_url))
    assert again.json()["already_complete"] is True
    assert again.json()["refused_records"]["count"] == 2


def test_refused_records_are_named_on_the_terminal(tmp_path: Path) -> None:
    seed = small_seed()
    del seed["members"][2]["email_address"]
    data = tmp_path / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    run = run_cli(["export", "-w", str(tmp_path / "ws"), "--from-json", str(data)], cli_env())
    assert run.code == 0, run.stderr
    member_id = seed["members"][2]["member_id"]
    assert "warning: 1 record(s) refused" in run.stderr
    assert f"member {member_id} at character" in run.stderr
    assert "email_address is missing" in run.stderr


def test_restart_drops_an_unfinished_api_export(stytch_emu: Emulator, tmp_path: Path) -> None:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    stytch_emu.control.seed(generate.generate_project(orgs=30, members=1500, seed=3).seed)
    expected = expected_from(stytch_emu)
    stytch_emu.control.set_faults([{"route": "*", "latency_ms": 15}])
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    proc = start_cli(["export", "-w", str(ws), *FAST], env)

    def saved() -> int:
        # Checkpoints of the unfinished snapshot (0 until the workspace and a page exist).
        try:
            with sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True) as db:
                return int(db.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])
        except sqlite3.Error:
            return 0

    deadline = time.monotonic() + 120
    while proc.poll() is None and not saved() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the export finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    stytch_emu.control.clear_faults()
    with sqlite3.connect(ws / "workspace.db") as db:
        (running,) = db.execute("SELECT id FROM snapshots WHERE status = 'running'").fetchone()
        assert db.execute("SELECT COUNT(*) FROM checkpoints WHERE snapshot_id = ?", (running,)).fetchone()[0]
    run = run_cli(["export", "-w", str(ws), "--restart", "--json", *FAST], env)
    assert run.code == 0, run.stderr
    assert run.json()["resumed"] is False
    with sqlite3.connect(ws / "workspace.db") as db:
        statuses = dict(db.execute("SELECT id, status FROM snapshots").fetchall())
    assert statuses[running] == "abandoned"
    assert statuses[run.json()["snapshot"]["id"]] == "complete"
    assert_same(snapshot_of(ws), expected)


# -- connection reads beside the member searches -------------------------------------------------

MEMBERS_SEARCH = "POST /v1/b2b/organizations/members/search"
SSO_READ = "GET /v1/b2b/sso/{organization_id}"
SCIM_READ = "GET /v1/b2b/scim/{organization_id}/connection"
# 250 organizations: three member batches of 100 organization ids, one page each.
OVERLAP_ORGS, OVERLAP_MEMBERS, OVERLAP_BATCHES = 250, 750, 3
READS = ["--reads-per-second", "1000"]


@pytest.fixture(scope="module")
def overlap_seed() -> dict[str, Any]:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    seed: dict[str, Any] = generate.generate_project(OVERLAP_ORGS, OVERLAP_MEMBERS, seed=7).seed
    return seed


def _stage_counts(ws: Path) -> tuple[int, int]:
    """(member batches, organizations' connections) stored so far in the unfinished snapshot."""
    try:
        with sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True) as db:
            rows = dict(
                db.execute(
                    "SELECT c.stage, COUNT(*) FROM checkpoints c JOIN snapshots s ON s.id = c.snapshot_id "
                    "WHERE s.status = 'running' AND c.done = 1 GROUP BY c.stage"
                ).fetchall()
            )
    except sqlite3.Error:
        return 0, 0
    return int(rows.get("members", 0)), int(rows.get("connections", 0))


def test_connection_reads_run_while_member_searches_are_under_way(
    stytch_emu: Emulator, overlap_seed: dict[str, Any], tmp_path: Path
) -> None:
    stytch_emu.control.seed(overlap_seed)
    expected = expected_from(stytch_emu)
    # Slow member searches stand in for the search budget's pace.
    stytch_emu.control.set_faults([{"route": MEMBERS_SEARCH, "latency_ms": 300}])
    ws = tmp_path / "ws"
    run = run_cli(["export", "-w", str(ws), "--json", *FAST, *READS], cli_env(stytch_emu.base_url))
    assert run.code == 0, run.stderr
    stats = stytch_emu.control.stats()
    assert stats["requests"][MEMBERS_SEARCH] == OVERLAP_BATCHES
    assert stats["requests"][SSO_READ] == OVERLAP_ORGS
    times = stats["route_times"]
    # Read one after the other, every connection read would come after the last member search.
    assert times[SSO_READ]["first"] < times[MEMBERS_SEARCH]["last"]
    assert times[SCIM_READ]["first"] < times[MEMBERS_SEARCH]["last"]
    assert_same(snapshot_of(ws), expected)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGKILL, -9), (signal.SIGTERM, 143)])
def test_a_stop_while_both_run_resumes_without_reading_anything_twice(
    stytch_emu: Emulator, overlap_seed: dict[str, Any], tmp_path: Path, signum: int, code: int
) -> None:
    from stytch2workos.stopping import RESUME

    stytch_emu.control.seed(overlap_seed)
    expected = expected_from(stytch_emu)
    stytch_emu.control.set_faults(
        [{"route": MEMBERS_SEARCH, "latency_ms": 400}, {"route": SSO_READ, "latency_ms": 100}]
    )
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    proc = start_cli(["export", "-w", str(ws), "--json", *FAST, *READS], env)
    deadline = time.monotonic() + 60
    while not all(_stage_counts(ws)):
        assert proc.poll() is None, f"finished before both stages had saved: {proc.communicate()}"
        assert time.monotonic() < deadline, "the export made no progress"
        time.sleep(0.02)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    if signum != signal.SIGKILL:
        assert stderr.strip().splitlines() == [f"error: stopped by {signal.Signals(signum).name}; {RESUME}"]
    batches, stored = _stage_counts(ws)
    # Stopped in the middle of both stages.
    assert 1 <= batches < OVERLAP_BATCHES
    assert 1 <= stored < OVERLAP_ORGS

    # Requests the stopped process left in flight are still answered (and counted) by the
    # emulator until their latency has passed: let them land before counting the rerun's.
    time.sleep(0.6)
    stytch_emu.control.clear_faults()
    stytch_emu.control.reset_stats()
    again = run_cli(["export", "-w", str(ws), "--json", *FAST, *READS], env)
    assert again.code == 0, again.stderr
    assert again.json()["resumed"] is True
    requests = stytch_emu.control.stats()["requests"]
    # What was stored is not read again; what was not is read once.
    assert requests.get("POST /v1/b2b/organizations/search", 0) == 0
    assert requests[MEMBERS_SEARCH] == OVERLAP_BATCHES - batches
    assert requests[SSO_READ] == OVERLAP_ORGS - stored
    assert_same(snapshot_of(ws), expected)


def test_a_failed_connection_read_ends_the_export_and_a_rerun_completes(
    stytch_emu: Emulator, overlap_seed: dict[str, Any], tmp_path: Path
) -> None:
    stytch_emu.control.seed(overlap_seed)
    expected = expected_from(stytch_emu)
    stytch_emu.control.set_faults(
        [
            {"route": MEMBERS_SEARCH, "latency_ms": 500},
            {"route": SSO_READ, "error_rate": 1, "error_statuses": [503]},
        ]
    )
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    run = run_cli(["export", "-w", str(ws), "--json", "--max-attempts", "1", *FAST, *READS], env)
    assert run.code == 3, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("error: ") and "503" in line and "gave up after 1 attempt" in line, line
    assert "Traceback" not in run.stderr
    # The reader's failure stops the member searches too, at the next page.
    assert stytch_emu.control.stats()["requests"][MEMBERS_SEARCH] < OVERLAP_BATCHES

    stytch_emu.control.clear_faults()
    again = run_cli(["export", "-w", str(ws), "--json", *FAST, *READS], env)
    assert again.code == 0, again.stderr
    assert again.json()["resumed"] is True
    assert_same(snapshot_of(ws), expected)


def test_a_refresh_stopped_mid_way_records_the_same_changes(
    stytch_emu: Emulator, overlap_seed: dict[str, Any], tmp_path: Path
) -> None:
    from stytch import B2BClient

    from stytch2workos_emulators import defaults

    stytch_emu.control.seed(overlap_seed)
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    assert run_cli(["export", "-w", str(ws), *FAST, *READS], env).code == 0
    # Changes in the first member batch (saved before the stop) and in the last (after it).
    orgs = sorted(o["organization_id"] for o in overlap_seed["organizations"])
    first = next(m for m in overlap_seed["members"] if m["organization_id"] == orgs[0])
    last = next(m for m in overlap_seed["members"] if m["organization_id"] == orgs[-1])
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    client.organizations.members.update(organization_id=orgs[0], member_id=first["member_id"], name="Renamed")
    client.organizations.members.create(organization_id=orgs[0], email_address="new@first.example")
    client.organizations.members.delete(organization_id=orgs[-1], member_id=last["member_id"])
    client.organizations.members.create(organization_id=orgs[-1], email_address="new@last.example")
    expected = expected_from(stytch_emu)

    stytch_emu.control.set_faults([{"route": MEMBERS_SEARCH, "latency_ms": 400}])
    proc = start_cli(["export", "-w", str(ws), "--refresh", *FAST, *READS], env)
    deadline = time.monotonic() + 60
    while _stage_counts(ws)[0] < 1:
        assert proc.poll() is None, f"finished before a member page was saved: {proc.communicate()}"
        assert time.monotonic() < deadline, "the export made no progress"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _stage_counts(ws)[0] < OVERLAP_BATCHES
    stytch_emu.control.clear_faults()

    again = run_cli(["export", "-w", str(ws), "--json", *FAST, *READS], env)
    assert again.code == 0, again.stderr
    summary = again.json()
    assert summary["resumed"] is True
    assert summary["changes_since_previous"] == {"members_new": 2, "members_changed": 1, "members_deleted": 1}
    assert_same(snapshot_of(ws), expected)


def test_a_refresh_keeps_the_previous_snapshot_and_drops_older_ones(
    stytch_emu: Emulator, tmp_path: Path
) -> None:
    stytch_emu.control.seed(small_seed())
    ws, env = tmp_path / "ws", cli_env(stytch_emu.base_url)
    ids = []
    for extra in ([], ["--refresh"], ["--refresh"]):
        run = run_cli(["export", "-w", str(ws), "--json", *FAST, *extra], env)
        assert run.code == 0, run.stderr
        ids.append(run.json()["snapshot"]["id"])
    with sqlite3.connect(ws / "workspace.db") as db:
        for table in ("organizations", "members", "connections", "rbac_policy", "checkpoints"):
            held = {r[0] for r in db.execute(f"SELECT DISTINCT snapshot_id FROM {table}")}
            assert held == set(ids[1:]), table

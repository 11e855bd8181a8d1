"""`migrate` end to end: the real CLI against both emulators, from nothing to the migrated state.

The WorkOS side is compared with the state computed from the seed alone (``test_import``'s
``expected_state``), read back through the official SDK.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import Run, cli_env, run_cli, start_cli
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.passwords import write_password_delivery
from stytch2workos_emulators.synth.project import GeneratedProject, generate_project
from test_import import assert_matches, expected_state, workos_state, writes

ORGS, MEMBERS, SEED = 5, 60, 13
FAST = {"writes_per_10s": 100_000, "reads_per_10s": 100_000, "general_per_60s": 1_000_000, "concurrency": 4}


@dataclass(frozen=True)
class Migration:
    project: GeneratedProject
    template: Path  # after the first run: exported, migration.toml proposed and reviewed
    first: Run  # the first run's result
    delivery: dict[str, Path]

    @property
    def seed(self) -> dict[str, Any]:
        return self.project.seed

    def role_map(self, ws: Path) -> dict[str, str]:
        data = tomllib.loads((ws / "migration.toml").read_text(encoding="utf-8"))
        return dict(data["roles"]["map"])


def review(ws: Path) -> None:
    """What the person reviewing migration.toml changes here: a faster pace for the emulator."""
    path = ws / "migration.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in FAST.items():
        text = re.sub(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def migration(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Migration:
    base = tmp_path_factory.mktemp("migrate")
    stytch = Emulator(stytch_server.base_url, _control(stytch_server))
    stytch.control.reset()
    stytch.control.set_rate_limits("off")
    project = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED)
    stytch.control.seed(project.seed)
    # A small scrypt cost: the delivery is real, only cheaper to check.
    delivery = write_password_delivery(project, base / "support", defaults.STYTCH_PROJECT_ID, scrypt_n=1 << 4)
    workos = _control(workos_server)
    workos.reset()
    template = base / "template"
    env = cli_env(stytch_server.base_url, workos_server.base_url)
    first = run_cli(["migrate", "-w", str(template), "--json"], env)
    assert writes(workos.stats()) == 0  # nothing reached WorkOS before the review
    review(template)
    return Migration(project, template, first, delivery)


def _control(server: RunningServer) -> Any:
    from stytch2workos_emulators.server.control import EmulatorControl

    return EmulatorControl(server.base_url)


@pytest.fixture
def ws(migration: Migration, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(migration.template, path)
    return path


def migrate(ws: Path, emu: Emulator, *args: str, stdin: str | None = None) -> Run:
    # No STYTCH_BASE_URL: after the first run, migrate keeps the snapshot and never calls Stytch.
    return run_cli(["migrate", "-w", str(ws), *args], cli_env(None, emu.base_url), stdin=stdin)


def stages(run: Run) -> dict[str, str]:
    return {row["stage"]: row["outcome"] for row in run.json()["stages"]}


def test_the_first_run_exports_proposes_the_config_and_stops(migration: Migration) -> None:
    run = migration.first
    assert run.code == 0, run.stderr
    doc = run.json()
    assert stages(run) == {"export": "done", "init": "stopped"}
    assert doc["stopped"] == "review_config"
    assert "Review migration.toml" in doc["next"] and "migrate" in doc["next"]
    counts = doc["stages"][0]["counts"]
    assert (counts["organizations"], counts["members"]) == (ORGS, MEMBERS)
    assert (migration.template / "migration.toml").is_file()


def test_dry_run_and_a_declined_confirmation_write_nothing(
    migration: Migration, ws: Path, workos_emu: Emulator
) -> None:
    dry = migrate(ws, workos_emu, "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    assert stages(dry) == {"export": "kept", "plan": "done"}
    assert dry.json()["stopped"] == "dry_run"
    assert writes(workos_emu.control.stats()) == 0

    declined = migrate(ws, workos_emu, stdin="n\n")
    assert declined.code == 1, declined.stderr
    assert "Nothing was written" in declined.stderr
    assert re.search(r"import\W+declined", declined.stdout), declined.stdout
    assert writes(workos_emu.control.stats()) == 0
    assert workos_state(workos_emu).orgs == {}


def test_yes_migrates_everything_and_a_rerun_changes_nothing(
    migration: Migration, ws: Path, workos_emu: Emulator
) -> None:
    d = migration.delivery
    delivery = ["--passwords-delivery", str(d["hashes"]), "--key", str(d["key"])]
    delivery += ["--private-key", str(d["private_key"])]
    run = migrate(ws, workos_emu, "--yes", "--json", *delivery)
    assert run.code == 0, run.stderr
    assert stages(run) == {
        "export": "kept",
        "plan": "done",
        "passwords load": "done",
        "import": "done",
        "passwords apply": "done",
        "packets": "done",
        "verify": "done",
    }
    assert run.json()["exit_code"] == 0
    exp = expected_state(migration.seed, migration.role_map(ws))
    assert_matches(workos_state(workos_emu), exp)
    summary = {row["stage"]: row["counts"] for row in run.json()["stages"]}
    assert summary["import"]["memberships"] == len(exp.memberships)
    assert summary["import"]["failed"] == 0
    assert summary["passwords load"]["keep_password"] > 0

    # Again, with the same delivery: nothing is loaded twice, nothing is written.
    workos_emu.control.reset_stats()
    again = migrate(ws, workos_emu, "--yes", "--json", *delivery)
    assert again.code == 0, again.stderr
    assert "passwords load" not in stages(again)
    assert writes(workos_emu.control.stats()) == 0
    assert "runbook" in again.json()["next"]


def test_killed_at_random_points_then_resumed_reaches_the_same_state(
    migration: Migration, ws: Path, workos_emu: Emulator
) -> None:
    workos_emu.control.set_faults([{"route": "POST *", "latency_ms": 20}])
    env = cli_env(None, workos_emu.base_url)
    rng = random.Random(5)
    for _ in range(2):
        target = writes(workos_emu.control.stats()) + rng.randint(5, 60)
        proc = start_cli(["migrate", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "migrate made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    workos_emu.control.clear_faults()
    run = migrate(ws, workos_emu, "--yes", "--json")
    assert run.code == 0, run.stderr
    exp = expected_state(migration.seed, migration.role_map(ws))
    actual = workos_state(workos_emu)
    assert actual.duplicates == []
    assert_matches(actual, exp)
    counts = {row["stage"]: row["counts"] for row in run.json()["stages"]}
    assert (counts["import"]["users"], counts["import"]["memberships"]) == (
        len(exp.users),
        len(exp.memberships),
    )
    assert stages(run)["verify"] == "done" and counts["verify"]["missing"] == 0

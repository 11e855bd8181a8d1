"""SIGTERM, SIGHUP and Ctrl-C: the real CLI as a subprocess, stopped mid-run against the emulators.

A stopped command exits 128 + the signal's number with one line on stderr and no
traceback, keeps what it saved, and a rerun reaches exactly the state the seed calls
for (computed in tests/test_import.py without the tool's mapping code), nothing twice.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, run_cli, start_cli
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.project import generate_project
from test_import import (
    Project,
    assert_matches,
    expected_state,
    seed_roles,
    workos_state,
    write_config,
    writes,
)

ORGS, MEMBERS, SEED = 8, 160, 11
RESUME = "everything saved so far is kept, run the same command to resume"
CONSOLE_SCRIPT = Path(sys.executable).with_name("stytch2workos")


@pytest.fixture(autouse=True)
def default_sighup() -> Iterator[None]:
    """The commands start with SIGHUP's default action, as from a terminal, even when this
    suite runs under ``nohup`` (an ignored SIGHUP is inherited, and the tool keeps it ignored)."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGHUP, previous)


@pytest.fixture(scope="module")
def exported(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    seed = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED).seed
    control.seed(seed)
    template = tmp_path_factory.mktemp("signals") / "template"
    env = cli_env(stytch_server.base_url)
    assert run_cli(["export", "-w", str(template), "--searches-per-minute", "600000"], env).code == 0
    assert run_cli(["init", "-w", str(template)], env).code == 0
    role_map = tomllib.loads((template / "migration.toml").read_text(encoding="utf-8"))["roles"]["map"]
    return Project(seed, template, dict(role_map))


def stderr_lines(text: str) -> list[str]:
    """What the tool printed on stderr: no blank lines, no ``-X importtime`` report."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("import time:")]


def stop_after(
    proc: subprocess.Popen[str], done: Callable[[], int], at_least: int, signum: int
) -> tuple[int, str]:
    """Send ``signum`` once ``done()`` reaches ``at_least``; ``done()`` at that moment, and stderr."""
    deadline = time.monotonic() + 60
    while (seen := done()) < at_least:
        assert proc.poll() is None, f"finished before the signal: {proc.communicate()}"
        assert time.monotonic() < deadline, "the command made no progress"
        time.sleep(0.01)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    return seen, stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_mid_import_stops_it_and_a_rerun_completes_exactly(
    exported: Project, workos_emu: Emulator, tmp_path: Path, signum: int, code: int
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(exported.template, ws)
    concurrency = 4
    write_config(ws, exported.role_map, pacing={"concurrency": concurrency})
    seed_roles(workos_emu, exported.slugs)
    workos_emu.control.set_faults([{"route": "POST *", "latency_ms": 40}])
    env = cli_env(None, workos_emu.base_url)

    def stats_writes() -> int:
        return writes(workos_emu.control.stats())

    proc = start_cli(["import", "-w", str(ws), "--yes", "--json"], env)
    at_signal, stderr = stop_after(proc, stats_writes, 40, signum)

    assert proc.returncode == code, stderr
    name = signal.Signals(signum).name
    assert stderr_lines(stderr) == [f"error: stopped by {name}; {RESUME}"]
    # Queued work stopped: past the signal, only what the workers had under way was sent;
    # a task is one person: a user and their memberships.
    after = stats_writes()
    per_person = Counter(m["email_address"].lower() for m in exported.seed["members"])
    assert after - at_signal <= concurrency * (1 + max(per_person.values())), (at_signal, after)
    assert after < ORGS + MEMBERS  # it really was mid-run

    rerun = run_cli(["import", "-w", str(ws), "--yes", "--json"], env)
    assert rerun.code == 0, rerun.stderr
    summary = rerun.json()
    assert summary["failures"] == []
    exp = expected_state(exported.seed, exported.role_map)
    assert_matches(workos_state(workos_emu), exp)  # includes: nothing duplicated
    assert sum(summary["ledger"]["membership"].values()) == len(exp.memberships)
    assert sum(summary["ledger"]["user"].values()) == len(exp.users)


def test_under_nohup_sighup_is_ignored_and_the_import_runs_to_the_end(
    exported: Project, workos_emu: Emulator, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(exported.template, ws)
    write_config(ws, exported.role_map, pacing={"concurrency": 4})
    seed_roles(workos_emu, exported.slugs)
    workos_emu.control.set_faults([{"route": "POST *", "latency_ms": 20}])
    args = ["import", "-w", str(ws), "--yes", "--json"]
    # What nohup does: start the program with SIGHUP ignored (exec keeps it ignored).
    proc = subprocess.Popen(
        ["sh", "-c", 'trap "" HUP; exec "$@"', "sh", sys.executable, "-m", "stytch2workos", *args],
        env=cli_env(None, workos_emu.base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = stop_after(proc, lambda: writes(workos_emu.control.stats()), 20, signal.SIGHUP)
    assert proc.returncode == 0, stderr
    assert_matches(workos_state(workos_emu), expected_state(exported.seed, exported.role_map))


def test_sigterm_mid_export_keeps_the_pages_saved_and_a_rerun_resumes(
    stytch_emu: Emulator, tmp_path: Path
) -> None:
    seed = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED).seed
    stytch_emu.control.seed(seed)
    # Small pages are not an option of the tool: slow reads make the run long enough instead.
    stytch_emu.control.set_faults([{"route": "*", "latency_ms": 60}])
    env = cli_env(stytch_emu.base_url)
    ws = tmp_path / "ws"

    def requests_seen() -> int:
        return sum(stytch_emu.control.stats()["requests"].values())

    proc = start_cli(["export", "-w", str(ws), "--searches-per-minute", "600000", "--json"], env)
    _, stderr = stop_after(proc, requests_seen, 6, signal.SIGTERM)
    assert proc.returncode == 143, stderr
    assert stderr_lines(stderr) == [f"error: stopped by SIGTERM; {RESUME}"]

    stytch_emu.control.clear_faults()
    again = run_cli(["export", "-w", str(ws), "--searches-per-minute", "600000", "--json"], env)
    assert again.code == 0, again.stderr
    summary: dict[str, Any] = again.json()
    assert summary["resumed"] is True
    assert (summary["organizations"], summary["members"]) == (ORGS, len(seed["members"]))


def _wait_for_import(proc: subprocess.Popen[str], module: str) -> None:
    """Read ``-X importtime`` lines until ``module`` (or a submodule) has been imported."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line, "the process ended before importing " + module
        name = line.rsplit("|", 1)[-1].strip()
        if name == module or name.startswith(module + "."):
            return
    raise AssertionError(f"{module} was never imported")


@pytest.mark.parametrize(
    ("program", "args", "module", "line"),
    [
        # While the CLI itself loads: before any command runs, nothing is under way.
        ("module", ["mapping"], "typer", "error: interrupted while no work was in progress; nothing is lost"),
        ("script", ["mapping"], "typer", "error: interrupted while no work was in progress; nothing is lost"),
        # While `plan` imports the WorkOS SDK (a second or more), inside the command.
        ("module", ["plan"], "workos", f"error: interrupted; {RESUME}"),
    ],
)
def test_ctrl_c_during_start_up_is_one_line_and_exit_130(
    exported: Project, tmp_path: Path, program: str, args: list[str], module: str, line: str
) -> None:
    if program == "script" and not CONSOLE_SCRIPT.exists():
        pytest.skip(f"no console script next to {sys.executable} (package not installed)")
    ws = tmp_path / "ws"
    shutil.copytree(exported.template, ws)
    command = [str(CONSOLE_SCRIPT)] if program == "script" else [sys.executable, "-m", "stytch2workos"]
    proc = subprocess.Popen(
        [*command, *args, "-w", str(ws)],
        env=cli_env(None, "http://127.0.0.1:9", PYTHONPROFILEIMPORTTIME="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_import(proc, module)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest
    assert stderr_lines(rest) == [line]

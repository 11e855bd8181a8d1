"""`stytch2workos emulate`: both emulators from the command line, as teams rehearse with them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stytch import B2BClient
from workos import WorkOSClient

from helpers import cli_env
from stytch2workos_emulators.server.control import EmulatorControl


def _start(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stytch2workos", "emulate", "--stytch-port", "0", "--workos-port", "0", *args],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while len(exports) < 6 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.match(r"export (\w+)=(\S+)", line.strip())
        if match:
            exports[match.group(1)] = match.group(2)
    return proc, exports


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.communicate(timeout=20)


def test_serves_a_generated_project_with_the_given_settings() -> None:
    proc, env = _start(
        [
            "--generate",
            "--orgs",
            "4",
            "--members",
            "40",
            "--random-seed",
            "3",
            "--rate-limits",
            "scaled:60",
            "--latency-ms",
            "1",
            "--faults",
            "route=GET /organizations/*,error_rate=1,error_statuses=503",
        ]
    )
    try:
        assert set(env) >= {"STYTCH_BASE_URL", "WORKOS_BASE_URL", "STYTCH_SECRET", "WORKOS_API_KEY"}
        stytch = B2BClient(env["STYTCH_PROJECT_ID"], env["STYTCH_SECRET"], environment=env["STYTCH_BASE_URL"])
        assert stytch.organizations.search(limit=100).results_metadata.total == 4
        workos = WorkOSClient(
            api_key=env["WORKOS_API_KEY"],
            client_id=env["WORKOS_CLIENT_ID"],
            base_url=env["WORKOS_BASE_URL"],
            max_retries=0,
        )
        assert {r.slug for r in workos.authorization.list_environment_roles().data} >= {"admin", "member"}
        stats = EmulatorControl(env["STYTCH_BASE_URL"]).stats()
        assert stats["rate_limits"]["mode"] == "scaled:60"
        assert stats["rate_limits"]["budgets"]["members_search"]["window_seconds"] == pytest.approx(1.0)
        from workos._errors import ServerError

        with pytest.raises(ServerError):
            workos.organizations.get_organization("org_01HZZZZZZZZZZZZZZZZZZZZZZZ")
        workos.close()
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limits", "fast"], "rate-limit mode"),
        (["--faults", "route=*,error_rate=2"], "error_rate must be between 0 and 1"),
        (["--faults", "nonsense"], "is not key=value"),
        (["--seed", "/nonexistent/seed.json"], "cannot read"),
        (["--seed", "{bad_seed}"], "is not a usable stytch seed: unknown seed key(s): bogus"),
        (["--workos-seed", "{bad_seed}"], "is not a usable workos seed"),
        (["--generate", "--orgs", "1", "--members", "2", "--out", "{bad_seed}/out"], "cannot write to"),
    ],
)
def test_bad_options_are_clear_errors(args: list[str], message: str, tmp_path: Path) -> None:
    bad_seed = tmp_path / "seed.json"
    bad_seed.write_text('{"bogus": 1}')
    args = [arg.format(bad_seed=bad_seed) for arg in args]
    proc = subprocess.run(
        [sys.executable, "-m", "stytch2workos", "emulate", "--stytch-port", "0", "--workos-port", "0", *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_json_gives_one_line_a_script_can_read() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stytch2workos",
            "emulate",
            "--stytch-port",
            "0",
            "--workos-port",
            "0",
            "--json",
        ],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        for name in ("stytch_url", "workos_url"):
            assert ready[name].startswith("http://127.0.0.1:")
        assert ready["environment"]["WORKOS_BASE_URL"] == ready["workos_url"]
        assert EmulatorControl(ready["stytch_url"]).stats() is not None  # it really serves
    finally:
        _stop(proc)

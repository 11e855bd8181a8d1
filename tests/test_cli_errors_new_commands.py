"""The newer commands (status, report, verify, sync, rollback, migrate) on bad ground.

Each row is what a careful operator might try: no workspace, a file for one, a workspace
with no snapshot, a broken migration.toml, a missing or refused key, an output path that
cannot be written, a bad --listen or --watch, no answer to a confirmation. Each must end
in one line on stderr with its documented exit code, no traceback, stdout empty or JSON,
and no secret anywhere. One workspace is exported and imported per module.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import OIDC_SECRET, cli_env, run_cli, small_seed
from stytch2workos.cli.app import app
from stytch2workos.workspace import Workspace
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer

pytestmark = pytest.mark.timeout(120)

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"fake-new-commands-key-not-real!!").decode()
WRONG_KEY = "sk_test_WRONG_fake_key_not_real"
WRONG_SECRET = "secret-test-WRONG-fake-not-real="
SECRETS = (
    defaults.STYTCH_SECRET,
    defaults.WORKOS_API_KEY,
    WEBHOOK_SECRET,
    WRONG_KEY,
    WRONG_SECRET,
    OIDC_SECRET,
    "FAKE-SAML-KEY-do-not-print",
)


class World:
    """The module's one imported workspace, and places around it that are not workspaces."""

    def __init__(self, root: Path, stytch_url: str, workos_url: str) -> None:
        self.root = root
        self.stytch_url, self.workos_url = stytch_url, workos_url
        self.paths = {
            "root": root,
            "ws": root / "ws",
            "none": root / "no-such-dir",
            "empty": root / "empty",
            "file": root / "a-file",
            "nosnap": root / "no-snapshot",
            "out": root / "out",
            "cfg": root / "cfg",
        }

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(self.stytch_url, self.workos_url, STYTCH_WEBHOOK_SECRET=WEBHOOK_SECRET, **extra)

    def args(self, template: list[str]) -> list[str]:
        where = {name: str(path) for name, path in self.paths.items()}
        return [a.format(**where) for a in template]


@pytest.fixture(scope="module")
def world(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    for server in (stytch_server, workos_server):
        control = EmulatorControl(server.base_url)
        control.reset()
        control.set_rate_limits("off")
    EmulatorControl(stytch_server.base_url).seed(small_seed())
    w = World(tmp_path_factory.mktemp("new-commands"), stytch_server.base_url, workos_server.base_url)
    env = w.env()
    for step in (["export"], ["init"], ["import", "--yes"]):
        run = run_cli([*step, "-w", str(w.paths["ws"]), "--json"], env)
        assert run.code == 0, run.stderr
    w.paths["empty"].mkdir()
    w.paths["out"].mkdir()
    w.paths["file"].write_text("not a workspace\n")
    Workspace(w.paths["nosnap"], create=True).close()  # an export that never finished a snapshot
    config = (w.paths["ws"] / "migration.toml").read_text()
    cfg = w.paths["cfg"]
    cfg.mkdir()
    (cfg / "not-toml.toml").write_text("this is [not toml\n")
    (cfg / "wrong-type.toml").write_text(
        config.replace('deleted_members = "deactivate"', "deleted_members = 5")
    )
    (cfg / "bad-policy.toml").write_text(config.replace('conflicts = "report"', 'conflicts = "newest"'))
    (cfg / "nan-pacing.toml").write_text(config.replace("writes_per_10s = 500", "writes_per_10s = nan"))
    assert (cfg / "wrong-type.toml").read_text() != config != (cfg / "bad-policy.toml").read_text()
    yield w


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _check(code: int, stdout: str, stderr: str, expected: int, message: str, as_json: bool) -> None:
    assert code == expected, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    assert message in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    if as_json and stdout.strip():
        json.loads(stdout)  # a command that reports where it stopped still prints JSON
    for secret in SECRETS:
        assert secret not in stdout + stderr


NO_SNAPSHOT = "no complete snapshot yet"
NO_WORKSPACE = "no workspace at"
NOT_A_DIR = "cannot open the workspace"

# (args, environment changes, exit code, part of the one error line)
CASES: list[tuple[list[str], dict[str, str], int, str]] = [
    # -- where the workspace should be
    (["status", "-w", "{none}"], {}, 2, NO_WORKSPACE),
    (["report", "--html", "{out}/r.html", "-w", "{empty}"], {}, 2, NO_WORKSPACE),
    (["verify", "-w", "{empty}"], {}, 2, NO_WORKSPACE),
    (["sync", "--dry-run", "-w", "{none}"], {}, 2, NO_WORKSPACE),
    (["rollback", "-w", "{empty}"], {}, 2, NO_WORKSPACE),
    (["status", "-w", "{file}"], {}, 2, NOT_A_DIR),
    (["verify", "-w", "{file}"], {}, 2, NOT_A_DIR),
    (["sync", "--yes", "-w", "{file}"], {}, 2, NOT_A_DIR),
    (["rollback", "--apply", "--yes", "-w", "{file}"], {}, 2, NOT_A_DIR),
    (["migrate", "--yes", "-w", "{file}"], {}, 2, NOT_A_DIR),
    (["verify", "-w", "{nosnap}"], {}, 2, NO_SNAPSHOT),
    (["sync", "--yes", "-w", "{nosnap}"], {}, 2, NO_SNAPSHOT),
    (["sync", "--listen", "0", "--yes", "-w", "{nosnap}"], {}, 2, NO_SNAPSHOT),
    # -- a broken migration.toml
    (["status", "--config", "{cfg}/not-toml.toml", "-w", "{ws}"], {}, 2, "at line 1"),
    (["sync", "--dry-run", "--config", "{cfg}/wrong-type.toml", "-w", "{ws}"], {}, 2, "deleted_members"),
    (["rollback", "--config", "{cfg}/bad-policy.toml", "-w", "{ws}"], {}, 2, "got 'newest'"),
    (["verify", "--config", "{cfg}/bad-policy.toml", "-w", "{ws}"], {}, 2, "[sync] conflicts"),
    (["migrate", "--config", "{cfg}/wrong-type.toml", "-w", "{ws}"], {}, 2, "deleted_members"),
    (["status", "--config", "{cfg}/nan-pacing.toml", "-w", "{ws}"], {}, 2, "writes_per_10s"),
    # -- credentials
    (["verify", "-w", "{ws}"], {"WORKOS_API_KEY": ""}, 2, "WORKOS_API_KEY is not set"),
    (["rollback", "--apply", "--yes", "-w", "{ws}"], {"WORKOS_API_KEY": ""}, 2, "WORKOS_API_KEY is not set"),
    (["sync", "--dry-run", "-w", "{ws}"], {"STYTCH_SECRET": ""}, 2, "STYTCH_SECRET is not set"),
    (["status", "--live", "-w", "{ws}"], {"WORKOS_API_KEY": WRONG_KEY}, 3, "HTTP 401"),
    (["verify", "-w", "{ws}"], {"WORKOS_API_KEY": WRONG_KEY}, 3, "HTTP 401"),
    (["rollback", "--apply", "--yes", "-w", "{ws}"], {"WORKOS_API_KEY": WRONG_KEY}, 3, "HTTP 401"),
    (["sync", "--dry-run", "-w", "{ws}"], {"STYTCH_SECRET": WRONG_SECRET}, 3, "HTTP 401"),
    (["migrate", "--refresh", "--dry-run", "-w", "{ws}"], {"STYTCH_SECRET": WRONG_SECRET}, 3, "HTTP 401"),
    # A receiver or a watch runs for days: a refused key is said before the first cycle or delivery.
    (["sync", "--listen", "0", "--yes", "-w", "{ws}"], {"WORKOS_API_KEY": WRONG_KEY}, 3, "HTTP 401"),
    (["sync", "--listen", "0", "--yes", "-w", "{ws}"], {"STYTCH_SECRET": WRONG_SECRET}, 3, "HTTP 401"),
    (["sync", "--watch", "1", "--yes", "-w", "{ws}"], {"WORKOS_API_KEY": WRONG_KEY}, 3, "HTTP 401"),
    (
        ["sync", "--listen", "0", "--yes", "-w", "{ws}"],
        {"STYTCH_WEBHOOK_SECRET": ""},
        2,
        "STYTCH_WEBHOOK_SECRET",
    ),
    # -- files to write
    (["report", "--html", "{root}/no/such/r.html", "-w", "{ws}"], {}, 2, "does not exist"),
    (["report", "--html", "{out}", "-w", "{ws}"], {}, 2, "is a directory"),
    (["report", "--html", "{file}/r.html", "-w", "{ws}"], {}, 2, "cannot write"),
    (["report", "--html", "/proc/r.html", "-w", "{ws}"], {}, 2, "cannot write"),
    (["verify", "--csv", "{root}/no/such/f.csv", "-w", "{ws}"], {}, 2, "cannot write"),
    (["verify", "--csv", "{out}", "-w", "{ws}"], {}, 2, "cannot write"),
    # -- --listen and --watch
    (["sync", "--listen", "70000", "--yes", "-w", "{ws}"], {}, 2, "port from 0 to 65535"),
    (["sync", "--watch", "0", "--yes", "-w", "{ws}"], {}, 2, "greater than 0"),
    (["sync", "--watch", "-5", "--yes", "-w", "{ws}"], {}, 2, "greater than 0"),
    # nan and inf parse as floats: they used to reach time.sleep and end in a crash report.
    (["sync", "--watch", "nan", "--yes", "-w", "{ws}"], {}, 2, "got nan"),
    (["sync", "--watch", "inf", "--dry-run", "-w", "{ws}"], {}, 2, "got inf"),
    (["handoff", "--watch", "nan", "-w", "{ws}"], {}, 2, "got nan"),
    (["sync", "--dry-run", "--reads-per-second", "nan", "-w", "{ws}"], {}, 2, "finite number"),
]


def _id(case: tuple[list[str], dict[str, str], int, str]) -> str:
    args, env, _, _ = case
    changed = ",".join(f"{k}={'unset' if not v else 'wrong'}" for k, v in env.items())
    return " ".join(args) + (f" [{changed}]" if changed else "")


runner = CliRunner()


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(("args", "env", "code", "message"), CASES, ids=[_id(c) for c in CASES])
def test_a_new_command_on_bad_ground_says_one_line_with_its_exit_code(
    world: World, args: list[str], env: dict[str, str], code: int, message: str, as_json: bool
) -> None:
    environment = world.env()
    for key, value in env.items():
        if value:
            environment[key] = value
        else:
            environment.pop(key, None)
    result = runner.invoke(app, [*world.args(args), *(["--json"] if as_json else [])], env=environment)
    _check(result.exit_code, result.stdout, result.stderr, code, message, as_json)


def test_an_unreachable_workos_ends_the_listener_before_it_listens(world: World) -> None:
    """A closed loopback port: retries run out (exit 3) and nothing was announced as listening."""
    env = world.env(WORKOS_BASE_URL=f"http://127.0.0.1:{_closed_port()}")
    config = world.paths["cfg"] / "impatient.toml"
    config.write_text(
        (world.paths["ws"] / "migration.toml")
        .read_text()
        .replace("\nmax_attempts = 8\n", "\nmax_attempts = 1\n")
    )
    args = ["sync", "--listen", "0", "--yes", "--json", "-w", str(world.paths["ws"]), "--config", str(config)]
    result = runner.invoke(app, args, env=env)
    _check(result.exit_code, result.stdout, result.stderr, 3, "cannot reach", True)
    assert "listening" not in result.stdout


def test_a_port_in_use_is_exit_2(world: World) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["sync", "--listen", str(port), "--yes", "--json", "-w", str(world.paths["ws"])]
        result = runner.invoke(app, args, env=world.env())
    _check(result.exit_code, result.stdout, result.stderr, 2, "cannot listen on", True)


def _closed_stdin(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stytch2workos", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [["rollback", "--apply"], ["migrate"]], ids=["rollback --apply", "migrate"])
def test_without_yes_and_without_a_terminal_nothing_is_written(world: World, args: list[str]) -> None:
    """No answer is not a yes: exit 1 at once, WorkOS as it was."""
    control = EmulatorControl(world.workos_url)
    before: Any = control.state()
    proc = _closed_stdin([*args, "-w", str(world.paths["ws"]), "--json"], world.env())
    assert proc.returncode == 1, proc.stderr
    assert "Nothing was written." in proc.stderr and "Traceback" not in proc.stderr
    if proc.stdout.strip():
        json.loads(proc.stdout)
    assert control.state() == before
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


def test_the_html_report_holds_no_secret(world: World) -> None:
    page = world.paths["out"] / "report.html"
    result = runner.invoke(
        app, ["report", "--html", str(page), "-w", str(world.paths["ws"])], env=world.env()
    )
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert "<html" in text.lower()
    for secret in SECRETS:
        assert secret not in text + result.output

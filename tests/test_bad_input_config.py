"""A corpus of bad ``migration.toml`` files and bad environment settings, through the CLI.

Each is refused by ``plan`` (against the WorkOS emulator) before anything is sent, with
exit 2 and one line that names the file and the key at fault (or the variable, for the
environment) and says what a good value looks like.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import Emulator
from helpers import cli_env, small_seed
from stytch2workos.cli.app import app

runner = CliRunner()

# name → (the file's bytes, what the one line must say besides the file's path)
BAD_FILES: dict[str, tuple[bytes, list[str]]] = {
    "toml syntax error": (b"[pacing]\nwrites_per_10s = 500\nsafety = \n", ["Invalid value", "line 3"]),
    "unclosed table header": (b"[roles\nmultiple = true\n", ["line 1"]),
    "a key given twice": (
        b"[pacing]\nconcurrency = 4\nconcurrency = 8\n",
        ["Cannot overwrite a value", "line 3"],
    ),
    "unknown section": (
        b"[organisation]\nexternal_id = 'organization_id'\n",
        ["unknown section(s) [organisation]"],
    ),
    "unknown key": (b"[pacing]\nwrites = 500\n", ["[pacing] has unknown key(s) writes", "known: "]),
    "wrong type": (
        b'[pacing]\nconcurrency = "4"\n',
        ["[pacing] concurrency must be a positive whole number"],
    ),
    "quoted boolean": (
        b'[roles]\nmultiple = "false"\n',
        ["[roles] multiple must be true or false (unquoted)"],
    ),
    "negative pacing": (b"[pacing]\nwrites_per_10s = -5\n", ["[pacing] writes_per_10s must be a positive"]),
    "fractional worker count": (
        b"[pacing]\nconcurrency = 2.5\n",
        ["[pacing] concurrency must be a positive whole"],
    ),
    "safety above 1": (
        b"[pacing]\nsafety = 1.5\n",
        ["[pacing] safety is a fraction of the budget, at most 1"],
    ),
    "role slug syntax": (
        b'[roles.map]\neditor = "Editors Team"\n',
        ["[roles.map] editor = 'Editors Team'", "lower-case a-z, 0-9, _ and -"],
    ),
    "role map not a table": (b'[roles]\nmap = ["admin"]\n', ["[roles.map] must be a table"]),
    "unknown status policy": (b'[statuses]\ninvited = "invite_all"\n', ["[statuses] invited must be one of"]),
    "section that is a value": (b'roles = "admin"\n', ["[roles] must be a table"]),
    "empty file": (b"", ["is empty", "delete it to use the defaults"]),
    "only blank lines": (b"\n\n   \n", ["is empty"]),
    "not utf-8": (
        b'[organizations]\ndomain_state = "v\xe9rified"\n',
        ["is not UTF-8 text (line 2); save it as UTF-8"],
    ),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("config")
    seed = small_seed()
    data = base / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    result = runner.invoke(app, ["export", "-w", str(base / "ws"), "--from-json", str(data)], env=cli_env())
    assert result.exit_code == 0, result.output
    return base / "ws"


def plan(ws: Path, emu: Emulator, *args: str, **env: str) -> Result:
    settings = {**cli_env(None, emu.base_url), **env}
    return runner.invoke(app, ["plan", "-w", str(ws), *args], env=settings)


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def assert_refused(result: Result, emu: Emulator, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    line = one_line(result)
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line, line
    # Refused before anything was sent.
    assert sum(emu.control.stats()["requests"].values()) == 0
    return line


@pytest.mark.parametrize("where", ["--config", "workspace"])
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_migration_toml_is_one_line_naming_the_file_and_the_key(
    template: Path, tmp_path: Path, workos_emu: Emulator, name: str, where: str
) -> None:
    content, fragments = BAD_FILES[name]
    if where == "--config":
        ws, path = template, tmp_path / "mine.toml"
        args = ["--config", str(path)]
    else:
        ws, path, args = tmp_path / "ws", tmp_path / "ws" / "migration.toml", []
        ws.mkdir()
        for item in template.iterdir():
            (ws / item.name).write_bytes(item.read_bytes())
    path.write_bytes(content)
    workos_emu.control.reset_stats()
    assert_refused(plan(ws, workos_emu, *args), workos_emu, str(path), *fragments)


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda p: p.mkdir(), ["is a directory, not a migration.toml file"]),
        (lambda p: None, ["does not exist"]),
    ],
    ids=["a directory", "missing"],
)
def test_a_config_path_that_is_no_file_is_refused(
    template: Path, tmp_path: Path, workos_emu: Emulator, make: Callable[[Path], object], fragments: list[str]
) -> None:
    path = tmp_path / "migration.toml"
    make(path)
    workos_emu.control.reset_stats()
    assert_refused(plan(template, workos_emu, "--config", str(path)), workos_emu, str(path), *fragments)


def test_an_unreadable_config_is_refused(template: Path, tmp_path: Path, workos_emu: Emulator) -> None:
    path = tmp_path / "migration.toml"
    path.write_text("[pacing]\nconcurrency = 4\n")
    path.chmod(0)
    try:
        with path.open("rb"):
            pytest.skip("running as root: file permissions do not stop this process from reading")
    except PermissionError:
        pass
    try:
        workos_emu.control.reset_stats()
        result = plan(template, workos_emu, "--config", str(path))
        assert_refused(result, workos_emu, f"cannot read {path}: Permission denied")
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"WORKOS_API_KEY": ""}, ["WORKOS_API_KEY is not set: export your WorkOS API key"]),
        ({"WORKOS_API_KEY": "   "}, ["WORKOS_API_KEY is not set"]),
        ({"WORKOS_BASE_URL": "api.workos.example"}, ["WORKOS_BASE_URL must start with http:// or https://"]),
        ({"WORKOS_BASE_URL": "ftp://api.workos.example"}, ["WORKOS_BASE_URL must start with http://"]),
        ({"WORKOS_BASE_URL": "https://"}, ["WORKOS_BASE_URL has no host name"]),
        ({"WORKOS_BASE_URL": "http://127.0.0.1:port"}, ["WORKOS_BASE_URL has a port that is not a number"]),
        ({"WORKOS_BASE_URL": "http://127.0.0.1:70000"}, ["WORKOS_BASE_URL has a port that is not a number"]),
        ({"WORKOS_BASE_URL": "http://[::1"}, ["WORKOS_BASE_URL is not a valid URL"]),
        (
            {"WORKOS_BASE_URL": "https://api.workos.example/ v1"},
            ["WORKOS_BASE_URL must be a URL without spaces"],
        ),
        ({"WORKOS_BASE_URL": "https://api.workos.example?key=1"}, ["WORKOS_BASE_URL must not have a ?query"]),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_a_bad_environment_setting_is_one_line_naming_the_variable(
    template: Path, workos_emu: Emulator, env: dict[str, str], fragments: list[str]
) -> None:
    workos_emu.control.reset_stats()
    line = assert_refused(plan(template, workos_emu, **env), workos_emu, *fragments)
    assert "e.g." in line or "export your" in line or "is not set" in line


def test_a_proxy_password_in_a_bad_url_is_never_printed(template: Path, workos_emu: Emulator) -> None:
    workos_emu.control.reset_stats()
    result = plan(template, workos_emu, WORKOS_BASE_URL="https://ops:hunter2-proxy@proxy.example:99999")
    assert_refused(result, workos_emu, "WORKOS_BASE_URL has a port that is not a number")
    assert "hunter2-proxy" not in result.output

"""CLI failure paths, in-process: clear messages and documented exit codes, never a traceback."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import cli_env, small_seed
from stytch2workos.cli import app

runner = CliRunner()


def invoke(args: list[str], **env: str) -> Result:
    result = runner.invoke(app, args, env=cli_env(**env))
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    """A workspace holding a snapshot of small_seed(), loaded from a JSON file (no network)."""
    seed = small_seed()
    data = tmp_path / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    path = tmp_path / "ws"
    result = invoke(["export", "-w", str(path), "--from-json", str(data), "--json"])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["mapping", "-o", "{missing}/id-map.csv"],
        ["export", "--from-json", "{data}", "--refresh", "--json-out", "{missing}/export.json"],
        ["mapping", "-o", "{file}/id-map.csv"],
    ],
)
def test_an_output_file_that_cannot_be_written_is_exit_2(ws: Path, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    where = {"missing": str(tmp_path / "no" / "such"), "data": str(tmp_path / "project.json")}
    where["file"] = str(tmp_path / "a-file")
    result = invoke([*(a.format(**where) for a in args), "-w", str(ws)])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output


def test_outputs_are_owner_only(ws: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        out = tmp_path / f"id-map.{fmt}"
        out.write_text("old")
        out.chmod(0o644)
        assert invoke(["mapping", "-w", str(ws), "-o", str(out), "--format", fmt]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(ws.stat().st_mode) == 0o700
    for path in ws.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_workspace_that_cannot_be_created_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    result = invoke(["mapping", "-w", str(tmp_path / "a-file" / "ws")])
    assert result.exit_code == 2, result.output
    assert "cannot open the workspace" in result.output

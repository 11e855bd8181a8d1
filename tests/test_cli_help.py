"""The help texts read as people expect: flags show no type placeholder; --version works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import cli_env, run_cli
from stytch2workos.cli.app import command


def _paths(cmd: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _paths(sub, (*prefix, name))


ROOT = command()
PATHS = list(_paths(ROOT))


def _at(path: tuple[str, ...]) -> Any:
    found = ROOT
    for name in path:
        found = found.commands[name]
    return found


# The commands people run (not the `passwords` group itself).
LEAVES = [p for p in PATHS if p and not hasattr(_at(p), "commands")]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "(root)")
def test_no_flag_shows_a_type_placeholder(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        ROOT.main([*path, "--help"], prog_name="stytch2workos")
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--help" in shown
    assert "<bool>" not in shown


def test_every_command_is_listed_with_help() -> None:
    assert len(PATHS) > 10  # the walk reached the commands


def test_version_prints_the_installed_version() -> None:
    run = run_cli(["--version"], cli_env())
    assert run.code == 0, run.stderr
    assert re.fullmatch(r"stytch2workos \d+\.\d+\.\d+\S*\n", run.stdout)


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_has_an_example_and_json_output(path: tuple[str, ...]) -> None:
    leaf = _at(path)
    assert f"Example: stytch2workos {' '.join(path)}" in (leaf.help or "").replace("`", "")
    assert any("--json" in getattr(p, "opts", []) for p in leaf.params)

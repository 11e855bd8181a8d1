"""docs/runbook.md cannot drift: every `stytch2workos …` line in its code blocks names a real
command with real options (read from the command line the tool builds, as `--help` shows it)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from stytch2workos.cli.app import command

RUNBOOK = Path(__file__).resolve().parents[1] / "docs" / "runbook.md"
SECTIONS = (
    "Rehearse on the emulators",
    "Rehearse against a WorkOS staging environment",
    "Pilot organization",
    "Full import",
    "The sync window",
    "Customer handoff",
    "Cutover",
    "Verify",
    "Decommission Stytch",
    "Rollback",
)


def code_lines(text: str) -> list[str]:
    """The lines inside fenced code blocks."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def commands_in(text: str) -> list[str]:
    return [line for line in code_lines(text) if line.startswith("stytch2workos ")]


def resolve(args: list[str]) -> tuple[Any, list[str]]:
    """The Click command ``args`` name (subcommands followed), and the arguments left."""
    cmd = command()
    rest = list(args)
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    if hasattr(cmd, "commands"):
        raise AssertionError(f"no such command: {' '.join(args)}")
    return cmd, rest


def unknown_options(line: str) -> list[str]:
    cmd, rest = resolve(shlex.split(line)[1:])
    known = {"--help"}
    for param in cmd.params:
        known.update(getattr(param, "opts", []))
        known.update(getattr(param, "secondary_opts", []))
    return [a.split("=", 1)[0] for a in rest if a.startswith("-") and a.split("=", 1)[0] not in known]


TEXT = RUNBOOK.read_text(encoding="utf-8")
LINES = commands_in(TEXT)


def test_the_runbook_has_every_step_and_its_commands() -> None:
    headings = re.findall(r"(?m)^## \d+\. (.+)$", TEXT)
    assert [h for h in SECTIONS if not any(h in found for found in headings)] == []
    assert len(LINES) >= 20
    assert "make demo" in code_lines(TEXT)
    # The table of durations covers the three sizes the runbook promises.
    assert re.search(r"\| step .*10k.*100k.*1M", TEXT)


@pytest.mark.parametrize("line", LINES)
def test_every_command_line_names_real_options(line: str) -> None:
    assert unknown_options(line) == [], line


@pytest.mark.parametrize(
    ("line", "unknown"),
    [
        ("stytch2workos migrate --yes --no-such-flag", ["--no-such-flag"]),
        ("stytch2workos sync --listen 8080 --secret=x", ["--secret"]),
        ("stytch2workos verify --org o --org p", []),
    ],
)
def test_the_check_catches_a_wrong_option(line: str, unknown: list[str]) -> None:
    assert unknown_options(line) == unknown


def test_the_check_catches_a_wrong_command() -> None:
    with pytest.raises(AssertionError, match="no such command"):
        unknown_options("stytch2workos passwords")
    with pytest.raises(AssertionError, match="no such command"):
        resolve(["passwords", "frobnicate"])

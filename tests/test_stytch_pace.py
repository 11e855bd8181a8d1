"""Stytch's pace: the [pacing] stytch_* keys, the one rule (flag > migration.toml > default),
and `export` / `migrate` honouring it against the Stytch emulator."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, run_cli, small_seed
from stytch2workos.config import Pacing, parse_config
from stytch2workos.config_text import render_config
from stytch2workos.errors import ConfigError
from stytch2workos.stytch_pace import PaceSettings, StytchPace, check_flags, resolve_pace

FAST = ["--searches-per-minute", "600000", "--reads-per-second", "100000"]
MEMBERS_SEARCH = "POST /v1/b2b/organizations/members/search"


# --- migration.toml ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pacing", "expected"),
    [
        ({}, PaceSettings()),
        ({"stytch_searches_per_minute": 30}, PaceSettings(searches_per_minute=30)),
        ({"stytch_reads_per_second": 2.5}, PaceSettings(reads_per_second=2.5)),
        ({"stytch_reads_per_second": 5}, PaceSettings(reads_per_second=5.0)),
        ({"stytch_timeout": 0.5, "stytch_max_attempts": 2}, PaceSettings(timeout=0.5, max_attempts=2)),
        # The WorkOS keys beside them stay WorkOS's.
        ({"max_attempts": 3, "timeout": 9}, PaceSettings()),
    ],
)
def test_stytch_keys_parse(pacing: dict[str, Any], expected: PaceSettings) -> None:
    assert parse_config({"pacing": pacing}).pacing.stytch == expected


def test_workos_keys_are_not_stytchs() -> None:
    parsed = parse_config({"pacing": {"stytch_max_attempts": 2, "stytch_timeout": 4}}).pacing
    assert (parsed.max_attempts, parsed.timeout) == (Pacing().max_attempts, Pacing().timeout)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("stytch_searches_per_minute", 0, "stytch_searches_per_minute must be a positive whole number"),
        ("stytch_searches_per_minute", -5, "stytch_searches_per_minute must be a positive whole number"),
        ("stytch_searches_per_minute", 50.5, "stytch_searches_per_minute must be a positive whole number"),
        ("stytch_searches_per_minute", "100", "stytch_searches_per_minute must be a positive whole number"),
        ("stytch_searches_per_minute", True, "stytch_searches_per_minute must be a positive whole number"),
        ("stytch_max_attempts", 0, "stytch_max_attempts must be a positive whole number"),
        ("stytch_max_attempts", 2.0, "stytch_max_attempts must be a positive whole number"),
        ("stytch_reads_per_second", 0, "stytch_reads_per_second must be a positive number"),
        ("stytch_reads_per_second", 0.5, "stytch_reads_per_second must be at least 1"),
        ("stytch_reads_per_second", "fast", "stytch_reads_per_second must be a positive number"),
        ("stytch_timeout", 0, "stytch_timeout must be a positive number"),
        ("stytch_timeout", -1.5, "stytch_timeout must be a positive number"),
        ("stytch_searches_per_min", 10, "unknown key(s) stytch_searches_per_min"),
    ],
)
def test_bad_stytch_keys_are_one_error_naming_the_key(key: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"pacing": {key: value}})
    assert message in str(raised.value)
    assert str(raised.value).startswith("[pacing] ")
    assert "\n" not in str(raised.value)


def test_init_explains_each_key_and_uncommented_they_are_the_defaults() -> None:
    text = render_config({"stytch_member": 1}, {})
    # As written, the tool's defaults apply (nothing is pinned)...
    assert parse_config(tomllib.loads(text)).pacing.stytch == PaceSettings()
    # ...and removing the # sets each to the default it names.
    keys = ("stytch_searches_per_minute", "stytch_reads_per_second", "stytch_timeout", "stytch_max_attempts")
    for key in keys:
        assert f"# {key} = " in text
        text = text.replace(f"# {key} = ", f"{key} = ")
    stytch = parse_config(tomllib.loads(text)).pacing.stytch
    default = StytchPace()
    assert stytch == PaceSettings(
        default.searches_per_minute, default.reads_per_second, default.timeout, default.max_attempts
    )


# --- the rule ---------------------------------------------------------------------------------

NONE = PaceSettings()


@pytest.mark.parametrize(
    ("flags", "configured", "pace", "sources"),
    [
        (NONE, NONE, StytchPace(), dict.fromkeys(["s", "r", "t", "m"], "default")),
        (
            NONE,
            PaceSettings(searches_per_minute=30, timeout=5.0),
            StytchPace(searches_per_minute=30, timeout=5.0),
            {"s": "config", "r": "default", "t": "config", "m": "default"},
        ),
        (
            PaceSettings(searches_per_minute=600),
            PaceSettings(searches_per_minute=30, max_attempts=2),
            StytchPace(searches_per_minute=600, max_attempts=2),
            {"s": "flag", "r": "default", "t": "default", "m": "config"},
        ),
        (
            PaceSettings(10, 2.0, 1.0, 1),
            PaceSettings(30, 5.0, 9.0, 3),
            StytchPace(10, 2.0, 1.0, 1),
            dict.fromkeys(["s", "r", "t", "m"], "flag"),
        ),
        # A flag equal to the default still counts as given.
        (
            PaceSettings(reads_per_second=100.0),
            PaceSettings(reads_per_second=3.0),
            StytchPace(),
            {"s": "default", "r": "flag", "t": "default", "m": "default"},
        ),
    ],
)
def test_flag_beats_config_beats_default(
    flags: PaceSettings, configured: PaceSettings, pace: StytchPace, sources: dict[str, str]
) -> None:
    got, got_sources = resolve_pace(flags, configured)
    assert got == pace
    assert isinstance(got.searches_per_minute, int) and isinstance(got.max_attempts, int)
    short = {"searches_per_minute": "s", "reads_per_second": "r", "timeout": "t", "max_attempts": "m"}
    assert {short[name]: source for name, source in got_sources.items()} == sources


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (PaceSettings(searches_per_minute=0), "--searches-per-minute must be at least 1"),
        (PaceSettings(reads_per_second=0.5), "--reads-per-second must be at least 1"),
        (PaceSettings(max_attempts=0), "--max-attempts must be at least 1"),
        (PaceSettings(timeout=0.0), "--timeout takes a number of seconds greater than 0"),
        (PaceSettings(timeout=-1.0), "--timeout takes a number of seconds greater than 0"),
    ],
)
def test_a_flag_below_its_floor_is_refused(flags: PaceSettings, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_flags(flags)


def test_flags_at_their_floor_pass() -> None:
    check_flags(PaceSettings(1, 1.0, 0.1, 1))
    check_flags(PaceSettings())


# --- through the CLI --------------------------------------------------------------------------


def _member_search_span(emu: Emulator) -> float:
    """Seconds between the first and the last members search the emulator received."""
    times = emu.control.stats()["route_times"][MEMBERS_SEARCH]
    return float(times["last"] - times["first"])


def test_export_refresh_keeps_the_configured_pace_and_a_flag_overrides_it(
    stytch_emu: Emulator, tmp_path: Path
) -> None:
    generate = pytest.importorskip("stytch2workos_emulators.synth.project")
    # 101 organizations: two members searches (100 organization ids each), so a pace shows.
    stytch_emu.control.seed(generate.generate_project(orgs=101, members=110, seed=7).seed)
    env = cli_env(stytch_emu.base_url)
    ws = tmp_path / "ws"
    first = run_cli(["export", "-w", str(ws), "--json", *FAST], env)
    assert first.code == 0, first.stderr
    assert first.json()["pace"]["searches_per_minute"] == {"value": 600000, "from": "flag"}

    # 30 a minute: a token every ~2.1 s after the first (pacing.bucket_for keeps 3% spare).
    (ws / "migration.toml").write_text(
        "[pacing]\nstytch_searches_per_minute = 30\nstytch_reads_per_second = 100000\n"
    )
    stytch_emu.control.reset_stats()
    slow = run_cli(["export", "-w", str(ws), "--json", "--refresh"], env)
    assert slow.code == 0, slow.stderr
    pace = slow.json()["pace"]
    assert pace["searches_per_minute"] == {"value": 30, "from": "config"}
    assert pace["reads_per_second"] == {"value": 100000.0, "from": "config"}
    assert pace["max_attempts"] == {"value": 8, "from": "default"}
    assert stytch_emu.control.stats()["requests"][MEMBERS_SEARCH] == 2
    assert _member_search_span(stytch_emu) >= 1.8

    stytch_emu.control.reset_stats()
    fast = run_cli(["export", "-w", str(ws), "--json", "--refresh", "--searches-per-minute", "600000"], env)
    assert fast.code == 0, fast.stderr
    assert fast.json()["pace"]["searches_per_minute"] == {"value": 600000, "from": "flag"}
    assert fast.json()["pace"]["reads_per_second"]["from"] == "config"
    assert _member_search_span(stytch_emu) < 1.5


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        # Another table being edited: export reads only [pacing], so there is nothing to say.
        ("[roles]\nmultiple = 'yes'\n[pacing]\nstytch_max_attempts = 3\n", None),
        ("[pacing\nstytch_max_attempts = 3\n", "migration.toml"),
        ("[pacing]\nstytch_max_attempts = 0\n", "stytch_max_attempts must be a positive whole number"),
    ],
    ids=["other-table-broken", "not-toml", "bad-pacing-key"],
)
def test_export_is_not_stopped_by_the_workspaces_broken_config(
    stytch_emu: Emulator, tmp_path: Path, text: str, warning: str | None
) -> None:
    stytch_emu.control.seed(small_seed())
    ws = tmp_path / "ws"
    _write(ws / "migration.toml", text)
    run = run_cli(["export", "-w", str(ws), "--json", *FAST], cli_env(stytch_emu.base_url))
    assert run.code == 0, run.stderr
    used = run.json()["pace"]["max_attempts"]
    if warning is None:
        assert used == {"value": 3, "from": "config"}
        assert "warning" not in run.stderr
    else:
        assert used == {"value": 8, "from": "default"}
        assert warning in run.stderr and "default pace" in run.stderr
        assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        # A file named with --config is meant: its problems stop export before any request.
        (["export"], "[pacing]\nstytch_timeout = 0\n", "stytch_timeout must be a positive number"),
        (["export"], None, "does not exist"),
        # migrate needs the whole file anyway (plan): it stops before a long export, not after.
        (["migrate", "--yes"], "[pacing]\nstytch_timeout = 0\n", "stytch_timeout must be a positive number"),
        (["migrate", "--yes"], "[roles]\nmultiple = 'yes'\n", "[roles] multiple must be true or false"),
        (["export", "--timeout", "0"], "", "--timeout takes a number of seconds greater than 0"),
        (["export", "--max-attempts", "0"], "", "--max-attempts must be at least 1"),
    ],
)
def test_a_config_named_or_needed_is_checked_before_stytch_is_called(
    tmp_path: Path, command: list[str], text: str | None, message: str
) -> None:
    config = tmp_path / "elsewhere.toml"
    if text:
        _write(config, text)
    args = [*command, "-w", str(tmp_path / "ws"), "--json"]
    if text != "":
        args += ["--config", str(config)]
    # Nothing listens on port 9: a request to Stytch would fail differently (exit 3).
    run = run_cli(args, cli_env("http://127.0.0.1:9", "http://127.0.0.1:9"))
    assert run.code == 2, run.stderr
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1

"""When the machine fails the tool, and when the tool fails itself: exit 4, exit 5, unreachable APIs.

A full disk, a read-only file system or ``/dev/full`` is exit 4 with one line saying
nothing saved is lost; a defect is exit 5 with an owner-only crash report that holds no
secret; an API that cannot be reached is one line naming its address and the cause.
Real file systems where it matters: a tmpfs of a few hundred kilobytes (mounting one
needs root; the tests say so and skip where that is not allowed).
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Emulator
from helpers import cli_env, run_cli, small_seed
from stytch2workos import crash
from stytch2workos.causes import chain, os_cause, transport_cause
from stytch2workos.cli.app import app
from stytch2workos.cli.common import crash_places
from stytch2workos.workspace.core import storage_cause
from stytch2workos_emulators.synth.project import generate_project

NOTHING_LOST = "Nothing saved is lost"
# A PHC string shaped like a real scrypt hash: it must never reach a crash report.
HASH = "$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g"
LIBRARY_INTERNALS = ("HTTPConnectionPool", "Max retries", "urllib3", "httpx", "httpcore", "object at 0x")
runner = CliRunner()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding a snapshot of small_seed(), loaded from a JSON file (no network)."""
    base = tmp_path_factory.mktemp("env")
    seed = small_seed()
    data = base / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    result = runner.invoke(app, ["export", "-w", str(base / "ws"), "--from-json", str(data)], env=cli_env())
    assert result.exit_code == 0, result.output
    return base / "ws"


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(template, path)
    return path


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A fresh tmpfs of ``size`` mounted at ``where`` for the duration."""
    where.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount(8) here to make a small file system")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(
            f"cannot mount a small tmpfs (needs root where mounts are allowed): {made.stderr.strip()}"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


def fill(where: Path) -> None:
    with (where / "filler").open("wb") as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()


# -- exit 4: the machine ------------------------------------------------------------------------


def test_a_full_disk_under_the_workspace_is_exit_4_and_a_rerun_with_space_completes(
    stytch_emu: Emulator, tmp_path: Path
) -> None:
    seed = generate_project(orgs=6, members=300, seed=5).seed
    stytch_emu.control.seed(seed)
    env = cli_env(stytch_emu.base_url)
    with tmpfs(tmp_path / "disk", "384k") as disk:
        ws = disk / "ws"
        args = ["export", "-w", str(ws), "--searches-per-minute", "600000", "--json"]
        full = run_cli(args, env)
        assert full.code == 4, full.stderr
        [line] = error_lines(full.stderr)
        assert line.startswith(f"error: {ws / 'workspace.db'}: the disk is full"), line
        assert NOTHING_LOST in line and "free some space" in line
        assert "Traceback" not in full.stderr

        remount(disk, "size=64m")
        again = run_cli(args, env)
    assert again.code == 0, again.stderr
    summary = again.json()
    assert (summary["organizations"], summary["members"]) == (6, len(seed["members"]))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("/dev/full", "error: no space left on the device (ENOSPC)"),
        ("{full}/id-map.csv", "error: no space left on the device (ENOSPC)"),
        ("{read_only}/id-map.csv", "error: cannot write {read_only}/id-map.csv: Read-only file system"),
    ],
)
def test_an_output_the_machine_cannot_take_is_exit_4(
    ws: Path, tmp_path: Path, where: str, expected: str
) -> None:
    with tmpfs(tmp_path / "full", "64k") as full, tmpfs(tmp_path / "ro", "64k") as read_only:
        fill(full)
        remount(read_only, "ro")
        places = {"full": str(full), "read_only": str(read_only)}
        run = run_cli(["mapping", "-w", str(ws), "-o", where.format(**places)], cli_env())
    assert run.code == 4, run.stderr
    [line] = error_lines(run.stderr)
    assert line.startswith(expected.format(**places)), line
    assert line.endswith("then run the same command again") and NOTHING_LOST in line


def test_a_read_only_workspace_refuses_writers_with_exit_4_and_still_serves_readers(
    template: Path, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "archive", "4m") as archive:
        ws = archive / "ws"
        shutil.copytree(template, ws)
        remount(archive, "ro")
        writer = run_cli(["init", "-w", str(ws), "--force"], cli_env())
        reader = run_cli(["mapping", "-w", str(ws), "-o", str(tmp_path / "map.csv")], cli_env())
    assert writer.code == 4, writer.stderr
    [line] = error_lines(writer.stderr)
    assert line.startswith(f"error: cannot open the workspace {ws}: Read-only file system. {NOTHING_LOST}")
    assert reader.code == 0, reader.stderr
    assert (tmp_path / "map.csv").read_text(encoding="utf-8").startswith("kind,")


# -- exit 5: a defect ---------------------------------------------------------------------------


def test_an_internal_error_is_exit_5_with_a_private_crash_report_and_no_secret(
    ws: Path, tmp_path: Path
) -> None:
    # A workspace whose schema was tampered with: the id map's query fails in a way no code expects.
    db = sqlite3.connect(ws / "workspace.db")
    db.execute("DROP TABLE ledger")
    db.commit()
    db.close()
    env = cli_env()
    # Secrets never come from argv; this one does, to show the report would not keep it.
    output = tmp_path / env["WORKOS_API_KEY"] / f"{HASH}.csv"
    run = run_cli(["mapping", "-w", str(ws), "-o", str(output)], env)

    assert run.code == 5, run.stderr
    [line] = error_lines(run.stderr)
    found = re.fullmatch(
        r"error: internal error \(OperationalError: no such table: ledger\); the crash report is "
        r"(\S+/crash-\d{8}T\d{6}\.txt)\. Nothing saved is lost; please report this with the crash report",
        line,
    )
    assert found, line
    report = Path(found.group(1))
    assert report.parent == ws
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "no such table: ledger" in text
    assert "versions: python " in text and ", stytch " in text and ", workos " in text
    assert "command: stytch2workos mapping -w" in text and "[redacted]" in text
    for secret in (env["WORKOS_API_KEY"], env["STYTCH_SECRET"], HASH, "c2FsdHNhbHRzYWx0c2FsdA"):
        assert secret not in text and secret not in run.stderr


def test_a_crash_report_goes_where_it_can(tmp_path: Path) -> None:
    workspace, cwd = tmp_path / "opened", tmp_path / "cwd"
    default = cwd / "stytch2workos-workspace"
    default.mkdir(parents=True)
    workspace.mkdir()
    assert crash_places(workspace, {}, cwd) == [workspace, None]
    # Crashed before the workspace was known, and no workspace in the current directory.
    assert crash_places(None, {}, cwd) == [None]
    (default / "workspace.db").write_bytes(b"")
    assert crash_places(None, {}, cwd) == [default, None]
    assert crash_places(tmp_path / "missing", {}, cwd) == [default, None]

    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    unwritable = tmp_path / "not-a-dir"
    unwritable.write_text("x")
    first = crash.write("report", [unwritable, None], when)
    assert first.name == "crash-20260102T030405.txt" and first.parent.name.startswith("stytch2workos-crash-")
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    second = crash.write("again", [first.parent], when)  # same second: both kept
    assert second.name == "crash-20260102T030405-2.txt" and first.read_text() == "report"


# -- exit 3: an API that cannot be reached ----------------------------------------------------------


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung server, a black-holed proxy)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("service", ["stytch", "workos"])
@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("refused", "connection refused"),
        ("dns", "DNS lookup failed ("),
        ("tls", "the TLS handshake failed ("),
        ("timeout", "timed out"),
    ],
)
def test_an_unreachable_service_is_one_line_naming_the_url_and_the_cause(
    ws: Path, tmp_path: Path, stytch_emu: Emulator, service: str, kind: str, cause: str
) -> None:
    config = tmp_path / "migration.toml"
    config.write_text("[pacing]\nmax_attempts = 1\ntimeout = 1\n")
    plain_http = stytch_emu.base_url.removeprefix("http://")
    with silent_port() as silent:
        url = {
            "refused": f"http://127.0.0.1:{closed_port()}",
            "dns": "http://stytch2workos-test.invalid",
            "tls": f"https://{plain_http}",
            "timeout": f"http://127.0.0.1:{silent}",
        }[kind]
        if service == "stytch":
            args = ["export", "-w", str(tmp_path / "new"), "--max-attempts", "1", "--timeout", "1"]
            result = runner.invoke(app, args, env=cli_env(STYTCH_BASE_URL=url))
        else:
            args = ["plan", "-w", str(ws), "--config", str(config)]
            result = runner.invoke(app, args, env=cli_env(WORKOS_BASE_URL=url))
    assert result.exit_code == 3, result.output
    [line] = error_lines(result.output)
    name = {"stytch": "Stytch", "workos": "WorkOS"}[service]
    assert line.startswith(
        f"error: gave up after 1 attempts: {name} network_error: cannot reach {url}: {cause}"
    )
    assert not any(internal in line for internal in LIBRARY_INTERNALS), line


# -- the causes, one by one ---------------------------------------------------------------------


def _sqlite_error(code: int, message: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` behind a tool error raised ``from None``, as the tool raises them."""
    try:
        try:
            raise inner
        except BaseException:
            raise RuntimeError("the tool's own message") from None
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "what"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on the device (ENOSPC)"),
        (OSError(errno.EDQUOT, "Disk quota exceeded", "/q/f"), "the disk quota is exceeded (EDQUOT)"),
        (_wrapped(OSError(errno.EIO, "Input/output error")), "an input/output error from the disk (EIO)"),
        (OSError(errno.EROFS, "Read-only file system"), "the file system is read-only (EROFS)"),
        (MemoryError(), "out of memory"),
        (OSError(errno.EACCES, "Permission denied"), None),  # a usage problem: exit 2
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), None),
        (ValueError("a defect"), None),
    ],
)
def test_os_causes(exc: BaseException, what: str | None) -> None:
    cause = os_cause(exc)
    assert (cause.what if cause else None) == what
    if cause and isinstance(exc, OSError) and exc.filename:
        assert cause.message().startswith(f"{exc.filename}: {what}. {NOTHING_LOST}: ")


@pytest.mark.parametrize(
    ("code", "what"),
    [
        (sqlite3.SQLITE_FULL, "the disk is full (database or disk is full)"),
        (sqlite3.SQLITE_IOERR, "an input/output error from the disk (disk I/O error)"),
        (
            sqlite3.SQLITE_IOERR | (4 << 8),
            "an input/output error from the disk (disk I/O error)",
        ),  # IOERR_WRITE
        (sqlite3.SQLITE_READONLY, None),  # on a writable file system: a write through a reader, a defect
        (sqlite3.SQLITE_ERROR, None),
    ],
)
def test_sqlite_storage_causes(tmp_path: Path, code: int, what: str | None) -> None:
    cause = storage_cause(_wrapped(_sqlite_error(code, "x")), tmp_path)
    assert (cause.what if cause else None) == what
    if cause:
        assert cause.path == str(tmp_path / "workspace.db")


def test_transport_cause_reads_the_standard_exception_underneath() -> None:
    assert transport_cause(_wrapped(socket.gaierror(-2, "Name or service not known"))) == (
        "DNS lookup failed (name or service not known)"
    )
    assert transport_cause(_wrapped(TimeoutError())) == "timed out"
    assert transport_cause(RuntimeError("no standard cause")) == "the connection failed"
    assert len(list(chain(_wrapped(ValueError())))) == 2

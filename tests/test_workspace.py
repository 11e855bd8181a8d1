from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import Emulator
from helpers import cli_env, run_cli, small_seed
from stytch2workos.cli.app import app
from stytch2workos.errors import WorkspaceError
from stytch2workos.workspace.core import DB_NAME, MIGRATIONS, Workspace


def test_new_workspace_is_private_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        assert ws._db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert ws._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for f in path.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    with Workspace(tmp_path), pytest.raises(WorkspaceError, match="in use"):
        Workspace(tmp_path)
    with Workspace(tmp_path):
        pass  # the lock is released on close


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    with Workspace(tmp_path):
        pass
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(WorkspaceError, match="newer than this stytch2workos"):
        Workspace(tmp_path)


def test_not_a_database(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkspaceError, match="not a usable workspace database"):
        Workspace(tmp_path)


def test_bound_to_one_project(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        ws.bind_project("project-test-a")
        ws.bind_project("project-test-a")
        with pytest.raises(WorkspaceError, match="belongs to Stytch project project-test-a"):
            ws.bind_project("project-test-b")


def test_no_snapshot_says_what_to_do(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws, pytest.raises(WorkspaceError, match="run `stytch2workos export` first"):
        ws.require_snapshot()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Workspace(tmp_path) as ws:
        with pytest.raises(RuntimeError), ws.transaction():
            ws.set_meta("k", "v")
            raise RuntimeError("boom")
        assert ws.get_meta("k") is None


def test_a_workspace_that_cannot_be_created_is_a_workspace_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match=r"cannot open the workspace .*Not a directory"):
        Workspace(tmp_path / "file" / "ws")


def test_an_existing_workspace_is_narrowed_to_owner_only(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with Workspace(tmp_path):
        pass
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


# -- readers beside the writer; nothing created by a command that only opens ------------------


def test_a_reader_runs_beside_the_writer_and_neither_blocks_the_other(tmp_path: Path) -> None:
    with Workspace(tmp_path) as writer:
        with writer.transaction():
            writer.set_meta("k", "committed")
        with writer.transaction():
            writer.set_meta("k", "in progress")
            # The writer holds the lock and an open write: a reader still opens, and sees the last commit.
            with Workspace(tmp_path, readonly=True) as reader:
                assert reader.get_meta("k") == "committed"
        with Workspace(tmp_path, readonly=True) as reader:
            assert reader.get_meta("k") == "in progress"
            # An open reader does not hold up the next commit, and sees it once made.
            with writer.transaction():
                writer.set_meta("k", "later")
            assert reader.get_meta("k") == "later"
            with pytest.raises(sqlite3.OperationalError, match="readonly"), reader.transaction():
                reader.set_meta("k", "from a reader")
            # A second writer is still refused.
            with pytest.raises(WorkspaceError, match="in use"):
                Workspace(tmp_path)


def test_a_reader_never_migrates_an_older_schema(tmp_path: Path) -> None:
    with Workspace(tmp_path):
        pass
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    db.close()
    with pytest.raises(WorkspaceError, match=r"older stytch2workos .* run a command that writes to it"):
        Workspace(tmp_path, readonly=True)
    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) - 1
    db.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(WorkspaceError, match="newer than this stytch2workos"):
        Workspace(tmp_path, readonly=True)


@pytest.mark.parametrize("how", [{"readonly": True}, {"create": False}])
@pytest.mark.parametrize("there", ["nothing", "an empty directory", "only a lock file"])
def test_opening_without_create_makes_nothing(tmp_path: Path, how: dict[str, bool], there: str) -> None:
    path = tmp_path / "ws"
    if there != "nothing":
        path.mkdir()
    if there == "only a lock file":
        (path / "workspace.lock").touch()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(WorkspaceError, match=r"^no workspace at .*/ws; run `stytch2workos export` first$"):
        Workspace(path, **how)
    assert sorted(tmp_path.rglob("*")) == before


def test_an_empty_database_file_is_no_workspace_to_a_reader(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"")  # an export killed before its first write
    with pytest.raises(WorkspaceError, match="no workspace at"):
        Workspace(tmp_path, readonly=True)


def _exported(tmp_path: Path) -> Path:
    seed = small_seed()
    data = tmp_path / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    path = tmp_path / "ws"
    result = CliRunner().invoke(app, ["export", "-w", str(path), "--from-json", str(data)], env=cli_env())
    assert result.exit_code == 0, result.output
    return path


def test_read_only_commands_run_while_import_holds_the_workspace(
    tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = _exported(tmp_path)
    env = cli_env(None, workos_emu.base_url)
    with Workspace(ws) as writer, writer.transaction():
        writer.set_meta("writing", "yes")  # the writer's lock, and a write under way
        mapping = run_cli(["mapping", "-w", str(ws), "-o", str(tmp_path / "map.csv")], env)
        plan = run_cli(["plan", "-w", str(ws), "--json"], env)
        init = run_cli(["init", "-w", str(ws)], env)
    assert mapping.code == 0, mapping.stderr
    assert plan.code in (0, 1), plan.stderr  # 1: the plan found blocking problems, which is fine here
    assert plan.json()["organizations"] and (ws / "plan.json").is_file()
    # Writers stay exclusive.
    assert init.code == 2 and "in use by another stytch2workos command" in init.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["mapping", "-o", "{tmp}/map.csv"],
        ["init"],
        ["import", "--yes"],
        ["passwords", "load", "{tmp}/hashes.csv"],
        ["passwords", "apply", "--yes"],
    ],
)
def test_only_export_creates_a_workspace(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nowhere" / "ws"
    result = CliRunner().invoke(
        app, [*(a.format(tmp=tmp_path) for a in args), "-w", str(missing)], env=cli_env()
    )
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: no workspace at {missing}; run `stytch2workos export` first"
    assert list(tmp_path.iterdir()) == []

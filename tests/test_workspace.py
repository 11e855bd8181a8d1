from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

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

"""The workspace: one directory, one SQLite database, one migration.

The database holds the Stytch snapshot (raw JSON kept losslessly beside the few
columns later steps query), export checkpoints, the import ledger and id map,
and imported password hashes. Schema changes are ordered migrations recorded in
``PRAGMA user_version``. WAL mode; one writer at a time, enforced with a lock
file so two runs cannot interleave. Directory 0700, files 0600: the database
holds secrets (OIDC client secrets, SAML private keys, password hashes).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stytch2workos.errors import WorkspaceError
from stytch2workos.private_files import private_dir, private_file

DB_NAME = "workspace.db"
LOCK_NAME = "workspace.lock"

MIGRATIONS: list[str] = [
    # 1: snapshot and export checkpoints
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY, source TEXT NOT NULL, started_at TEXT NOT NULL,
        finished_at TEXT, status TEXT NOT NULL DEFAULT 'running');
    CREATE TABLE organizations (
        snapshot_id INTEGER NOT NULL, organization_id TEXT NOT NULL, name TEXT NOT NULL,
        slug TEXT NOT NULL, external_id TEXT, raw TEXT NOT NULL);
    CREATE UNIQUE INDEX organizations_by_id ON organizations (snapshot_id, organization_id);
    -- Rows of about a kilobyte live in an append-ordered rowid table with small indexes
    -- beside it: keyed by id, every insert would reshuffle pages of large rows.
    CREATE TABLE members (
        snapshot_id INTEGER NOT NULL, member_id TEXT NOT NULL, organization_id TEXT NOT NULL,
        email TEXT NOT NULL, email_key TEXT NOT NULL, status TEXT NOT NULL, raw TEXT NOT NULL,
        facets TEXT NOT NULL DEFAULT '');
    CREATE UNIQUE INDEX members_by_id ON members (snapshot_id, member_id);
    CREATE INDEX members_by_email ON members (snapshot_id, email_key);
    CREATE INDEX members_by_org ON members (snapshot_id, organization_id);
    CREATE TABLE connections (
        snapshot_id INTEGER NOT NULL, connection_id TEXT NOT NULL, organization_id TEXT NOT NULL,
        kind TEXT NOT NULL, raw TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, connection_id)) WITHOUT ROWID;
    CREATE TABLE rbac_policy (snapshot_id INTEGER PRIMARY KEY, raw TEXT NOT NULL);
    CREATE TABLE checkpoints (
        snapshot_id INTEGER NOT NULL, stage TEXT NOT NULL, key TEXT NOT NULL,
        cursor TEXT, seen_cursors TEXT NOT NULL DEFAULT '[]', done INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (snapshot_id, stage, key)) WITHOUT ROWID;
    CREATE TABLE changes (
        snapshot_id INTEGER NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL,
        change TEXT NOT NULL, PRIMARY KEY (snapshot_id, entity, entity_id)) WITHOUT ROWID;
    """,
    # 2: import ledger, one row per source record and kind of write
    """
    CREATE TABLE ledger (
        kind TEXT NOT NULL, source_id TEXT NOT NULL, status TEXT NOT NULL,
        target_id TEXT, code TEXT, detail TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL, PRIMARY KEY (kind, source_id)) WITHOUT ROWID;
    CREATE INDEX ledger_by_status ON ledger (kind, status);
    """,
    # 3: password hashes from the support export, converted for WorkOS
    """
    CREATE TABLE password_hashes (
        member_id TEXT PRIMARY KEY, email_key TEXT, hash_method TEXT NOT NULL,
        workos_hash TEXT, workos_type TEXT, status TEXT NOT NULL, reason TEXT,
        loaded_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX password_hashes_by_email ON password_hashes (email_key);
    """,
    # 4: where each hash row came from and why it was refused; rows that could not be read
    """
    ALTER TABLE password_hashes ADD COLUMN code TEXT;
    ALTER TABLE password_hashes ADD COLUMN line_no INTEGER;
    CREATE INDEX password_hashes_by_status ON password_hashes (status, email_key);
    CREATE TABLE password_row_problems (
        line_no INTEGER PRIMARY KEY, member_id TEXT, code TEXT NOT NULL, reason TEXT NOT NULL);
    """,
]


def now_iso() -> str:
    """The moment rows are stamped with: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Workspace:
    """An open workspace. Use as a context manager; it holds the writer lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Worker threads share the one connection; they take turns through this lock.
        self.lock = threading.RLock()
        try:
            private_dir(path)
            private_file(path / LOCK_NAME)
            self._lock_file = open(path / LOCK_NAME, "a")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise WorkspaceError(f"cannot open the workspace {path}: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise WorkspaceError(
                f"workspace {path} is in use by another stytch2workos command; wait for it to finish"
            ) from None
        db_path = path / DB_NAME
        try:
            private_file(db_path)
            self._db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            self._lock_file.close()
            reason = exc.strerror if isinstance(exc, OSError) else exc
            raise WorkspaceError(f"cannot open {db_path}: {reason}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise WorkspaceError(f"{db_path} is not a usable workspace database: {exc}") from None
        except BaseException:
            self.close()
            raise
        for suffix in ("-wal", "-shm"):
            extra = path / (DB_NAME + suffix)
            if extra.exists():
                os.chmod(extra, 0o600)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._lock_file.close()

    def bulk_writes(self) -> None:
        """A 32 MiB page cache for long runs of inserts (snapshots): index pages stay hot.
        Other commands keep SQLite's small default so their memory does not grow with the data."""
        self._db.execute("PRAGMA cache_size=-32768")
        # Fold the write-ahead log into the database every ~256 MiB rather than every 4 MiB:
        # each fold syncs the file, and a bulk load would otherwise pay for it every commit.
        self._db.execute("PRAGMA wal_autocheckpoint=65536")

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise WorkspaceError(
                f"workspace schema version {version} is newer than this stytch2workos "
                f"understands ({len(MIGRATIONS)}); upgrade the tool"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: everything inside commits together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- meta -----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def bind_project(self, project_id: str) -> None:
        """Tie the workspace to one Stytch project; refuse a different one."""
        known = self.get_meta("stytch_project_id")
        if known is None:
            with self.transaction():
                self.set_meta("stytch_project_id", project_id)
        elif known != project_id:
            raise WorkspaceError(
                f"workspace {self.path} belongs to Stytch project {known}, not {project_id}; "
                "use another --workspace for another project"
            )

    # -- snapshot reads ---------------------------------------------------------------

    def latest_snapshot(self, status: str = "complete") -> int | None:
        row = self._db.execute(
            "SELECT id FROM snapshots WHERE status = ? ORDER BY id DESC LIMIT 1", (status,)
        ).fetchone()
        return None if row is None else int(row[0])

    def require_snapshot(self) -> int:
        """The latest complete snapshot, or a clear error telling the operator to export."""
        snapshot = self.latest_snapshot()
        if snapshot is None:
            raise WorkspaceError(
                f"workspace {self.path} has no complete snapshot yet: run `stytch2workos export` first"
            )
        return snapshot

    def organizations(self, snapshot: int) -> Iterator[dict[str, Any]]:
        for (raw,) in self._db.execute(
            "SELECT raw FROM organizations WHERE snapshot_id = ? ORDER BY organization_id",
            (snapshot,),
        ):
            yield json.loads(raw)

    def members(self, snapshot: int, organization_id: str | None = None) -> Iterator[dict[str, Any]]:
        if organization_id is None:
            cursor = self._db.execute(
                "SELECT raw FROM members WHERE snapshot_id = ? ORDER BY member_id", (snapshot,)
            )
        else:
            cursor = self._db.execute(
                "SELECT raw FROM members WHERE snapshot_id = ? AND organization_id = ? ORDER BY member_id",
                (snapshot, organization_id),
            )
        for (raw,) in cursor:
            yield json.loads(raw)

    def connections(self, snapshot: int) -> Iterator[tuple[str, dict[str, Any]]]:
        for kind, raw in self._db.execute(
            "SELECT kind, raw FROM connections WHERE snapshot_id = ? ORDER BY connection_id",
            (snapshot,),
        ):
            yield str(kind), json.loads(raw)

    def rbac_policy(self, snapshot: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT raw FROM rbac_policy WHERE snapshot_id = ?", (snapshot,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def count(self, table: str, snapshot: int) -> int:
        assert table in ("organizations", "members", "connections")
        row = self._db.execute(f"SELECT COUNT(*) FROM {table} WHERE snapshot_id = ?", (snapshot,)).fetchone()
        return int(row[0])

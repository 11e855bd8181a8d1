"""The workspace: one directory, one SQLite database, one migration.

The database holds the Stytch snapshot (raw JSON kept losslessly beside the few
columns later steps query), export checkpoints, the import ledger and id map,
and imported password hashes. Schema changes are ordered migrations recorded in
``PRAGMA user_version``. WAL mode; one writer at a time, enforced with a lock
file so two runs cannot interleave, and any number of readers beside it: a
reader takes no lock and reads the last commit while the writer goes on.
Directory 0700, files 0600: the database holds secrets (OIDC client secrets,
SAML private keys, password hashes).

Only ``export`` creates a workspace; every other command opens an existing one
and says so when there is none, leaving nothing behind.
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
from typing import Any, TextIO

from stytch2workos.causes import EnvironmentCause, chain
from stytch2workos.errors import EnvironmentFailure, WorkspaceError
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
    # 5: the file a snapshot is loaded from (its size, and how much of it the stored rows
    # came from with that part's SHA-256), and the records an export refused or adjusted
    """
    ALTER TABLE snapshots ADD COLUMN file_size INTEGER;
    ALTER TABLE snapshots ADD COLUMN file_loaded INTEGER;
    ALTER TABLE snapshots ADD COLUMN file_sha256 TEXT;
    CREATE TABLE record_problems (
        snapshot_id INTEGER NOT NULL, entity TEXT NOT NULL, record_id TEXT, organization_id TEXT,
        position INTEGER, code TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL);
    CREATE INDEX record_problems_by_snapshot ON record_problems (snapshot_id, action, entity, code);
    """,
    # 6: the SSO handoff: what WorkOS answered when each connection was recreated (the
    # URLs and certificates the customer's IdP takes; nothing secret), and the WorkOS events
    # the webhook receiver took in (each once)
    """
    CREATE TABLE connection_targets (
        source_id TEXT PRIMARY KEY, workos_id TEXT NOT NULL, details TEXT NOT NULL,
        recorded_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE workos_events (
        event_id TEXT PRIMARY KEY, event TEXT NOT NULL, object_id TEXT, organization_id TEXT,
        actor TEXT, created_at TEXT NOT NULL, received_at TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 7: verify (workspace/verify.py): each run's counts and exit code, and its findings
    """
    CREATE TABLE verify_runs (
        id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, snapshot INTEGER NOT NULL,
        scope TEXT, missing INTEGER NOT NULL DEFAULT 0, different INTEGER NOT NULL DEFAULT 0,
        unexpected INTEGER NOT NULL DEFAULT 0, exit_code INTEGER, list_calls INTEGER);
    CREATE TABLE verify_findings (
        run_id INTEGER NOT NULL, seq INTEGER NOT NULL, category TEXT NOT NULL, kind TEXT NOT NULL,
        key TEXT NOT NULL, workos_id TEXT, field TEXT NOT NULL, expected TEXT NOT NULL,
        found TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
    """,
    # 8: sync (workspace/sync.py): the values the migration last applied per entity, each
    # run, the conflicts found (live WorkOS values the migration did not write) and failures
    """
    CREATE TABLE sync_baseline (
        kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, key)) WITHOUT ROWID;
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY, mode TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        snapshot INTEGER, applied INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0, lag_seconds REAL);
    CREATE TABLE sync_conflicts (
        kind TEXT NOT NULL, key TEXT NOT NULL, field TEXT NOT NULL, baseline TEXT, live TEXT,
        desired TEXT, resolution TEXT NOT NULL, run_id INTEGER, recorded_at TEXT NOT NULL,
        PRIMARY KEY (kind, key, field)) WITHOUT ROWID;
    CREATE TABLE sync_failures (
        kind TEXT NOT NULL, key TEXT NOT NULL, action TEXT NOT NULL, code TEXT, detail TEXT NOT NULL,
        run_id INTEGER, recorded_at TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;
    """,
    # 9: rollback (workspace/rollback.py): one row per WorkOS entity a rollback undid or
    # decided about (sending, deleted, gone, kept, failed), so a rerun after kill -9 knows
    # which deletes were on the wire; the import ledger's row turns ``rolled_back`` with it
    """
    CREATE TABLE rollback_ledger (
        kind TEXT NOT NULL, source_id TEXT NOT NULL, target_id TEXT NOT NULL, status TEXT NOT NULL,
        code TEXT, detail TEXT, attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, source_id, target_id)) WITHOUT ROWID;
    CREATE INDEX rollback_ledger_by_status ON rollback_ledger (status, kind);
    """,
    # 10: Stytch webhook events taken in by `sync --listen` (each once, by Svix message id and
    # by Stytch event id), what became of each and how long after Stytch's change WorkOS was
    # written; and the deliveries refused (forged, stale, malformed), counted by reason
    """
    CREATE TABLE stytch_events (
        seq INTEGER PRIMARY KEY, msg_id TEXT NOT NULL UNIQUE, event_id TEXT UNIQUE,
        object_type TEXT NOT NULL, object_id TEXT NOT NULL, action TEXT NOT NULL,
        source TEXT NOT NULL, event_at TEXT NOT NULL, received_at TEXT NOT NULL,
        status TEXT NOT NULL, detail TEXT, applied_at TEXT, lag_seconds REAL);
    CREATE INDEX stytch_events_by_status ON stytch_events (status, seq);
    CREATE TABLE stytch_webhook_refusals (
        reason TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 11: verify after a rollback (verify_rollback.py): which check a run made ("migration"
    # or "rollback"), and its own counts, so status can say what the last verify meant
    """
    ALTER TABLE verify_runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'migration';
    ALTER TABLE verify_runs ADD COLUMN left_behind INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE verify_runs ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
    """,
]


# SQLite result codes (the low byte of an extended code) that mean the machine failed.
_STORAGE_CAUSES: dict[int, tuple[str, str]] = {
    sqlite3.SQLITE_FULL: (
        "the disk is full (database or disk is full)",
        "free some space (or raise the quota)",
    ),
    sqlite3.SQLITE_IOERR: ("an input/output error from the disk (disk I/O error)", "check the disk"),
    sqlite3.SQLITE_NOMEM: ("out of memory", "free some memory"),
}


def storage_cause(exc: BaseException, path: Path | None) -> EnvironmentCause | None:
    """The machine's failure behind a SQLite error from the workspace at ``path``, if that is what it was."""
    where = str(path / DB_NAME) if path is not None else None
    for item in chain(exc):
        code = getattr(item, "sqlite_errorcode", None) if isinstance(item, sqlite3.Error) else None
        if code is None:
            continue
        if code & 0xFF in _STORAGE_CAUSES:
            what, remedy = _STORAGE_CAUSES[code & 0xFF]
            return EnvironmentCause(what, remedy, where)
        # "attempt to write a readonly database" is also what a defect (a write through a
        # reader) gets: only the file system's own flag makes it the machine's doing.
        if code & 0xFF in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN) and _read_only_fs(path):
            return EnvironmentCause("the file system is read-only (EROFS)", "make it writable", where)
    return None


def _read_only_fs(path: Path | None) -> bool:
    try:
        return path is not None and bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _require_existing(path: Path) -> None:
    """Refuse, creating nothing, when ``path`` holds no workspace."""
    try:
        (path / DB_NAME).stat()
    except FileNotFoundError:
        raise WorkspaceError(f"no workspace at {path}; run `stytch2workos export` first") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot open the workspace {path}: {exc.strerror}") from None


def now_iso() -> str:
    """The moment rows are stamped with: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Workspace:
    """An open workspace. Use as a context manager; a writer holds the writer lock until closed."""

    def __init__(self, path: Path, *, create: bool = True, readonly: bool = False) -> None:
        """Open the workspace at ``path``: as its one writer, or with ``readonly`` as a reader.

        A writer brings the schema up to date and, with ``create``, makes the workspace if
        there is none. A reader never creates, locks, migrates or writes anything.
        """
        self.path = path
        self.readonly = readonly
        # Worker threads share the one connection; they take turns through this lock.
        self.lock = threading.RLock()
        self._lock_file: TextIO | None = None
        if readonly or not create:
            _require_existing(path)
        if readonly:
            self._db = self._open_reader()
            return
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
            cause = storage_cause(exc, path)
            if cause is not None:
                raise EnvironmentFailure(cause.message(f"cannot open {db_path}: {cause.what}")) from None
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

    def _open_reader(self) -> sqlite3.Connection:
        db_path = self.path / DB_NAME
        # mode=ro: SQLite itself refuses any write, so a reader cannot change the workspace.
        # On a read-only file system (an archived copy) SQLite cannot make the WAL's shared-
        # memory file, and nothing can be writing there anyway: read the file as it stands.
        query = "mode=ro&immutable=1" if _read_only_fs(self.path) else "mode=ro"
        try:
            db = sqlite3.connect(
                f"{db_path.absolute().as_uri()}?{query}",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open {db_path}: {exc}") from None
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            db.close()
            cause = storage_cause(exc, self.path)
            if cause is not None:
                raise EnvironmentFailure(cause.message(f"cannot read {db_path}: {cause.what}")) from None
            raise WorkspaceError(f"{db_path} is not a usable workspace database: {exc}") from None
        if version != len(MIGRATIONS):
            db.close()
            self._check_version(version)
            if version == 0:
                raise WorkspaceError(f"no workspace at {self.path}; run `stytch2workos export` first")
            raise WorkspaceError(
                f"workspace {self.path} was written by an older stytch2workos (schema {version} of "
                f"{len(MIGRATIONS)}); run a command that writes to it (`stytch2workos export`, `init` or "
                "`import`) once to upgrade it, then this one"
            )
        return db

    def _check_version(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise WorkspaceError(
                f"workspace schema version {version} is newer than this stytch2workos "
                f"understands ({len(MIGRATIONS)}); upgrade the tool"
            )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        if self._lock_file is not None:
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
        self._check_version(version)
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
            # SQLite may have rolled back already (a full disk does): the first error is the one to report.
            with contextlib.suppress(sqlite3.Error):
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

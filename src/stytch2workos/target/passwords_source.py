"""Hashes chosen by ``passwords load``, looked up per person at user creation."""

from __future__ import annotations

from collections.abc import Callable

from ..config import MigrationConfig
from ..workspace import Workspace


def password_lookup(ws: Workspace, config: MigrationConfig) -> Callable[[str], tuple[str, str] | None]:
    """email key → (WorkOS hash string, hash type) for the hash selected for that person."""
    del config  # the choice between a person's hashes was made when they were loaded

    def lookup(key: str) -> tuple[str, str] | None:
        with ws.lock:
            row = ws.db.execute(
                "SELECT workos_hash, workos_type FROM password_hashes WHERE email_key = ? AND status = 'selected'",
                (key,),
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    return lookup

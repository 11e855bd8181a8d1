"""Hashes chosen by ``passwords load``, looked up per person at user creation.

A hash that reached WorkOS is recorded in the ledger under kind ``password``
(source id: the person's email key), with a fingerprint of the hash string, so
``passwords apply`` neither resends it nor misses a hash a later load changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from stytch2workos.workspace import Workspace
from stytch2workos.workspace.hashes import HashStore
from stytch2workos.workspace.ledger import Ledger

PASSWORD_KIND = "password"
WITH_USER = "with_user"  # sent in the create-user request
UPDATED = "update_user"  # set later by ``passwords apply``


def password_lookup(ws: Workspace) -> Callable[[str], tuple[str, str] | None]:
    """email key → (WorkOS hash string, hash type) for the hash selected for that person.

    The choice between a person's hashes (``[passwords] conflict_rule``) was made when
    they were loaded.
    """
    return HashStore(ws).selected_hash


def hash_fingerprint(workos_hash: str) -> str:
    """A short digest that tells two hash strings apart (kept in the ledger, never shown)."""
    return "sha256:" + hashlib.sha256(workos_hash.encode("utf-8")).hexdigest()[:32]


def record_carried_hash(ledger: Ledger, key: str, user_id: str, workos_hash: str) -> None:
    """Note that the user was created with this hash, if the import did create it.

    A reused user (one that already existed in WorkOS) did not get the hash, so
    nothing is recorded and ``passwords apply`` will set it. A recovered user (found
    after the create's answer was lost) was made by that create, with the hash.
    """
    entry = ledger.get("user", key)
    if entry is not None and entry.status in ("created", "recovered"):
        ledger.record(PASSWORD_KIND, key, "created", user_id, WITH_USER, hash_fingerprint(workos_hash))

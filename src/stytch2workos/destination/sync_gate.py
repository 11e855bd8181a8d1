"""Whether a refresh cycle needs import's stages at all.

On a cycle with nothing new in Stytch, import's stages would walk every person of the
snapshot only to find each one in the ledger (and the roles stage would read WorkOS's
roles). Import has work only when the ledger lacks something the snapshot holds, when the
RBAC policy wants a permission or role the ledger lacks, or when the configuration its
decisions depend on changed since they last ran; otherwise the stage is skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from stytch2workos.config import MigrationConfig, StatusPolicy
from stytch2workos.transform.rbac import desired_rbac
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import sync as store
from stytch2workos.workspace.ledger import DONE, Ledger, org_role_key

# The ledger kind a member of each status policy gets (transform/records.plan_person).
_KIND: dict[StatusPolicy, str] = {"import": "membership", "invite": "invitation", "skip": "skip"}


def config_fingerprint(config: MigrationConfig) -> str:
    """A digest of what import's decisions depend on (pacing and [sync] left out)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (set, frozenset)):
            return sorted(map(str, value))
        return str(value)

    decisions = dataclasses.replace(config, pacing=type(config.pacing)(), sync=type(config.sync)())
    text = json.dumps(dataclasses.asdict(decisions), sort_keys=True, default=plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _roles_pending(ws: Workspace, snapshot: int, config: MigrationConfig) -> bool:
    """Whether the roles stage would look for any permission or role (ledger only, no WorkOS reads)."""
    # As the roles stage's own desired_for, without importing the WorkOS SDK it needs.
    desired = desired_rbac(
        ws.rbac_policy(snapshot), ws.organizations(snapshot), config.role_map, config.permissions
    )
    ledger = Ledger(ws)
    keys = [("permission", k) for p in desired.permissions for k in p.sources]
    keys += [("role", k) for r in desired.roles for k in r.sources]
    keys += [
        ("org_role", org_role_key(org_id, s))
        for org_id, roles in desired.org_roles_by_org().items()
        for r in roles
        for s in r.sources
    ]
    for kind, key in keys:
        entry = ledger.get(kind, key)
        if entry is None or (entry.status not in DONE and entry.status != "failed"):
            return True
    return False


def import_needed(ws: Workspace, snapshot: int, config: MigrationConfig) -> bool:
    """Whether running import's stages on ``snapshot`` could send or record anything."""
    if store.import_config_changed(ws, config_fingerprint(config)):
        return True
    if store.import_needed(ws, snapshot, _KIND[config.invited], _KIND[config.pending]):
        return True
    return _roles_pending(ws, snapshot, config)


def note_imported(ws: Workspace, config: MigrationConfig) -> None:
    """Import's stages completed under ``config``: later cycles compare against it."""
    store.note_import_config(ws, config_fingerprint(config))

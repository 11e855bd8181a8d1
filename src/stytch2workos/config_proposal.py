"""The first ``migration.toml``: a WorkOS slug proposed for every Stytch role in the snapshot.

Shared by ``init`` and ``migrate`` (which writes it when there is none, then stops so a
person reviews it). Reads the workspace; writes the one owner-only file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stytch2workos.config import CONFIG_NAME
from stytch2workos.config_text import render_config
from stytch2workos.errors import ConfigError
from stytch2workos.private_files import open_private_text
from stytch2workos.transform.rbac import permission_keys
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.snapshot import role_counts


def propose_config(ws: Workspace, snapshot: int) -> str:
    """The text of a ``migration.toml`` for ``snapshot``: every role, with its holders counted."""
    counts = role_counts(ws, snapshot)
    policy = ws.rbac_policy(snapshot) or {}
    descriptions = {str(r.get("role_id")): str(r.get("description", "")) for r in policy.get("roles", [])}
    for role in descriptions:
        counts.setdefault(role, 0)
    # Organizations' own roles: kept apart for their org- slugs and the permissions they grant.
    custom: list[dict[str, Any]] = []
    custom_ids: set[str] = set()
    for org in ws.organizations(snapshot):
        roles = [r for r in org.get("custom_roles") or [] if isinstance(r, dict)]
        if roles:
            custom.append({"custom_roles": roles})
        for custom_role in roles:
            role_id = str(custom_role.get("role_id"))
            custom_ids.add(role_id)
            counts.setdefault(role_id, 0)
            descriptions.setdefault(role_id, str(custom_role.get("description", "")))
    org_only = custom_ids - {str(r.get("role_id")) for r in policy.get("roles", [])}
    return render_config(counts, descriptions, org_only, permission_keys(policy, custom))


def write_proposed_config(ws: Workspace, force: bool = False) -> Path:
    """Write the workspace's ``migration.toml``; an existing one is kept unless ``force``."""
    snapshot = ws.require_snapshot()
    path = ws.path / CONFIG_NAME
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; edit it, or pass --force to overwrite it")
    text = propose_config(ws, snapshot)
    with open_private_text(path) as out:
        out.write(text)
    return path

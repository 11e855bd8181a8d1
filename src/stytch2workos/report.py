"""Summaries of what is in the workspace, as plain data for the terminal and ``--json``."""

from __future__ import annotations

from typing import Any

from stytch2workos.workspace import Workspace
from stytch2workos.workspace import summary as counts

AUTH_METHODS = ("password", "sso", "oauth", "totp_mfa", "sms_mfa")


def snapshot_summary(ws: Workspace, snapshot: int) -> dict[str, Any]:
    """Counts by organization, status, role and auth method; no secrets, no emails."""
    by_status = counts.members_by_status(ws, snapshot)
    tags = counts.facet_counts(ws, snapshot)

    def group(prefix: str) -> dict[str, int]:
        return {t[len(prefix) :]: n for t, n in tags.most_common() if t.startswith(prefix)}

    methods = group("auth:")
    per_org = [
        {"organization_id": oid, "name": name, "members": n}
        for oid, name, n in counts.members_per_organization(ws, snapshot)
    ]
    policy = ws.rbac_policy(snapshot) or {}
    info = counts.snapshot_info(ws, snapshot)
    return {
        "snapshot": {
            "id": snapshot,
            "source": info.source,
            "started_at": info.started_at,
            "finished_at": info.finished_at,
        },
        "organizations": len(per_org),
        "members": sum(by_status.values()),
        "people": counts.live_people(ws, snapshot),
        "members_by_status": by_status,
        "members_by_role": group("role:"),
        "members_by_auth_method": {m: methods.get(m, 0) for m in AUTH_METHODS},
        "oauth_providers": group("oauth:"),
        "connections": counts.connections_by_kind(ws, snapshot),
        "rbac_roles": len(policy.get("roles", [])),
        "members_by_organization": per_org,
        "changes_since_previous": counts.changes(ws, snapshot),
    }

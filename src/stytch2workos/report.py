"""Summaries of what is in the workspace, as plain data for the terminal and ``--json``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .workspace import Workspace


def _pairs(ws: Workspace, sql: str, params: tuple[Any, ...]) -> dict[str, int]:
    return {str(k): int(v) for k, v in ws.db.execute(sql, params) if k is not None}


def snapshot_summary(ws: Workspace, snapshot: int) -> dict[str, Any]:
    """Counts by organization, status, role and auth method; no secrets, no emails."""
    p = (snapshot,)
    by_status = _pairs(ws, "SELECT status, COUNT(*) FROM members WHERE snapshot_id = ? GROUP BY 1", p)
    tags: Counter[str] = Counter()
    live = ws.db.execute("SELECT facets FROM members WHERE snapshot_id = ? AND status != 'deleted'", p)
    while chunk := live.fetchmany(20_000):
        tags.update(" ".join(f for (f,) in chunk).split())
    # Deleted members still count in the roles table, not among sign-in methods.
    for (row_facets,) in ws.db.execute(
        "SELECT facets FROM members WHERE snapshot_id = ? AND status = 'deleted'", p
    ):
        tags.update(t for t in row_facets.split() if t.startswith("role:"))

    def group(prefix: str) -> dict[str, int]:
        found = {t[len(prefix) :]: n for t, n in tags.most_common() if t.startswith(prefix)}
        return found

    by_role = group("role:")
    methods = group("auth:")
    by_auth = {m: methods.get(m, 0) for m in ("password", "sso", "oauth", "totp_mfa", "sms_mfa")}
    by_provider = group("oauth:")
    per_org = [
        {"organization_id": oid, "name": name, "members": int(n)}
        for oid, name, n in ws.db.execute(
            "SELECT o.organization_id, o.name, COUNT(m.member_id) FROM organizations o "
            "LEFT JOIN members m ON m.snapshot_id = o.snapshot_id AND m.organization_id = o.organization_id "
            "WHERE o.snapshot_id = ? GROUP BY o.organization_id ORDER BY 3 DESC, 1",
            p,
        )
    ]
    people = ws.db.execute(
        "SELECT COUNT(DISTINCT email_key) FROM members WHERE snapshot_id = ? AND status != 'deleted'", p
    ).fetchone()[0]
    connections = _pairs(ws, "SELECT kind, COUNT(*) FROM connections WHERE snapshot_id = ? GROUP BY 1", p)
    changes = _pairs(
        ws,
        "SELECT entity || 's_' || change, COUNT(*) FROM changes WHERE snapshot_id = ? GROUP BY 1",
        p,
    )
    policy = ws.rbac_policy(snapshot) or {}
    row = ws.db.execute("SELECT source, started_at, finished_at FROM snapshots WHERE id = ?", p).fetchone()
    return {
        "snapshot": {"id": snapshot, "source": row[0], "started_at": row[1], "finished_at": row[2]},
        "organizations": len(per_org),
        "members": sum(by_status.values()),
        "people": int(people),
        "members_by_status": by_status,
        "members_by_role": by_role,
        "members_by_auth_method": by_auth,
        "oauth_providers": by_provider,
        "connections": connections,
        "rbac_roles": len(policy.get("roles", [])),
        "members_by_organization": per_org,
        "changes_since_previous": changes,
    }

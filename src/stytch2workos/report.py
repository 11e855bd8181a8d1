"""Summaries of what is in the workspace, as plain data for the terminal and ``--json``."""

from __future__ import annotations

from typing import Any

from .workspace import Workspace


def _pairs(ws: Workspace, sql: str, params: tuple[Any, ...]) -> dict[str, int]:
    return {str(k): int(v) for k, v in ws.db.execute(sql, params) if k is not None}


def snapshot_summary(ws: Workspace, snapshot: int) -> dict[str, Any]:
    """Counts by organization, status, role and auth method; no secrets, no emails."""
    p = (snapshot,)
    by_status = _pairs(ws, "SELECT status, COUNT(*) FROM members WHERE snapshot_id = ? GROUP BY 1", p)
    by_role = _pairs(
        ws,
        "SELECT json_extract(r.value, '$.role_id'), COUNT(*) FROM members m, json_each(m.raw, '$.roles') r "
        "WHERE m.snapshot_id = ? GROUP BY 1 ORDER BY 2 DESC",
        p,
    )
    methods = ws.db.execute(
        "SELECT "
        "SUM(json_extract(raw, '$.member_password_id') != ''), "
        "SUM(json_array_length(raw, '$.sso_registrations') > 0), "
        "SUM(json_array_length(raw, '$.oauth_registrations') > 0), "
        "SUM(json_extract(raw, '$.totp_registration_id') != ''), "
        "SUM(json_extract(raw, '$.mfa_phone_number') != '') "
        "FROM members WHERE snapshot_id = ? AND status != 'deleted'",
        p,
    ).fetchone()
    by_auth = dict(
        zip(("password", "sso", "oauth", "totp_mfa", "sms_mfa"), (int(v or 0) for v in methods), strict=True)
    )
    by_provider = _pairs(
        ws,
        "SELECT json_extract(o.value, '$.provider_type'), COUNT(*) FROM members m, "
        "json_each(m.raw, '$.oauth_registrations') o WHERE m.snapshot_id = ? AND m.status != 'deleted' "
        "GROUP BY 1",
        p,
    )
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

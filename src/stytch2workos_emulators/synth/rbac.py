"""The RBAC side of a synthetic project: the project policy and organization-scoped roles.

Stytch's two default roles are always in the policy; the custom roles and resources below
are an invented document-collaboration product.
"""

from __future__ import annotations

from stytch2workos_emulators.synth.common import Json

MEMBER_ROLE = "stytch_member"
ADMIN_ROLE = "stytch_admin"
# Project-level custom roles members can be given directly or through implicit rules.
CUSTOM_ROLES = ("editor", "viewer", "billing_viewer", "billing_admin", "auditor", "project_manager")

# IdP group names and the role an implicit group assignment grants for them; "IT Admins"
# grants stytch_admin, so some admins are admins only through their IdP group.
GROUP_ROLES = (
    ("Engineering", "editor"),
    ("Finance", "billing_viewer"),
    ("Finance Leads", "billing_admin"),
    ("IT Admins", ADMIN_ROLE),
    ("Auditors", "auditor"),
    ("Everyone", "viewer"),
    ("Project Leads", "project_manager"),
)

_RESOURCES = (
    ("documents", "Documents and folders", ["read", "write", "share", "delete"]),
    ("billing", "Invoices, payment methods and plans", ["read", "manage"]),
    ("reports", "Usage and audit reports", ["read", "export"]),
    ("projects", "Projects that group documents", ["create", "read", "update", "archive"]),
)

_ROLES = (
    (
        MEMBER_ROLE,
        "Granted to every member when it is created.",
        [("stytch.self", ["*"])],
    ),
    (
        ADMIN_ROLE,
        "Granted to members who create an organization; manages the organization.",
        [
            ("stytch.organization", ["*"]),
            ("stytch.member", ["*"]),
            ("stytch.sso", ["*"]),
            ("stytch.scim", ["*"]),
        ],
    ),
    ("editor", "Edits and shares documents.", [("documents", ["read", "write", "share"])]),
    ("viewer", "Reads documents and projects.", [("documents", ["read"]), ("projects", ["read"])]),
    ("billing_viewer", "Sees invoices and plans.", [("billing", ["read"])]),
    ("billing_admin", "Manages payment methods and plans.", [("billing", ["*"])]),
    ("auditor", "Reads and exports reports.", [("reports", ["read", "export"])]),
    (
        "project_manager",
        "Runs projects end to end.",
        [("projects", ["*"]), ("documents", ["read", "write"])],
    ),
)

_SCOPES = (
    ("read:documents", "Read documents", [("documents", ["read"])]),
    ("write:documents", "Create and edit documents", [("documents", ["read", "write"])]),
    ("read:reports", "Read reports", [("reports", ["read"])]),
)

# Organization-scoped roles; their ids never reuse a project role id, as Stytch requires.
_ORG_ROLES = (
    ("support_agent", "Answers customer tickets.", [("documents", ["read"]), ("reports", ["read"])]),
    ("contractor", "Time-boxed access to assigned projects.", [("projects", ["read"])]),
    ("regional_manager", "Manages a region's projects.", [("projects", ["*"])]),
    ("finance_approver", "Approves invoices.", [("billing", ["read", "manage"])]),
)
ORG_ROLE_IDS = tuple(role_id for role_id, _, _ in _ORG_ROLES)


def _permissions(grants: list[tuple[str, list[str]]]) -> list[Json]:
    return [{"resource_id": resource, "actions": list(actions)} for resource, actions in grants]


def project_policy() -> Json:
    """The project's RBAC policy as ``GET /v1/b2b/rbac/policy`` returns it (a fresh copy)."""
    return {
        "roles": [
            {"role_id": role_id, "description": text, "permissions": _permissions(grants)}
            for role_id, text, grants in _ROLES
        ],
        "resources": [
            {"resource_id": resource_id, "description": text, "actions": list(actions)}
            for resource_id, text, actions in _RESOURCES
        ],
        "scopes": [
            {"scope": scope, "description": text, "permissions": _permissions(grants)}
            for scope, text, grants in _SCOPES
        ],
    }


def org_custom_roles(role_ids: tuple[str, ...]) -> list[Json]:
    """The organization-level ``custom_roles`` entries for the given org role ids."""
    by_id = {role_id: (text, grants) for role_id, text, grants in _ORG_ROLES}
    return [
        {"role_id": role_id, "description": by_id[role_id][0], "permissions": _permissions(by_id[role_id][1])}
        for role_id in role_ids
    ]

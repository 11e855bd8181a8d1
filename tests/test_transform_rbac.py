"""Stytch's RBAC → WorkOS permissions and roles: pure, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.transform.rbac import (
    DesiredRbac,
    ImplicitRule,
    PermissionSpec,
    RbacIssue,
    RoleSpec,
    desired_rbac,
    implicit_rules,
    permission_keys,
    permission_slug_problem,
    propose_org_role_slug,
    propose_permission_slug,
    propose_role_slug,
    role_slug_problem,
)

ORG_A, ORG_B = "organization-test-a", "organization-test-b"


def grant(resource: str, *actions: str) -> dict[str, Any]:
    return {"resource_id": resource, "actions": list(actions)}


def role(role_id: str, *grants: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"role_id": role_id, "description": description, "permissions": list(grants)}


POLICY: dict[str, Any] = {
    "roles": [
        role("stytch_member", grant("stytch.self", "*"), grant("documents", "read")),
        role("stytch_admin", grant("stytch.organization", "*"), grant("stytch.member", "*")),
        role("editor", grant("documents", "read", "write"), description="Edits documents"),
        role("billing_admin", grant("billing", "*")),
    ],
    "resources": [
        {"resource_id": "documents", "description": "Docs", "actions": ["read", "write", "delete"]},
        {"resource_id": "billing", "description": "Money", "actions": ["read", "manage", "*"]},
    ],
    "scopes": [],
}
MAP = (
    ("stytch_admin", "admin"),
    ("billing_admin", "billing-admin"),
    ("editor", "editor"),
    ("support", "org-support"),
    ("stytch_member", "member"),
)


def org(org_id: str, *roles: dict[str, Any]) -> dict[str, Any]:
    return {"organization_id": org_id, "organization_name": org_id, "custom_roles": list(roles)}


def desired(
    policy: dict[str, Any] | None = POLICY,
    orgs: tuple[dict[str, Any], ...] = (),
    role_map: tuple[tuple[str, str], ...] = MAP,
    permission_map: dict[str, str] | None = None,
) -> DesiredRbac:
    return desired_rbac(policy, list(orgs), role_map, permission_map or {})


def codes(result: DesiredRbac) -> list[tuple[str, str]]:
    return sorted((i.code, i.subject) for i in result.issues)


# -- slug rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "organization", "says"),
    [
        ("editor", False, None),
        ("data_team-2", False, None),
        ("org-editor", True, None),
        ("org-" + "a" * 44, True, None),  # 48: the limit
        ("a" * 49, False, "49 characters"),
        ("org-" + "a" * 45, True, "49 characters"),
        ("Editor", False, "lower-case"),
        ("edit or", False, "lower-case"),
        ("editor", True, "'org-' then"),
        ("org-", True, "'org-' then"),
        ("org-Bad", True, "'org-' then"),
        ("org-editor", False, "starts organization role slugs only"),
    ],
)
def test_role_slug_rules(slug: str, organization: bool, says: str | None) -> None:
    problem = role_slug_problem(slug, organization=organization)
    assert (problem is None) == (says is None)
    if says is not None:
        assert problem is not None and says in problem


@pytest.mark.parametrize(
    ("slug", "says"),
    [
        ("documents:read", None),
        ("docs.v2:export.csv", None),
        ("billing:*", None),
        ("a_b-c:d", None),
        ("x" * 48, None),
        ("x" * 49, "49 characters"),
        ("Documents:read", "lower-case"),
        ("documents read", "lower-case"),
        ("documents/read", "lower-case"),
    ],
)
def test_permission_slug_rules(slug: str, says: str | None) -> None:
    problem = permission_slug_problem(slug)
    assert (problem is None) == (says is None)
    if says is not None:
        assert problem is not None and says in problem


@pytest.mark.parametrize(
    ("name", "env", "org_slug"),
    [
        ("editor", "editor", "org-editor"),
        ("Data Team", "data-team", "org-data-team"),
        ("__ops__", "ops", "org-ops"),
        ("org-reviewer", "org-reviewer", "org-reviewer"),  # not org-org-
        ("管理者", "member", "org-role"),
    ],
)
def test_proposed_role_slugs(name: str, env: str, org_slug: str) -> None:
    assert propose_role_slug(name) == env
    assert propose_org_role_slug(name) == org_slug
    assert role_slug_problem(org_slug, organization=True) is None


@pytest.mark.parametrize(
    ("key", "slug"),
    [
        ("documents:read", "documents:read"),
        ("Reports:Export", "reports:export"),
        ("stytch.organization:update.info.name", "stytch.organization:update.info.name"),
        ("my resource:read/all", "my-resource:read-all"),
        ("billing:*", "billing:*"),
    ],
)
def test_proposed_permission_slugs(key: str, slug: str) -> None:
    assert propose_permission_slug(key) == slug


# -- what the migration wants --------------------------------------------------------------


def test_environment_roles_and_their_permissions() -> None:
    result = desired()
    assert result.permissions == (
        PermissionSpec("documents:read", "documents:read", "Docs", ("documents:read",)),
        PermissionSpec("documents:write", "documents:write", "Docs", ("documents:write",)),
        # "*" means every action the resource lists (its own "*" is not an action).
        PermissionSpec("billing:read", "billing:read", "Money", ("billing:read",)),
        PermissionSpec("billing:manage", "billing:manage", "Money", ("billing:manage",)),
    )
    # Priority order of the map; stytch.* grants are not carried.
    assert result.roles == (
        RoleSpec("admin", "stytch_admin", None, (), ("stytch_admin",)),
        RoleSpec(
            "billing-admin", "billing_admin", None, ("billing:read", "billing:manage"), ("billing_admin",)
        ),
        RoleSpec("editor", "editor", "Edits documents", ("documents:read", "documents:write"), ("editor",)),
        RoleSpec("member", "stytch_member", None, ("documents:read",), ("stytch_member",)),
    )
    assert result.org_roles == ()
    assert codes(result) == [
        ("stytch_resource", "stytch_admin"),
        ("stytch_resource", "stytch_admin"),
        ("stytch_resource", "stytch_member"),
    ]


def test_organization_roles_per_organization() -> None:
    orgs = (
        org(ORG_A, role("support", grant("documents", "read"), grant("billing", "read"))),
        org(ORG_B, role("support", grant("documents", "*")), role("not_in_map", grant("billing", "manage"))),
        org("organization-test-c"),
    )
    result = desired(orgs=orgs)
    assert result.org_roles == (
        RoleSpec("org-support", "support", None, ("documents:read", "billing:read"), ("support",), ORG_A),
        RoleSpec(
            "org-support",
            "support",
            None,
            ("documents:read", "documents:write", "documents:delete"),
            ("support",),
            ORG_B,
        ),
    )
    assert result.org_role_slugs(ORG_B) == frozenset({"org-support"})
    # Only what a migrated role holds becomes a permission.
    assert "documents:delete" in {p.slug for p in result.permissions}
    assert sorted(result.org_roles_by_org()) == [ORG_A, ORG_B]


def test_a_role_left_out_of_the_map_is_not_created_nor_its_permissions() -> None:
    policy = {**POLICY, "roles": [*POLICY["roles"], role("auditor", grant("reports", "read"))]}
    result = desired(policy)
    assert "auditor" not in {s for r in result.roles for s in r.sources}
    assert "reports:read" not in {p.slug for p in result.permissions}


def test_the_permission_map_renames_and_a_collision_is_reported_then_merged() -> None:
    result = desired(permission_map={"documents:write": "documents:read"})
    assert ("slug_collision", "documents:read") in codes(result)
    merged = next(p for p in result.permissions if p.slug == "documents:read")
    assert merged.sources == ("documents:read", "documents:write")
    editor = next(r for r in result.roles if r.slug == "editor")
    assert editor.permissions == ("documents:read",)


def test_two_roles_on_one_slug_are_a_collision_holding_both_permission_sets() -> None:
    policy = {
        "roles": [role("Data Team", grant("documents", "read")), role("data-team", grant("billing", "read"))],
        "resources": POLICY["resources"],
    }
    result = desired(policy, role_map=(("data-team", "data-team"), ("Data Team", "data-team")))
    assert [i for i in result.issues if i.code == "slug_collision"] == [
        RbacIssue("slug_collision", "data-team", "data-team, Data Team")
    ]
    (merged,) = result.roles
    # The first in the map's priority order names it; the permissions of both are kept.
    assert (merged.name, merged.sources) == ("data-team", ("data-team", "Data Team"))
    assert merged.permissions == ("billing:read", "documents:read")


def test_the_same_slug_in_two_organizations_is_no_collision() -> None:
    orgs = (org(ORG_A, role("support", grant("documents", "read"))), org(ORG_B, role("support")))
    assert codes(desired(orgs=orgs)) == codes(desired())


@pytest.mark.parametrize(
    ("role_map", "permission_map", "subject", "says"),
    [
        # A project role cannot take an org- slug, an organization's own role must.
        ((("editor", "org-editor"),), {}, "org-editor", "starts organization role slugs only"),
        ((("support", "support"),), {}, "support", "'org-' then"),
        ((("editor", "e" * 49),), {}, "e" * 49, "49 characters"),
        (
            (("editor", "editor"),),
            {"documents:write": "documents:" + "w" * 40},
            "documents:" + "w" * 40,
            "50 characters",
        ),
    ],
)
def test_an_invalid_slug_is_reported_and_left_out(
    role_map: tuple[tuple[str, str], ...], permission_map: dict[str, str], subject: str, says: str
) -> None:
    result = desired(
        orgs=(org(ORG_A, role("support", grant("documents", "read"))),),
        role_map=role_map,
        permission_map=permission_map,
    )
    invalid = [i for i in result.issues if i.code == "invalid_slug"]
    assert [i.subject for i in invalid] == [subject] and says in invalid[0].detail
    assert subject not in {r.slug for r in (*result.roles, *result.org_roles)}
    assert subject not in {p.slug for p in result.permissions}
    assert all(subject not in r.permissions for r in result.roles)


def test_a_wildcard_on_an_undefined_resource_is_reported() -> None:
    policy = {"roles": [role("editor", grant("ghost", "*", "read"))], "resources": []}
    result = desired(policy, role_map=(("editor", "editor"),))
    assert codes(result) == [("unknown_resource", "editor")]
    assert result.roles[0].permissions == ("ghost:read",)


@pytest.mark.parametrize(
    "policy",
    [
        None,
        {},
        {"roles": "not a list", "resources": None},
        {"roles": [None, 3, {"role_id": ""}, {"description": "no id"}], "resources": [{"actions": ["x"]}]},
        {"roles": [{"role_id": "editor", "permissions": [{"actions": ["read"]}, {"resource_id": "d"}, 7]}]},
    ],
)
def test_a_malformed_policy_gives_what_it_can(policy: dict[str, Any] | None) -> None:
    result = desired(policy, role_map=(("editor", "editor"),))
    assert result.permissions == ()
    assert [r.permissions for r in result.roles] in ([], [()])


def test_names_and_descriptions_fit_workos_limits() -> None:
    long_id = "r" * 60
    policy = {"roles": [role(long_id, description="line one\nline two " + "x" * 200)], "resources": []}
    (spec,) = desired(policy, role_map=((long_id, "long"),)).roles
    assert len(spec.name) == 48 and spec.name.endswith("…")
    assert spec.description is not None and len(spec.description) == 150
    assert "\n" not in spec.description


def test_permission_keys_lists_every_grant_once_in_first_seen_order() -> None:
    orgs = [org(ORG_A, role("support", grant("reports", "read"), grant("documents", "read")))]
    assert permission_keys(POLICY, orgs) == [
        "documents:read",
        "documents:write",
        "billing:read",
        "billing:manage",
        "reports:read",
    ]


# -- implicit role rules ---------------------------------------------------------------------


def test_implicit_rules_of_every_kind_in_scope() -> None:
    orgs = [
        {
            **org(ORG_A),
            "rbac_email_implicit_role_assignments": [{"domain": "a.example", "role_id": "editor"}],
        },
        {
            **org(ORG_B),
            "rbac_email_implicit_role_assignments": [{"domain": "b.example", "role_id": "editor"}],
        },
    ]
    connections: list[tuple[str, dict[str, Any]]] = [
        (
            "saml",
            {
                "organization_id": ORG_A,
                "connection_id": "saml-1",
                "saml_connection_implicit_role_assignments": [{"role_id": "viewer"}],
                "saml_group_implicit_role_assignments": [{"role_id": "billing_admin", "group": "Finance"}],
            },
        ),
        (
            "scim",
            {
                "organization_id": ORG_A,
                "connection_id": "scim-1",
                "scim_group_implicit_role_assignments": [
                    {"role_id": "editor", "group_id": "g1", "group_name": "Engineering"}
                ],
            },
        ),
        (
            "external",
            {
                "organization_id": ORG_A,
                "connection_id": "ext-1",
                "external_connection_implicit_role_assignments": [{"role_id": "viewer"}],
                "external_group_implicit_role_assignments": [{"role_id": "editor", "group": "Eng"}],
            },
        ),
        ("oidc", {"organization_id": ORG_A, "connection_id": "oidc-1"}),
        (
            "saml",
            {
                "organization_id": ORG_B,
                "connection_id": "saml-2",
                "saml_connection_implicit_role_assignments": "x",
            },
        ),
    ]
    assert implicit_rules(orgs, connections, frozenset({ORG_A})) == [
        ImplicitRule(ORG_A, "email_domain", "a.example", "editor"),
        ImplicitRule(ORG_A, "saml_connection", "saml-1", "viewer"),
        ImplicitRule(ORG_A, "saml_group", "Finance", "billing_admin"),
        ImplicitRule(ORG_A, "scim_group", "Engineering", "editor"),
        ImplicitRule(ORG_A, "external_connection", "ext-1", "viewer"),
        ImplicitRule(ORG_A, "external_group", "Eng", "editor"),
    ]
    assert len(implicit_rules(orgs, connections)) == 7

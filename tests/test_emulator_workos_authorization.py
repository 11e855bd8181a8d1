"""WorkOS emulator Authorization API (permissions, environment and organization roles), through the SDK."""

from __future__ import annotations

import re
from typing import Any
from urllib.error import HTTPError

import pytest
from workos import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
    WorkOSClient,
)
from workos._errors import APIError
from workos.organization_membership import RoleMultiple, RoleSingle

from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.http import Request
from stytch2workos_emulators.workos.api import buckets_for
from stytch2workos_emulators.workos.authorization import (
    EnvironmentRolesAPI,
    OrganizationRolesAPI,
    PermissionsAPI,
)
from stytch2workos_emulators.workos.state import State

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def org_id(workos_client: WorkOSClient) -> str:
    return workos_client.organizations.create_organization(name="Acme").id


def _perms(client: WorkOSClient, *slugs: str) -> None:
    for slug in slugs:
        client.authorization.create_permission(slug=slug, name=slug.title())


# -- permissions ---------------------------------------------------------------------------------


def test_permission_create_get_update_delete(workos_client: WorkOSClient) -> None:
    authz = workos_client.authorization
    created = authz.create_permission(slug="docs:read", name="Read docs", description="Read any document")
    assert created.id.startswith("perm_") and len(created.id) == 31
    assert (created.slug, created.name, created.description) == (
        "docs:read",
        "Read docs",
        "Read any document",
    )
    assert (created.system, created.resource_type_slug) == (False, "organization")
    assert authz.get_permission("docs:read") == created

    renamed = authz.update_permission("docs:read", name="View docs")
    assert (renamed.name, renamed.description) == ("View docs", "Read any document")  # not sent: kept
    cleared = authz.update_permission("docs:read", description=None)
    assert (cleared.name, cleared.description) == ("View docs", None)
    assert cleared.updated_at >= created.updated_at and cleared.created_at == created.created_at

    authz.delete_permission("docs:read")
    with pytest.raises(NotFoundError) as err:
        authz.get_permission("docs:read")
    assert err.value.code == "entity_not_found" and "docs:read" in err.value.message
    for call in (
        lambda: authz.update_permission("docs:read", name="x"),
        lambda: authz.delete_permission("docs:read"),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_permission_slug_characters_travel_in_the_path(workos_client: WorkOSClient) -> None:
    # ":", "." and "*" are allowed in permission slugs and the SDK percent-encodes them.
    _perms(workos_client, "billing.invoices:*")
    assert workos_client.authorization.get_permission("billing.invoices:*").slug == "billing.invoices:*"


def test_permission_pagination(workos_client: WorkOSClient) -> None:
    slugs = [f"p{i:02d}:read" for i in range(25)]
    _perms(workos_client, *slugs)
    authz = workos_client.authorization
    first = authz.list_permissions()
    assert [p.slug for p in first.data] == slugs[::-1][:10]  # newest first, 10 by default
    assert first.list_metadata.before is None and first.list_metadata.after == first.data[-1].id
    assert [p.slug for p in first.auto_paging_iter()] == slugs[::-1]

    asc = authz.list_permissions(order="asc", limit=20)
    assert [p.slug for p in asc.data] == slugs[:20]
    rest = authz.list_permissions(order="asc", limit=20, after=asc.list_metadata.after)
    assert [p.slug for p in rest.data] == slugs[20:] and rest.list_metadata.after is None
    back = authz.list_permissions(order="asc", limit=3, before=rest.data[0].id)
    assert [p.slug for p in back.data] == slugs[17:20]

    with pytest.raises(UnprocessableEntityError) as err:
        authz.list_permissions(limit=101)
    assert err.value.code == "invalid_request_parameters"


def test_permission_duplicate_and_system(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    _perms(workos_client, "docs:read")
    with pytest.raises(ConflictError) as err:
        workos_client.authorization.create_permission(slug="docs:read", name="Again")
    assert err.value.status_code == 409 and err.value.code == "permission_slug_conflict"

    workos_emu.control.seed({"permissions": [{"slug": "widgets:manage", "name": "Widgets", "system": True}]})
    assert workos_client.authorization.get_permission("widgets:manage").system is True
    for call in (
        lambda: workos_client.authorization.update_permission("widgets:manage", name="Mine"),
        lambda: workos_client.authorization.delete_permission("widgets:manage"),
    ):
        with pytest.raises(AuthorizationError) as denied:
            call()
        assert denied.value.status_code == 403
    assert workos_client.authorization.get_permission("widgets:manage").name == "Widgets"


# -- validation ----------------------------------------------------------------------------------


def _create(client: WorkOSClient, kind: str, org: str, **fields: Any) -> Any:
    authz = client.authorization
    if kind == "permission":
        return authz.create_permission(**{"slug": "docs:read", "name": "Docs", **fields})
    if kind == "env_role":
        return authz.create_environment_role(**{"slug": "editor", "name": "Editor", **fields})
    return authz.create_organization_role(org, **{"slug": "org-editor", "name": "Editor", **fields})


@pytest.mark.parametrize(
    ("kind", "fields", "error", "code"),
    [
        ("permission", {"slug": "Docs:Read"}, UnprocessableEntityError, "invalid_slug"),
        ("permission", {"slug": "docs read"}, UnprocessableEntityError, "invalid_slug"),
        ("permission", {"slug": "docs/read"}, UnprocessableEntityError, "invalid_slug"),
        ("permission", {"slug": ""}, UnprocessableEntityError, "slug_string_required"),
        ("permission", {"slug": "a" * 49}, UnprocessableEntityError, "slug_too_long"),
        ("permission", {"name": "n" * 49}, UnprocessableEntityError, "name_too_long"),
        ("permission", {"name": " "}, UnprocessableEntityError, "name_string_required"),
        ("permission", {"description": "d" * 151}, UnprocessableEntityError, "description_too_long"),
        ("permission", {"resource_type_slug": "document"}, NotFoundError, "entity_not_found"),
        ("env_role", {"slug": "docs:editor"}, UnprocessableEntityError, "invalid_slug"),
        ("env_role", {"slug": "Editor"}, UnprocessableEntityError, "invalid_slug"),
        ("env_role", {"slug": "e" * 49}, UnprocessableEntityError, "slug_too_long"),
        ("env_role", {"name": ""}, UnprocessableEntityError, "name_string_required"),
        ("env_role", {"description": "d" * 151}, UnprocessableEntityError, "description_too_long"),
        ("org_role", {"slug": "billing-admin"}, UnprocessableEntityError, "invalid_slug"),
        ("org_role", {"slug": "org-"}, UnprocessableEntityError, "invalid_slug"),
        ("org_role", {"slug": "org-Billing"}, UnprocessableEntityError, "invalid_slug"),
        ("org_role", {"slug": "org-billing:admin"}, UnprocessableEntityError, "invalid_slug"),
        ("org_role", {"slug": "org-" + "b" * 45}, UnprocessableEntityError, "slug_too_long"),
        ("org_role", {"name": "n" * 49}, UnprocessableEntityError, "name_too_long"),
        ("org_role", {"resource_type_slug": "document"}, NotFoundError, "entity_not_found"),
    ],
)
def test_create_validation(
    workos_client: WorkOSClient,
    org_id: str,
    kind: str,
    fields: dict[str, Any],
    error: type[APIError],
    code: str,
) -> None:
    with pytest.raises(error) as err:
        _create(workos_client, kind, org_id, **fields)
    found = err.value.errors[0]["code"] if err.value.errors else err.value.code
    assert found == code


@pytest.mark.parametrize(
    ("kind", "fields", "slug"),
    [
        ("permission", {"slug": "a" * 48}, "a" * 48),
        ("permission", {"slug": "a-b_c:d.e*"}, "a-b_c:d.e*"),
        ("permission", {"name": "n" * 48, "description": "d" * 150}, "docs:read"),
        ("env_role", {"slug": "e" * 48}, "e" * 48),
        ("env_role", {"slug": "billing_admin-2", "resource_type_slug": "organization"}, "billing_admin-2"),
        ("org_role", {"slug": "org-" + "b" * 44}, "org-" + "b" * 44),
        ("org_role", {"slug": "org-billing_admin-2", "description": None}, "org-billing_admin-2"),
    ],
)
def test_create_accepts_the_limits(
    workos_client: WorkOSClient, org_id: str, kind: str, fields: dict[str, Any], slug: str
) -> None:
    assert _create(workos_client, kind, org_id, **fields).slug == slug


@pytest.mark.parametrize(
    ("update", "code"),
    [
        ({"name": "n" * 49}, "name_too_long"),
        ({"name": ""}, "name_string_required"),
        ({"description": "d" * 151}, "description_too_long"),
    ],
)
def test_update_validation(
    workos_client: WorkOSClient, org_id: str, update: dict[str, Any], code: str
) -> None:
    authz = workos_client.authorization
    _perms(workos_client, "docs:read")
    authz.create_organization_role(org_id, slug="org-editor", name="Editor")
    for call in (
        lambda: authz.update_permission("docs:read", **update),
        lambda: authz.update_environment_role("member", **update),
        lambda: authz.update_organization_role(org_id, "org-editor", **update),
    ):
        with pytest.raises(UnprocessableEntityError) as err:
            call()
        assert err.value.errors and err.value.errors[0]["code"] == code


# -- environment roles ---------------------------------------------------------------------------


def test_environment_roles(workos_client: WorkOSClient, org_id: str) -> None:
    authz = workos_client.authorization
    _perms(workos_client, "docs:read", "docs:write", "users:manage")
    editor = authz.create_environment_role(slug="editor", name="Editor", description="Edits docs")
    assert editor.id.startswith("role_") and str(editor.type.value) == "EnvironmentRole"
    assert (editor.permissions, editor.resource_type_slug, editor.description) == (
        [],
        "organization",
        "Edits docs",
    )
    # New roles go to the bottom of the priority order, for the environment and every organization.
    assert [r.slug for r in authz.list_environment_roles().data] == ["admin", "member", "editor"]
    assert [r.slug for r in authz.list_organization_roles(org_id).data] == ["admin", "member", "editor"]

    assert authz.set_environment_role_permissions(
        "editor", permissions=["docs:write", "docs:read"]
    ).permissions == [
        "docs:write",
        "docs:read",
    ]
    assert authz.add_environment_role_permission("editor", body_slug="users:manage").permissions == [
        "docs:write",
        "docs:read",
        "users:manage",
    ]
    again = authz.add_environment_role_permission("editor", body_slug="docs:read")  # a no-op
    assert again.permissions == ["docs:write", "docs:read", "users:manage"]
    assert authz.set_environment_role_permissions(
        "editor", permissions=["docs:read", "docs:read"]
    ).permissions == ["docs:read"]
    renamed = authz.update_environment_role("editor", name="Writer", description=None)
    assert (renamed.slug, renamed.name, renamed.description) == ("editor", "Writer", None)
    got = authz.get_environment_role("editor")
    assert (got.name, got.permissions) == ("Writer", ["docs:read"])
    listed = {r.slug: r for r in authz.list_organization_roles(org_id).data}
    assert listed["editor"].permissions == ["docs:read"]
    assert authz.get_organization_role(org_id, "editor") == got  # env roles read through the org path

    with pytest.raises(ConflictError) as err:
        authz.create_environment_role(slug="editor", name="Again")
    assert err.value.code == "role_slug_conflict"


def test_unknown_role_or_permission(workos_client: WorkOSClient, org_id: str) -> None:
    authz = workos_client.authorization
    _perms(workos_client, "docs:read")
    authz.create_organization_role(org_id, slug="org-editor", name="Editor")
    missing_role = (
        lambda: authz.get_environment_role("ghost"),
        lambda: authz.update_environment_role("ghost", name="x"),
        lambda: authz.set_environment_role_permissions("ghost", permissions=[]),
        lambda: authz.add_environment_role_permission("ghost", body_slug="docs:read"),
        lambda: authz.get_organization_role(org_id, "org-ghost"),
        lambda: authz.update_organization_role(org_id, "org-ghost", name="x"),
        lambda: authz.delete_organization_role(org_id, "org-ghost"),
        lambda: authz.set_organization_role_permissions(org_id, "org-ghost", permissions=[]),
        lambda: authz.add_organization_role_permission(org_id, "org-ghost", body_slug="docs:read"),
        lambda: authz.remove_organization_role_permission(org_id, "org-ghost", "docs:read"),
        # Environment roles are changed through /authorization/roles only.
        lambda: authz.update_organization_role(org_id, "member", name="x"),
        lambda: authz.delete_organization_role(org_id, "member"),
        lambda: authz.set_organization_role_permissions(org_id, "member", permissions=[]),
        lambda: authz.remove_organization_role_permission(org_id, "org-editor", "docs:ghost"),
    )
    for call in missing_role:
        with pytest.raises(NotFoundError) as err:
            call()
        assert err.value.code == "entity_not_found"
    unknown_permission = (
        lambda: authz.set_environment_role_permissions("member", permissions=["docs:read", "docs:ghost"]),
        lambda: authz.add_environment_role_permission("member", body_slug="docs:ghost"),
        lambda: authz.set_organization_role_permissions(org_id, "org-editor", permissions=["docs:ghost"]),
        lambda: authz.add_organization_role_permission(org_id, "org-editor", body_slug="docs:ghost"),
    )
    for call in unknown_permission:
        with pytest.raises(UnprocessableEntityError) as unprocessable:
            call()
        assert unprocessable.value.code == "invalid_permission"
        assert unprocessable.value.response_json == {
            "message": unprocessable.value.message,
            "code": "invalid_permission",
            "permission_slug": "docs:ghost",
        }
    # A refused set changes nothing.
    assert authz.get_environment_role("member").permissions == []


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.list_organization_roles("org_missing"),
        lambda a: a.create_organization_role("org_missing", slug="org-x", name="X"),
        lambda a: a.get_organization_role("org_missing", "member"),
        lambda a: a.update_organization_role("org_missing", "org-x", name="X"),
        lambda a: a.delete_organization_role("org_missing", "org-x"),
        lambda a: a.set_organization_role_permissions("org_missing", "org-x", permissions=[]),
        lambda a: a.add_organization_role_permission("org_missing", "org-x", body_slug="docs:read"),
        lambda a: a.remove_organization_role_permission("org_missing", "org-x", "docs:read"),
    ],
)
def test_unknown_organization(workos_client: WorkOSClient, call: Any) -> None:
    with pytest.raises(NotFoundError) as err:
        call(workos_client.authorization)
    assert err.value.code == "entity_not_found" and "org_missing" in err.value.message


# -- organization roles --------------------------------------------------------------------------


def test_organization_roles(workos_client: WorkOSClient, org_id: str) -> None:
    authz = workos_client.authorization
    _perms(workos_client, "docs:read", "docs:write")
    role = authz.create_organization_role(org_id, slug="org-billing", name="Billing", description="Pays")
    assert str(role.type.value) == "OrganizationRole" and role.permissions == []
    generated = authz.create_organization_role(org_id, name="Billing Admin (EU)")
    assert re.fullmatch(r"org-billing-admin-eu-[a-z0-9]{6}", generated.slug)
    long_name = authz.create_organization_role(org_id, name="N" * 48)
    assert len(long_name.slug) <= 48 and long_name.slug.startswith("org-n")
    assert [r.slug for r in authz.list_organization_roles(org_id).data] == [
        "admin",
        "member",
        "org-billing",
        generated.slug,
        long_name.slug,
    ]
    other = workos_client.organizations.create_organization(name="Other").id
    assert [r.slug for r in authz.list_organization_roles(other).data] == ["admin", "member"]
    authz.create_organization_role(other, slug="org-billing", name="Same slug, other organization")

    assert authz.set_organization_role_permissions(
        org_id, "org-billing", permissions=["docs:read"]
    ).permissions == ["docs:read"]
    added = authz.add_organization_role_permission(org_id, "org-billing", body_slug="docs:write")
    assert added.permissions == ["docs:read", "docs:write"]
    authz.remove_organization_role_permission(org_id, "org-billing", "docs:read")
    authz.remove_organization_role_permission(org_id, "org-billing", "docs:read")  # already gone: no-op
    assert authz.get_organization_role(org_id, "org-billing").permissions == ["docs:write"]
    updated = authz.update_organization_role(org_id, "org-billing", name="Finance")
    assert (updated.name, updated.description, updated.permissions) == ("Finance", "Pays", ["docs:write"])
    assert authz.get_organization_role(other, "org-billing").permissions == []

    with pytest.raises(ConflictError) as err:
        authz.create_organization_role(org_id, slug="org-billing", name="Again")
    assert err.value.code == "organization_role_slug_conflict"
    # An environment role may use the org- prefix too; an organization cannot then shadow it.
    authz.create_environment_role(slug="org-shared", name="Shared")
    with pytest.raises(ConflictError) as err:
        authz.create_organization_role(org_id, slug="org-shared", name="Shadow")
    assert err.value.code == "organization_role_slug_conflict"

    authz.delete_organization_role(org_id, "org-billing")
    with pytest.raises(NotFoundError):
        authz.get_organization_role(org_id, "org-billing")
    assert authz.get_organization_role(other, "org-billing").slug == "org-billing"


def test_deleting_a_permission_takes_it_off_roles(workos_client: WorkOSClient, org_id: str) -> None:
    authz = workos_client.authorization
    _perms(workos_client, "docs:read", "docs:write")
    authz.set_environment_role_permissions("admin", permissions=["docs:read", "docs:write"])
    authz.create_organization_role(org_id, slug="org-reader", name="Reader")
    authz.set_organization_role_permissions(org_id, "org-reader", permissions=["docs:read"])
    authz.delete_permission("docs:read")
    assert authz.get_environment_role("admin").permissions == ["docs:write"]
    assert authz.get_organization_role(org_id, "org-reader").permissions == []


# -- memberships and the multiple-roles switch ---------------------------------------------------


def test_membership_with_a_fresh_organization_role(workos_client: WorkOSClient, org_id: str) -> None:
    authz, om = workos_client.authorization, workos_client.organization_membership
    user = workos_client.user_management.create_user(email="fresh@acme.dev")
    role = authz.create_organization_role(org_id, slug="org-auditor", name="Auditor")
    m = om.create_organization_membership(
        user_id=user.id, organization_id=org_id, role=RoleMultiple(role_slugs=[role.slug, "member"])
    )
    # Environment roles come first in priority, so member is the primary role.
    assert (m.role.slug, [r.slug for r in m.roles]) == ("member", ["member", "org-auditor"])

    # Another organization's custom role is not a role here.
    other = workos_client.organizations.create_organization(name="Other").id
    authz.create_organization_role(other, slug="org-outsider", name="Outsider")
    with pytest.raises(UnprocessableEntityError) as err:
        om.update_organization_membership(m.id, role=RoleSingle(role_slug="org-outsider"))
    assert err.value.code == "invalid_role"

    # Deleting the custom role leaves the member their other role; a sole holder gets the default.
    solo_user = workos_client.user_management.create_user(email="solo@acme.dev")
    solo = om.create_organization_membership(
        user_id=solo_user.id, organization_id=org_id, role=RoleSingle(role_slug="org-auditor")
    )
    authz.delete_organization_role(org_id, "org-auditor")
    assert [r.slug for r in om.get_organization_membership(m.id).roles] == ["member"]
    assert om.get_organization_membership(solo.id).role.slug == "member"


@pytest.mark.parametrize("switch", ["seed", "set_settings"])
def test_multiple_roles_switch(workos_client: WorkOSClient, workos_emu, org_id: str, switch: str) -> None:  # type: ignore[no-untyped-def]
    def multiple_roles(on: bool) -> None:
        if switch == "seed":
            workos_emu.control.seed({"settings": {"multiple_roles": on}})
        else:
            workos_emu.control.set_settings({"multiple_roles": on})

    om = workos_client.organization_membership
    workos_client.authorization.create_organization_role(org_id, slug="org-auditor", name="Auditor")
    users = [workos_client.user_management.create_user(email=f"u{i}@acme.dev").id for i in range(3)]
    two = RoleMultiple(role_slugs=["admin", "org-auditor"])
    multiple_roles(False)
    assert workos_emu.control.state()["settings"]["multiple_roles"] is False
    with pytest.raises(UnprocessableEntityError) as err:
        om.create_organization_membership(user_id=users[0], organization_id=org_id, role=two)
    assert err.value.code == "multiple_roles_not_enabled"
    one = om.create_organization_membership(
        user_id=users[1], organization_id=org_id, role=RoleSingle(role_slug="org-auditor")
    )
    with pytest.raises(UnprocessableEntityError):
        om.update_organization_membership(one.id, role=two)
    multiple_roles(True)
    assert workos_emu.control.state()["settings"]["multiple_roles"] is True
    m = om.create_organization_membership(user_id=users[2], organization_id=org_id, role=two)
    assert [r.slug for r in m.roles] == ["admin", "org-auditor"]


# -- seed, dump and rate limits ------------------------------------------------------------------


SEED: dict[str, Any] = {
    "permissions": [
        {"slug": "docs:read", "name": "Read docs", "description": "Any document"},
        {"slug": "billing:*", "name": "Billing", "system": True},
    ],
    "roles": [
        {"slug": "admin", "name": "Admin", "permissions": ["docs:read", "billing:*"]},
        {"slug": "member", "name": "Member", "permissions": ["docs:read"]},
        {"slug": "viewer", "name": "Viewer", "permissions": ["reports:view"]},  # created on the fly
    ],
    "organizations": [{"id": "org_01HZZZZZZZZZZZZZZZZZZZZZZ1", "name": "Seeded"}],
    "organization_roles": {
        "org_01HZZZZZZZZZZZZZZZZZZZZZZ1": [
            {"slug": "org-owner", "name": "Owner", "permissions": ["billing:*"]}
        ]
    },
}


def test_seed_and_dump(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.seed(SEED)
    authz = workos_client.authorization
    assert [(p.slug, p.system) for p in authz.list_permissions(order="asc").data] == [
        ("docs:read", False),
        ("billing:*", True),
        ("reports:view", False),
    ]
    assert authz.get_permission("reports:view").name == "reports:view"
    assert {
        r.slug: r.permissions for r in authz.list_organization_roles("org_01HZZZZZZZZZZZZZZZZZZZZZZ1").data
    } == {
        "admin": ["docs:read", "billing:*"],
        "member": ["docs:read"],
        "viewer": ["reports:view"],
        "org-owner": ["billing:*"],
    }
    authz.create_permission(slug="made:later", name="Later")
    authz.add_environment_role_permission("viewer", body_slug="made:later")

    state = workos_emu.control.state()
    assert [p["slug"] for p in state["permissions"]] == [
        "docs:read",
        "billing:*",
        "reports:view",
        "made:later",
    ]
    assert state["roles"][2]["permissions"] == ["reports:view", "made:later"]
    assert state["organization_roles"]["org_01HZZZZZZZZZZZZZZZZZZZZZZ1"][0]["type"] == "OrganizationRole"
    workos_emu.control.reset()
    assert workos_emu.control.state()["permissions"] == []
    workos_emu.control.seed(state)
    assert workos_emu.control.state() == state


@pytest.mark.parametrize(
    "seed",
    [
        {"permissions": "docs:read"},
        {"permissions": [{"name": "no slug"}]},
        {"roles": [{"slug": "a", "name": "A"}, {"slug": "a", "name": "Again"}]},
        {"roles": [{"slug": "a", "name": "A", "permissions": "docs:read"}]},
        {
            "permissions": [
                {"id": "perm_01HZZZZZZZZZZZZZZZZZZZZZZ1", "slug": "x:y"},
                {"id": "perm_01HZZZZZZZZZZZZZZZZZZZZZZ2", "slug": "x:y"},
            ]
        },
        {"organizations": [{"id": "org_1", "name": "O"}], "organization_roles": {"org_1": {"slug": "org-x"}}},
    ],
)
def test_bad_authorization_seeds_are_refused(workos_emu, seed: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HTTPError) as err:
        workos_emu.control.seed(seed)
    err.value.close()
    assert err.value.code == 400


def test_every_authorization_route_draws_on_the_general_budget_only() -> None:
    state = State()
    routes = [
        (method, template)
        for api in (PermissionsAPI(state), EnvironmentRolesAPI(state), OrganizationRolesAPI(state))
        for method, template, _ in api.routes()
    ]
    assert len(routes) == 19
    request = Request("GET", (), {}, {"authorization": f"Bearer {defaults.WORKOS_API_KEY}"}, b"")
    for method, template in routes:
        assert buckets_for(method, template)(request) == [("general", defaults.WORKOS_API_KEY)], template


def test_authorization_calls_use_the_general_budget(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_rate_limits("real")
    authz = workos_client.authorization
    authz.create_permission(slug="docs:read", name="Docs")
    authz.list_permissions()
    authz.list_environment_roles()
    authz.add_environment_role_permission("member", body_slug="docs:read")
    stats = workos_emu.control.stats()
    assert stats["max_in_window"]["general"] == 4
    assert stats["max_in_window"]["user_management_reads"] == 0
    assert stats["max_in_window"]["user_management_writes"] == 0

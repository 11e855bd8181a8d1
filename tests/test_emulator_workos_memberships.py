"""WorkOS emulator memberships, invitations, roles, portal links and auth factors, through the SDK."""

from __future__ import annotations

import asyncio

import pytest
from workos import (
    AsyncWorkOSClient,
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
    WorkOSClient,
)
from workos.organization_membership import RoleMultiple, RoleSingle

from stytch2workos_emulators import defaults

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(workos_client: WorkOSClient) -> tuple[str, str, str]:
    """An organization and two users: (org_id, user_a, user_b)."""
    org = workos_client.organizations.create_organization(name="Acme")
    a = workos_client.user_management.create_user(email="a@acme.dev")
    b = workos_client.user_management.create_user(email="b@acme.dev")
    return org.id, a.id, b.id


def test_membership_lifecycle(workos_client: WorkOSClient, world: tuple[str, str, str]) -> None:
    org_id, user_a, _ = world
    api = workos_client.organization_membership
    m = api.create_organization_membership(user_id=user_a, organization_id=org_id)
    assert m.id.startswith("om_") and str(m.status.value) == "active"
    assert (m.role.slug, [r.slug for r in m.roles]) == ("member", ["member"])
    assert m.user.email == "a@acme.dev" and m.organization_name == "Acme"
    assert api.get_organization_membership(m.id).id == m.id

    changed = api.update_organization_membership(m.id, role=RoleSingle(role_slug="admin"))
    assert changed.role.slug == "admin"
    for _ in range(2):  # deactivating twice is a no-op the second time
        off = api.deactivate_organization_membership(m.id)
        assert str(off.status.value) == "inactive" and off.user.id == user_a
    assert api.list_organization_memberships(organization_id=org_id).data == []
    listed = api.list_organization_memberships(organization_id=org_id, statuses=["inactive"])
    assert [x.id for x in listed.data] == [m.id]
    # Creating again for an inactive pair reactivates the same membership with the new role.
    again = api.create_organization_membership(
        user_id=user_a, organization_id=org_id, role=RoleSingle(role_slug="member")
    )
    assert again.id == m.id and str(again.status.value) == "active" and again.role.slug == "member"
    assert str(api.reactivate_organization_membership(m.id).status.value) == "active"
    with pytest.raises(ConflictError):
        api.create_organization_membership(user_id=user_a, organization_id=org_id)
    api.delete_organization_membership(m.id)
    with pytest.raises(NotFoundError):
        api.get_organization_membership(m.id)


def test_multiple_roles_and_invalid_roles(
    workos_client: WorkOSClient, world: tuple[str, str, str], workos_emu
) -> None:  # type: ignore[no-untyped-def]
    org_id, user_a, user_b = world
    api = workos_client.organization_membership
    m = api.create_organization_membership(
        user_id=user_a, organization_id=org_id, role=RoleMultiple(role_slugs=["member", "admin"])
    )
    assert m.role.slug == "admin" and [r.slug for r in m.roles] == ["admin", "member"]
    with pytest.raises(UnprocessableEntityError) as err:
        api.create_organization_membership(
            user_id=user_b, organization_id=org_id, role=RoleSingle(role_slug="owner")
        )
    assert err.value.code == "invalid_role"
    with pytest.raises(UnprocessableEntityError) as err:
        api.update_organization_membership(m.id, role=RoleSingle(role_slug="owner"))
    assert err.value.code == "invalid_role"
    workos_emu.control.seed({"settings": {"multiple_roles": False}})
    with pytest.raises(UnprocessableEntityError) as err:
        api.create_organization_membership(
            user_id=user_b, organization_id=org_id, role=RoleMultiple(role_slugs=["member", "admin"])
        )
    assert err.value.code == "multiple_roles_not_enabled"


def test_membership_lookups_and_filters(workos_client: WorkOSClient, world: tuple[str, str, str]) -> None:
    org_id, user_a, user_b = world
    other = workos_client.organizations.create_organization(name="Other").id
    api = workos_client.organization_membership
    ma = api.create_organization_membership(user_id=user_a, organization_id=org_id)
    mb = api.create_organization_membership(user_id=user_b, organization_id=org_id)
    mo = api.create_organization_membership(user_id=user_a, organization_id=other)
    api.deactivate_organization_membership(mb.id)
    with pytest.raises(BadRequestError) as err:
        api.list_organization_memberships()
    assert err.value.code == "missing_user_id_or_organization_id"
    by_user = api.list_organization_memberships(user_id=user_a, order="asc")
    assert [x.id for x in by_user.data] == [ma.id, mo.id]
    pair = api.list_organization_memberships(user_id=user_a, organization_id=other)
    assert [x.id for x in pair.data] == [mo.id]
    both = api.list_organization_memberships(organization_id=org_id, statuses=["active", "inactive"], limit=1)
    assert [x.id for x in both.data] == [mb.id] and both.list_metadata.after == mb.id
    with pytest.raises(NotFoundError):
        api.create_organization_membership(user_id="user_missing", organization_id=org_id)
    with pytest.raises(NotFoundError):
        api.create_organization_membership(user_id=user_a, organization_id="org_missing")


def test_roles_environment_and_organization(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    roles = workos_client.authorization.list_environment_roles().data
    assert [(r.slug, str(r.type.value)) for r in roles] == [
        ("admin", "EnvironmentRole"),
        ("member", "EnvironmentRole"),
    ]
    org = workos_client.organizations.create_organization(name="Roles")
    workos_emu.control.seed(
        {
            "roles": [
                {"slug": "owner", "name": "Owner", "permissions": ["all"]},
                {"slug": "member", "name": "M"},
            ],
            "organization_roles": {org.id: [{"slug": "org-auditor", "name": "Auditor"}]},
        }
    )
    assert [r.slug for r in workos_client.authorization.list_environment_roles().data] == ["owner", "member"]
    org_roles = workos_client.authorization.list_organization_roles(org.id).data
    assert [(r.slug, str(r.type.value)) for r in org_roles] == [
        ("owner", "EnvironmentRole"),
        ("member", "EnvironmentRole"),
        ("org-auditor", "OrganizationRole"),
    ]
    assert org_roles[0].permissions == ["all"]
    user = workos_client.user_management.create_user(email="r@example.com")
    m = workos_client.organization_membership.create_organization_membership(
        user_id=user.id, organization_id=org.id, role=RoleSingle(role_slug="org-auditor")
    )
    assert m.role.slug == "org-auditor"
    with pytest.raises(NotFoundError):
        workos_client.authorization.list_organization_roles("org_missing")


def test_invitations(workos_client: WorkOSClient, world: tuple[str, str, str]) -> None:
    org_id, user_a, _ = world
    um = workos_client.user_management
    inv = um.send_invitation(
        email="New@Acme.dev", organization_id=org_id, role_slug="admin", inviter_user_id=user_a
    )
    assert inv.id.startswith("invitation_") and inv.email == "new@acme.dev"
    assert str(inv.state.value) == "pending" and inv.role_slug == "admin"
    assert (inv.expires_at - inv.created_at).days == 7
    assert inv.accept_invitation_url.startswith("https://auth.workos.test/")
    assert um.get_invitation(inv.id).token == inv.token
    for kwargs, code in (
        ({"email": "new@acme.dev", "organization_id": org_id}, "email_already_invited_to_organization"),
        ({"email": "x@acme.dev", "organization_id": org_id, "role_slug": "owner"}, "invalid_role"),
        ({"email": "x@acme.dev", "expires_in_days": 0}, "expires_in_days_too_short"),
        ({"email": "x@acme.dev", "expires_in_days": 31}, "expires_in_days_too_long"),
        ({"email": "a@acme.dev"}, "user_already_exists"),
    ):
        with pytest.raises(BadRequestError) as err:
            um.send_invitation(**kwargs)  # type: ignore[arg-type]
        assert err.value.code == code
    workos_client.organization_membership.create_organization_membership(
        user_id=user_a, organization_id=org_id
    )
    with pytest.raises(BadRequestError) as err:
        um.send_invitation(email="a@acme.dev", organization_id=org_id)
    assert err.value.code == "user_already_organization_member"
    with pytest.raises(NotFoundError):
        um.send_invitation(email="y@acme.dev", organization_id="org_missing")

    lone = um.send_invitation(email="lone@acme.dev", expires_in_days=30)
    assert [i.id for i in um.list_invitations(organization_id=org_id).data] == [inv.id]
    assert [i.id for i in um.list_invitations(email="LONE@acme.dev").data] == [lone.id]
    assert [i.id for i in um.list_invitations(order="asc").data] == [inv.id, lone.id]
    revoked = um.revoke_invitation(inv.id)
    assert str(revoked.state.value) == "revoked" and revoked.revoked_at is not None
    with pytest.raises(BadRequestError) as err:
        um.revoke_invitation(inv.id)
    assert err.value.code == "invite_not_pending"
    # A revoked invitation no longer blocks a new one.
    assert um.send_invitation(email="new@acme.dev", organization_id=org_id).id != inv.id


@pytest.mark.parametrize(
    "intent",
    [
        "sso",
        "dsync",
        "audit_logs",
        "log_streams",
        "domain_verification",
        "certificate_renewal",
        "bring_your_own_key",
    ],
)
def test_portal_links_for_every_intent(workos_client: WorkOSClient, intent: str) -> None:
    org = workos_client.organizations.create_organization(name="Portal")
    link = workos_client.admin_portal.generate_link(organization=org.id, intent=intent)
    assert link.link.startswith("https://setup.workos.test/")


def test_portal_errors_and_revocation(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        workos_client.admin_portal.generate_link(organization="org_missing", intent="sso")
    org = workos_client.organizations.create_organization(name="Portal")
    with pytest.raises(UnprocessableEntityError):
        workos_client.admin_portal.generate_link(organization=org.id, intent="teleport")
    with pytest.raises(UnprocessableEntityError):
        workos_client.admin_portal.generate_link(organization=org.id, it_contact_emails=["a@b.co"] * 21)
    workos_client.admin_portal.generate_link(organization=org.id, intent="dsync", external_user_id="admin-1")
    workos_client.admin_portal.revoke_link(organization=org.id, external_user_id="admin-1")
    links = workos_emu.control.state()["portal_links"]
    assert [(x["intent"], x["revoked"]) for x in links] == [("dsync", True)]


def test_totp_factors(workos_client: WorkOSClient, world: tuple[str, str, str], workos_emu) -> None:  # type: ignore[no-untyped-def]
    _, user_a, _ = world
    mfa = workos_client.multi_factor_auth
    made = mfa.create_user_auth_factor(
        user_a, type="totp", totp_secret="jbsw y3dp ehpk 3pxp", totp_issuer="Acme"
    )
    factor, challenge = made.authentication_factor, made.authentication_challenge
    assert factor.id.startswith("auth_factor_") and challenge.authentication_factor_id == factor.id
    assert factor.totp is not None and factor.totp.secret == "JBSWY3DPEHPK3PXP"
    assert factor.totp.uri.startswith("otpauth://totp/Acme:a@acme.dev?secret=JBSWY3DPEHPK3PXP")
    generated = mfa.create_user_auth_factor(user_a, type="totp").authentication_factor
    assert generated.totp is not None and len(generated.totp.secret) == 32
    listed = mfa.list_user_auth_factors(user_a, order="asc").data
    assert [f.id for f in listed] == [factor.id, generated.id]
    assert listed[0].totp is not None and listed[0].totp.user == "a@acme.dev"
    raw = workos_client.request("get", ("user_management", "users", user_a, "auth_factors"))
    assert "secret" not in raw["data"][0]["totp"]
    assert workos_emu.control.state()["auth_factors"][0]["totp"]["secret"] == "JBSWY3DPEHPK3PXP"
    for secret in ("not base32!", "JBSWY3DP"):
        with pytest.raises(UnprocessableEntityError):
            mfa.create_user_auth_factor(user_a, type="totp", totp_secret=secret)
    with pytest.raises(NotFoundError):
        mfa.create_user_auth_factor("user_missing", type="totp")


def test_async_memberships(workos_emu) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        async with AsyncWorkOSClient(
            api_key=defaults.WORKOS_API_KEY, base_url=workos_emu.base_url, max_retries=0
        ) as workos_client:
            org = await workos_client.organizations.create_organization(name="Async")
            user = await workos_client.user_management.create_user(email="am@example.com")
            m = await workos_client.organization_membership.create_organization_membership(
                user_id=user.id, organization_id=org.id, role=RoleSingle(role_slug="admin")
            )
            page = await workos_client.organization_membership.list_organization_memberships(user_id=user.id)
            assert [x.id for x in page.data] == [m.id] and page.data[0].user.id == user.id
            with pytest.raises(UnprocessableEntityError):
                await workos_client.organization_membership.update_organization_membership(
                    m.id, role=RoleSingle(role_slug="nope")
                )
            roles = await workos_client.authorization.list_organization_roles(org.id)
            assert {r.slug for r in roles.data} == {"admin", "member"}

    asyncio.run(scenario())

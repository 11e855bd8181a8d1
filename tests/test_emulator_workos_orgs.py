"""WorkOS emulator organizations, through the official SDK over loopback."""

from __future__ import annotations

import asyncio

import pytest
from workos import (
    AsyncWorkOSClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
    WorkOSClient,
)
from workos.organizations.models import OrganizationDomainData

from stytch2workos_emulators import defaults

pytestmark = pytest.mark.timeout(60)


def verified(domain: str) -> OrganizationDomainData:
    return OrganizationDomainData(domain=domain, state="verified")


def pending(domain: str) -> OrganizationDomainData:
    return OrganizationDomainData(domain=domain, state="pending")


def test_create_get_update_delete(workos_client: WorkOSClient) -> None:
    org = workos_client.organizations.create_organization(
        name="Acme",
        domain_data=[verified("Acme.com"), pending("acme.io")],
        external_id="stytch/org-1",
        metadata={"source": "stytch"},
    )
    assert org.id.startswith("org_") and len(org.id) == 30
    assert [(d.domain, str(d.state.value)) for d in org.domains] == [
        ("acme.com", "verified"),
        ("acme.io", "pending"),
    ]
    assert all(d.id.startswith("org_domain_") and d.organization_id == org.id for d in org.domains)
    assert org.metadata == {"source": "stytch"} and org.external_id == "stytch/org-1"
    assert workos_client.organizations.get_organization(org.id) == org
    # "/" in an external id travels percent-encoded as one path segment.
    assert workos_client.organizations.get_organization_by_external_id("stytch/org-1").id == org.id

    updated = workos_client.organizations.update_organization(
        org.id, name="Acme Inc", domain_data=[pending("acme.com"), verified("acme.dev")], metadata=None
    )
    assert updated.name == "Acme Inc" and updated.metadata == {}
    assert {d.domain: str(d.state.value) for d in updated.domains} == {
        "acme.com": "pending",
        "acme.dev": "verified",
    }
    kept = {d.domain: d.id for d in org.domains}
    assert next(d.id for d in updated.domains if d.domain == "acme.com") == kept["acme.com"]
    assert updated.external_id == "stytch/org-1"  # not sent, so unchanged
    cleared = workos_client.organizations.update_organization(org.id, external_id=None)
    assert cleared.external_id is None

    workos_client.organizations.delete_organization(org.id)
    with pytest.raises(NotFoundError) as err:
        workos_client.organizations.get_organization(org.id)
    assert err.value.code == "entity_not_found" and err.value.request_id.startswith("req_")


def test_deprecated_domains_and_external_id_conflicts(workos_client: WorkOSClient) -> None:
    first = workos_client.organizations.create_organization(name="One", domains=["one.com"], external_id="x1")
    assert [(d.domain, str(d.state.value)) for d in first.domains] == [("one.com", "pending")]
    with pytest.raises(BadRequestError) as err:
        workos_client.organizations.create_organization(name="Two", external_id="x1")
    assert err.value.code == "external_id_already_used"
    second = workos_client.organizations.create_organization(name="Two", external_id="x2")
    with pytest.raises(BadRequestError) as err:
        workos_client.organizations.update_organization(second.id, external_id="x1")
    assert err.value.code == "external_id_already_used"
    with pytest.raises(NotFoundError):
        workos_client.organizations.get_organization_by_external_id("nope")


@pytest.mark.parametrize(
    "bad",
    [
        {"k" * 41: "v"},
        {"k": "v" * 601},
        {f"k{i}": "v" for i in range(51)},
        {"k": 1},
    ],
)
def test_invalid_metadata_is_a_400(workos_client: WorkOSClient, bad: dict[str, str]) -> None:
    with pytest.raises(BadRequestError) as err:
        workos_client.organizations.create_organization(name="Meta", metadata=bad)
    assert err.value.code == "invalid_metadata"


def test_a_domain_verified_elsewhere_conflicts_only_when_verified_again(workos_client: WorkOSClient) -> None:
    owner = workos_client.organizations.create_organization(
        name="Owner", domain_data=[verified("shared.com")]
    )
    other = workos_client.organizations.create_organization(name="Other", domain_data=[pending("shared.com")])
    with pytest.raises(ConflictError) as err:
        workos_client.organizations.create_organization(name="Thief", domain_data=[verified("shared.com")])
    assert err.value.code == "domain_already_verified"
    with pytest.raises(ConflictError):
        workos_client.organizations.update_organization(other.id, domain_data=[verified("shared.com")])
    # Once the owner lets go, another organization may verify it.
    workos_client.organizations.update_organization(owner.id, domain_data=[])
    moved = workos_client.organizations.update_organization(other.id, domain_data=[verified("shared.com")])
    assert str(moved.domains[0].state.value) == "verified"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ([pending("not a domain")], "invalid_domain"),
        ([verified("gmail.com")], "consumer_domain_not_allowed"),
    ],
)
def test_bad_domains_are_422(
    workos_client: WorkOSClient, data: list[OrganizationDomainData], code: str
) -> None:
    with pytest.raises(UnprocessableEntityError) as err:
        workos_client.organizations.create_organization(name="Bad", domain_data=data)
    assert err.value.code == "invalid_request_parameters"
    assert err.value.errors is not None and err.value.errors[0]["code"] == code


def test_missing_name_is_422(workos_client: WorkOSClient) -> None:
    with pytest.raises(UnprocessableEntityError):
        workos_client.organizations.create_organization(name="")


def test_pagination_in_both_orders_with_before_and_after(workos_client: WorkOSClient) -> None:
    made = [workos_client.organizations.create_organization(name=f"Org {i}").id for i in range(7)]
    page = workos_client.organizations.list_organizations(limit=3)
    assert [o.id for o in page.data] == made[::-1][:3]
    assert page.list_metadata.before is None and page.list_metadata.after == made[4]
    page2 = workos_client.organizations.list_organizations(limit=3, after=page.list_metadata.after)
    assert [o.id for o in page2.data] == [made[3], made[2], made[1]]
    back = workos_client.organizations.list_organizations(limit=3, before=page2.list_metadata.before)
    assert [o.id for o in back.data] == made[::-1][:3]
    every = list(workos_client.organizations.list_organizations(limit=3, order="asc").auto_paging_iter())
    assert [o.id for o in every] == made
    asc = workos_client.organizations.list_organizations(limit=2, order="asc", before=made[4])
    assert [o.id for o in asc.data] == [made[2], made[3]]
    assert (asc.list_metadata.before, asc.list_metadata.after) == (made[2], made[3])
    older = workos_client.organizations.list_organizations(limit=2, order="normal", before=made[4])
    assert [o.id for o in older.data] == [made[3], made[2]]


def test_list_filters(workos_client: WorkOSClient) -> None:
    a = workos_client.organizations.create_organization(name="Alpha Co", domain_data=[pending("alpha.com")])
    b = workos_client.organizations.create_organization(name="Beta Co", domain_data=[verified("beta.com")])
    workos_client.organizations.create_organization(name="Gamma")
    found = workos_client.organizations.list_organizations(domains=["ALPHA.com", "beta.com"])
    assert {o.id for o in found.data} == {a.id, b.id}
    assert [o.id for o in workos_client.organizations.list_organizations(search="beta").data] == [b.id]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"order": "sideways"}, {"after": "org_x"}])
def test_bad_list_parameters_are_422(workos_client: WorkOSClient, params: dict[str, object]) -> None:
    with pytest.raises(UnprocessableEntityError):
        workos_client.organizations.list_organizations(**params)  # type: ignore[arg-type]


def test_wrong_api_key_is_401(workos_emu) -> None:  # type: ignore[no-untyped-def]
    with (
        WorkOSClient(api_key="sk_test_wrong", base_url=workos_emu.base_url, max_retries=0) as stranger,
        pytest.raises(AuthenticationError) as err,
    ):
        stranger.organizations.list_organizations()
    assert err.value.status_code == 401 and err.value.code == "unauthorized"


def test_async_client_crud(workos_emu) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        async with AsyncWorkOSClient(
            api_key=defaults.WORKOS_API_KEY, base_url=workos_emu.base_url, max_retries=0
        ) as workos_client:
            org = await workos_client.organizations.create_organization(name="Async", external_id="a-1")
            fetched = await workos_client.organizations.get_organization_by_external_id("a-1")
            assert fetched.id == org.id
            page = await workos_client.organizations.list_organizations(order="asc")
            assert [o.id for o in page.data] == [org.id]
            await workos_client.organizations.delete_organization(org.id)
            with pytest.raises(NotFoundError):
                await workos_client.organizations.get_organization(org.id)

    asyncio.run(scenario())

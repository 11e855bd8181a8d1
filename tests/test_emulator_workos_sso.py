"""WorkOS emulator SSO connections, through the official SDK over loopback."""

from __future__ import annotations

import asyncio

import pytest
from workos import AsyncWorkOSClient, NotFoundError, UnprocessableEntityError, WorkOSClient
from workos.organizations.models import OrganizationDomainData
from workos.sso import (
    CreateConnectionKeyPair,
    CreateConnectionOIDCOptions,
    CreateConnectionSAMLOptions,
    CreateProtocolOptionsOIDC,
    CreateProtocolOptionsSAML,
)

from stytch2workos_emulators import defaults

pytestmark = pytest.mark.timeout(60)

FAKE_CERT = "-----BEGIN CERTIFICATE-----\nTUlJQ-fake-test-cert\n-----END CERTIFICATE-----"
FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nTUlJRS-fake-test-key\n-----END PRIVATE KEY-----"


def saml(complete: bool = True) -> CreateProtocolOptionsSAML:
    options = CreateConnectionSAMLOptions(
        idp_entity_id="https://idp.example.test/entity",
        idp_sso_url="https://idp.example.test/sso" if complete else None,
        idp_signing_certs=[FAKE_CERT],
        sp_signing_key_pair=CreateConnectionKeyPair(key=FAKE_KEY, cert=FAKE_CERT),
    )
    return CreateProtocolOptionsSAML(saml_options=options)


def oidc() -> CreateProtocolOptionsOIDC:
    options = CreateConnectionOIDCOptions(
        discovery_endpoint="https://idp.example.test/.well-known/openid-configuration",
        client_id="oidc-client",
        client_secret="oidc-secret-not-real",
        token_authentication_method="client_secret_post",
    )
    return CreateProtocolOptionsOIDC(oidc_options=options)


def test_create_is_idempotent_on_external_id_within_the_organization(
    workos_client: WorkOSClient, workos_emu
) -> None:  # type: ignore[no-untyped-def]
    org = workos_client.organizations.create_organization(
        name="Acme", domain_data=[OrganizationDomainData(domain="acme.dev", state="verified")]
    )
    first = workos_client.sso.create_connection(
        organization_id=org.id, name="Okta", external_id="saml-conn-1", protocol_options=saml()
    )
    assert first.id.startswith("conn_") and first.organization_id == org.id
    assert (str(first.connection_type.value), str(first.state.value)) == ("GenericSAML", "active")
    assert [d.domain for d in first.domains] == ["acme.dev"]
    again = workos_client.sso.create_connection(
        organization_id=org.id, external_id="saml-conn-1", protocol_options=saml(complete=False)
    )
    assert again.id == first.id
    other_org = workos_client.organizations.create_organization(name="Other")
    elsewhere = workos_client.sso.create_connection(
        organization_id=other_org.id, external_id="saml-conn-1", protocol_options=saml(complete=False)
    )
    assert elsewhere.id != first.id and str(elsewhere.state.value) == "draft"
    assert elsewhere.name == "Other"  # defaults to the organization's name

    raw = workos_client.request("get", ("connections", first.id))
    assert FAKE_KEY not in str(raw) and "saml_options" not in raw
    stored = {c["id"]: c for c in workos_emu.control.state()["connections"]}
    assert stored[first.id]["saml_options"]["sp_signing_key_pair"]["key"] == FAKE_KEY
    assert stored[first.id]["external_id"] == "saml-conn-1"


def test_get_list_filter_delete(workos_client: WorkOSClient) -> None:
    a = workos_client.organizations.create_organization(
        name="A", domain_data=[OrganizationDomainData(domain="a.dev", state="pending")]
    ).id
    b = workos_client.organizations.create_organization(name="B").id
    sa = workos_client.sso.create_connection(organization_id=a, protocol_options=saml())
    oa = workos_client.sso.create_connection(
        organization_id=a, connection_type="OktaOIDC", protocol_options=oidc()
    )
    sb = workos_client.sso.create_connection(
        organization_id=b, connection_type="OktaSAML", protocol_options=saml()
    )
    assert str(oa.connection_type.value) == "OktaOIDC" and workos_client.sso.get_connection(oa.id).id == oa.id
    assert [c.id for c in workos_client.sso.list_connections(order="asc").data] == [sa.id, oa.id, sb.id]
    assert [c.id for c in workos_client.sso.list_connections(organization_id=a).data] == [oa.id, sa.id]
    assert [c.id for c in workos_client.sso.list_connections(connection_type="OktaSAML").data] == [sb.id]
    assert [
        c.id for c in workos_client.sso.list_connections(domain="a.dev", connection_type="GenericSAML").data
    ] == [sa.id]
    workos_client.sso.delete_connection(sa.id)
    with pytest.raises(NotFoundError):
        workos_client.sso.get_connection(sa.id)
    with pytest.raises(NotFoundError):
        workos_client.sso.delete_connection(sa.id)
    workos_client.organizations.delete_organization(b)
    with pytest.raises(NotFoundError):  # connections go with their organization
        workos_client.sso.get_connection(sb.id)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {
            "saml_options": {"idp_entity_id": "x"},
            "oidc_options": {"discovery_endpoint": "x", "client_id": "y"},
        },
        {"oidc_options": {"discovery_endpoint": "https://idp.example.test"}},
        {"saml_options": {"idp_signing_certs": "not-a-list"}},
        {"saml_options": {}, "connection_type": "OktaOIDC"},
        {"saml_options": {}, "connection_type": "GoogleOAuth"},
        {
            "oidc_options": {
                "discovery_endpoint": "x",
                "client_id": "y",
                "token_authentication_method": "magic",
            }
        },
    ],
)
def test_invalid_connection_bodies_are_422(workos_client: WorkOSClient, body: dict[str, object]) -> None:
    org = workos_client.organizations.create_organization(name="V")
    with pytest.raises(UnprocessableEntityError):
        workos_client.request("post", ("connections",), body={"organization_id": org.id, **body})


def test_unknown_organization_is_404(workos_client: WorkOSClient) -> None:
    with pytest.raises(NotFoundError):
        workos_client.sso.create_connection(organization_id="org_missing", protocol_options=oidc())


def test_async_create_connection(workos_emu) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        async with AsyncWorkOSClient(
            api_key=defaults.WORKOS_API_KEY, base_url=workos_emu.base_url, max_retries=0
        ) as workos_client:
            org = await workos_client.organizations.create_organization(name="Async SSO")
            made = await workos_client.sso.create_connection(
                organization_id=org.id, external_id="oidc-1", protocol_options=oidc()
            )
            same = await workos_client.sso.create_connection(
                organization_id=org.id, external_id="oidc-1", protocol_options=oidc()
            )
            assert same.id == made.id and str(made.connection_type.value) == "GenericOIDC"
            page = await workos_client.sso.list_connections(organization_id=org.id)
            assert [c.id for c in page.data] == [made.id]

    asyncio.run(scenario())

"""WorkOS emulator: creating SSO connections as the handoff does, through the official SDK.

Every SAML and OIDC option the SDK can send, the create answer's extra (non-secret)
details, idempotency on ``external_id``, the connection types POST accepts, the list
filters and pagination, and the 404 of an environment where the Create Connection
API is off.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from workos import NotFoundError, UnprocessableEntityError, WorkOSClient
from workos.organizations.models import OrganizationDomainData
from workos.sso import (
    CreateConnectionAttributeMaps,
    CreateConnectionKeyPair,
    CreateConnectionOIDCOptions,
    CreateConnectionSAMLOptions,
    CreateConnectionStandardAttributes,
    CreateProtocolOptionsOIDC,
    CreateProtocolOptionsSAML,
)

from conftest import Emulator

pytestmark = pytest.mark.timeout(120)

CERT_A = "-----BEGIN CERTIFICATE-----\nZmFrZS1pZHAtY2VydC1h\n-----END CERTIFICATE-----"
CERT_B = "-----BEGIN CERTIFICATE-----\nZmFrZS1pZHAtY2VydC1i\n-----END CERTIFICATE-----"
SP_CERT = "-----BEGIN CERTIFICATE-----\nZmFrZS1zcC1jZXJ0\n-----END CERTIFICATE-----"
PKCS8_KEY = "-----BEGIN PRIVATE KEY-----\nZmFrZS1wa2NzOC1rZXktZG8tbm90LXByaW50\n-----END PRIVATE KEY-----"
PKCS1_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nZmFrZS1wa2NzMS1rZXktZG8tbm90LXByaW50\n-----END RSA PRIVATE KEY-----"
)
OIDC_SECRET = "fake-oidc-client-secret-do-not-print"
DISCOVERY = "https://idp.example.test/.well-known/openid-configuration"


def _org(client: WorkOSClient, name: str = "Acme", domain: str | None = "acme.dev") -> str:
    domains = [OrganizationDomainData(domain=domain, state="verified")] if domain else None
    return client.organizations.create_organization(name=name, domain_data=domains).id


def _maps() -> CreateConnectionAttributeMaps:
    standard = CreateConnectionStandardAttributes(
        idp_id="uid", email="mail", first_name="givenName", last_name="sn", groups="memberOf", name="cn"
    )
    return CreateConnectionAttributeMaps(standard_attributes=standard, custom_attributes={"team": "dept"})


def _full_saml() -> CreateProtocolOptionsSAML:
    return CreateProtocolOptionsSAML(
        saml_options=CreateConnectionSAMLOptions(
            acs_url="https://sso.acme.dev/saml/acs/legacy",
            sp_entity_id="https://auth.previous-sp.example/saml/acme",
            idp_entity_id="http://www.okta.example/exk123",
            idp_sso_url="https://acme.okta.example/app/exk123/sso/saml",
            idp_signing_certs=[CERT_A, CERT_B],
            sp_signing_key_pair=CreateConnectionKeyPair(key=PKCS8_KEY, cert=SP_CERT),
            sp_encryption_key_pairs=[CreateConnectionKeyPair(key=PKCS1_KEY, cert=SP_CERT)],
        )
    )


def _oidc(**options: Any) -> CreateProtocolOptionsOIDC:
    values: dict[str, Any] = {"discovery_endpoint": DISCOVERY, "client_id": "client-123"}
    values.update(options)
    return CreateProtocolOptionsOIDC(oidc_options=CreateConnectionOIDCOptions(**values))


def _post(client: WorkOSClient, body: dict[str, Any]) -> dict[str, Any]:
    """The raw create answer: the SDK's Connection model drops the extra details."""
    raw: dict[str, Any] = client.request("post", ("connections",), body=body)
    return raw


def test_saml_with_every_option_is_active_keeps_the_overrides_and_never_shows_keys(
    workos_client: WorkOSClient, workos_emu: Emulator
) -> None:
    org = _org(workos_client)
    made = workos_client.sso.create_connection(
        organization_id=org,
        name="Okta (migrated)",
        external_id="saml-connection-test-1",
        connection_type="OktaSAML",
        attribute_maps=_maps(),
        protocol_options=_full_saml(),
    )
    assert (made.name, str(made.connection_type.value), str(made.state.value)) == (
        "Okta (migrated)",
        "OktaSAML",
        "active",
    )
    assert made.status is not None and str(made.status.value) == "linked"
    [activated] = workos_client.events.list_events(events=["connection.activated"], organization_id=org).data
    assert activated.data.id == made.id and activated.data.external_key
    assert activated.context is not None and activated.context.actor is not None
    assert str(activated.context.actor.source.value) == "api"
    # The repeat returns the same connection, with the details the first answer had.
    body = {"organization_id": org, "external_id": "saml-connection-test-1", "saml_options": {}}
    again = _post(workos_client, body)
    assert again["id"] == made.id and again["external_id"] == "saml-connection-test-1"
    saml = again["saml_options"]
    assert saml["sp_entity_id"] == "https://auth.previous-sp.example/saml/acme"
    assert saml["acs_url"] == "https://sso.acme.dev/saml/acs/legacy"
    assert saml["idp_signing_certs"] == [CERT_A, CERT_B]
    assert saml["sp_signing_cert"] == SP_CERT and saml["sp_encryption_certs"] == [SP_CERT]
    assert again["callback_endpoint"].endswith("/" + again["external_key"])
    assert again["attribute_maps"]["standard_attributes"]["groups"] == "memberOf"
    for text in (str(again), str(workos_client.request("get", ("connections", made.id)))):
        assert PKCS8_KEY not in text and PKCS1_KEY not in text
    stored = {c["id"]: c for c in workos_emu.control.state()["connections"]}[made.id]
    assert stored["saml_options"]["sp_encryption_key_pairs"][0]["key"] == PKCS1_KEY


def test_saml_defaults_use_the_external_key_and_generated_certificates(
    workos_client: WorkOSClient,
) -> None:
    org = _org(workos_client)
    answer = _post(
        workos_client,
        {"organization_id": org, "saml_options": {"idp_metadata_url": "https://idp.example.test/metadata"}},
    )
    saml = answer["saml_options"]
    assert answer["state"] == "active" and answer["connection_type"] == "GenericSAML"
    assert saml["sp_entity_id"] == answer["external_key"]  # "the connection external key is used"
    assert saml["acs_url"] == answer["callback_endpoint"]
    for pem in (saml["sp_signing_cert"], *saml["sp_encryption_certs"]):
        x509.load_pem_x509_certificate(pem.encode())


@pytest.mark.parametrize(
    ("options", "method"),
    [
        ({"client_secret": OIDC_SECRET}, None),
        (
            {
                "client_secret": OIDC_SECRET,
                "redirect_uri": "https://auth.acme.dev/oidc/callback",
                "pkce": True,
                "token_authentication_method": "client_secret_post",
                "id_token_signature_algorithm": "PS384",
                "fetch_user_info": True,
            },
            "client_secret_post",
        ),
        (
            {"client_secret": OIDC_SECRET, "token_authentication_method": "client_secret_basic"},
            "client_secret_basic",
        ),
        (
            {
                "token_authentication_method": "private_key_jwt",
                "jwt_signing_key_pair": CreateConnectionKeyPair(key=PKCS8_KEY, cert=SP_CERT),
                "id_token_signature_algorithm": "EdDSA",
            },
            "private_key_jwt",
        ),
    ],
)
def test_oidc_options_are_kept_and_the_secret_is_write_only(
    workos_client: WorkOSClient, workos_emu: Emulator, options: dict[str, Any], method: str | None
) -> None:
    org = _org(workos_client)
    made = workos_client.sso.create_connection(
        organization_id=org, connection_type="EntraIdOIDC", protocol_options=_oidc(**options)
    )
    assert str(made.connection_type.value) == "EntraIdOIDC" and str(made.state.value) == "active"
    stored = {c["id"]: c for c in workos_emu.control.state()["connections"]}[made.id]["oidc_options"]
    assert stored.get("token_authentication_method") == method
    assert stored.get("client_secret") == options.get("client_secret")
    body = {
        "organization_id": org,
        "oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c", **stored},
    }
    if "jwt_signing_key_pair" in stored:
        body["oidc_options"]["jwt_signing_key_pair"] = stored["jwt_signing_key_pair"]
    shown = _post(workos_client, body)
    assert OIDC_SECRET not in str(shown) and PKCS8_KEY not in str(shown)
    assert shown["oidc_options"]["redirect_uri"] == options.get("redirect_uri", shown["callback_endpoint"])
    assert ("jwt_signing_certs" in shown["oidc_options"]) == (method == "private_key_jwt")


@pytest.mark.parametrize(
    ("connection_type", "oidc", "accepted"),
    [
        ("ADFSSAML", False, True),
        ("AzureSAML", False, True),
        ("ShibbolethGenericSAML", False, True),
        ("ShibbolethSAML", False, True),
        ("VMwareSAML", False, True),
        ("AdpOidc", True, True),
        ("LoginGovOidc", True, True),
        ("GenericOIDC", True, True),
        ("CleverOIDC", True, False),  # an OIDC type in the enum that POST does not create
        ("GoogleOAuth", False, False),
        ("GoogleOAuth", True, False),
        ("MagicLink", False, False),
        ("OktaSAML", True, False),  # the type must match the options given
        ("EntraIdOIDC", False, False),
        ("NoSuchSAML", False, False),
    ],
)
def test_connection_types_post_accepts(
    workos_client: WorkOSClient, connection_type: str, oidc: bool, accepted: bool
) -> None:
    org = _org(workos_client, domain=None)
    options: CreateProtocolOptionsSAML | CreateProtocolOptionsOIDC = (
        _oidc(client_secret=OIDC_SECRET) if oidc else _full_saml()
    )
    if not accepted:
        with pytest.raises(UnprocessableEntityError):
            workos_client.sso.create_connection(
                organization_id=org, connection_type=connection_type, protocol_options=options
            )
        return
    made = workos_client.sso.create_connection(
        organization_id=org, connection_type=connection_type, protocol_options=options
    )
    assert str(made.connection_type.value) == connection_type


@pytest.mark.parametrize(
    ("options", "field", "code"),
    [
        ({"saml_options": {"idp_metadata_url": "https://x.test/m", "idp_sso_url": "https://x.test/s"}},
         "idp_metadata_url", "idp_metadata_url_exclusive"),
        ({"saml_options": {"idp_sso_url": "not a url"}}, "idp_sso_url", "invalid_url"),
        ({"saml_options": {"idp_signing_certs": [""]}}, "idp_signing_certs", "idp_signing_certs_array_required"),
        ({"saml_options": {"sp_signing_key_pair": {"key": PKCS8_KEY}}}, "sp_signing_key_pair", "invalid_key_pair"),
        ({"saml_options": {"sp_signing_key_pair": {"key": "-----BEGIN ENCRYPTED PRIVATE KEY-----", "cert": SP_CERT}}},
         "sp_signing_key_pair", "invalid_private_key"),
        ({"saml_options": {"sp_encryption_key_pairs": [{"key": PKCS1_KEY, "cert": "MIIB"}]}},
         "sp_encryption_key_pairs", "invalid_certificate"),
        ({"oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c"}}, "client_secret", "client_secret_required"),
        ({"oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c", "client_secret": "s",
                           "token_authentication_method": "private_key_jwt"}}, "client_secret", "client_secret_not_allowed"),
        ({"oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c", "client_secret": "s",
                           "jwt_signing_key_pair": {"key": PKCS8_KEY, "cert": SP_CERT}}},
         "jwt_signing_key_pair", "jwt_signing_key_pair_not_allowed"),
        ({"oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c", "client_secret": "s",
                           "id_token_signature_algorithm": "none"}},
         "id_token_signature_algorithm", "invalid_id_token_signature_algorithm"),
        ({"oidc_options": {"discovery_endpoint": "ftp://idp.test", "client_id": "c", "client_secret": "s"}},
         "discovery_endpoint", "invalid_url"),
        ({"oidc_options": {"discovery_endpoint": DISCOVERY, "client_id": "c", "client_secret": "s", "pkce": "yes"}},
         "pkce", "pkce_boolean_required"),
        ({"saml_options": {}, "external_id": "x" * 129}, "external_id", "invalid_external_id"),
        ({"saml_options": {}, "attribute_maps": ["email"]}, "attribute_maps", "attribute_maps_object_required"),
    ],
)  # fmt: skip
def test_bad_options_are_422_naming_the_field(
    workos_client: WorkOSClient, options: dict[str, Any], field: str, code: str
) -> None:
    org = _org(workos_client, domain=None)
    with pytest.raises(UnprocessableEntityError) as caught:
        _post(workos_client, {"organization_id": org, **options})
    assert [(e["field"], e["code"]) for e in caught.value.errors or []] == [(field, code)]


def test_incomplete_saml_starts_as_draft_without_an_event(workos_client: WorkOSClient) -> None:
    org = _org(workos_client)
    made = workos_client.sso.create_connection(
        organization_id=org,
        protocol_options=CreateProtocolOptionsSAML(
            saml_options=CreateConnectionSAMLOptions(idp_entity_id="https://idp.example.test/e")
        ),
    )
    assert (
        str(made.state.value) == "draft" and made.status is not None and str(made.status.value) == "unlinked"
    )
    events = workos_client.events.list_events(events=["connection.activated"]).data
    assert events == []


def test_list_filters_and_pagination(workos_client: WorkOSClient) -> None:
    a = _org(workos_client, "Alpha", "alpha.dev")
    b = _org(workos_client, "Beta", "beta.dev")
    made = []
    for n in range(7):
        made.append(
            workos_client.sso.create_connection(
                organization_id=a if n % 2 == 0 else b,
                name=f"Conn {n}",
                connection_type="OktaSAML" if n < 3 else "GenericSAML",
                protocol_options=_full_saml(),
            ).id
        )
    oidc = workos_client.sso.create_connection(
        organization_id=a, name="Login", protocol_options=_oidc(client_secret=OIDC_SECRET)
    ).id

    def ids(**filters: Any) -> list[str]:
        return [c.id for c in workos_client.sso.list_connections(order="asc", **filters).auto_paging_iter()]

    assert ids(limit=2) == [*made, oidc]
    assert ids(organization_id=a, limit=1) == [made[0], made[2], made[4], made[6], oidc]
    assert ids(domain="beta.dev") == [made[1], made[3], made[5]]
    assert ids(connection_type="OktaSAML") == made[:3]
    assert ids(connection_type="GenericOIDC", organization_id=a) == [oidc]
    assert ids(search="conn 5") == [made[5]]
    first = workos_client.sso.list_connections(limit=3)
    assert [c.id for c in first.data] == [oidc, made[6], made[5]] and first.list_metadata.after == made[5]
    second = workos_client.sso.list_connections(limit=3, after=made[5])
    assert [c.id for c in second.data] == [made[4], made[3], made[2]]
    back = workos_client.sso.list_connections(limit=3, before=made[4])
    assert [c.id for c in back.data] == [oidc, made[6], made[5]]


def test_delete_emits_connection_deleted(workos_client: WorkOSClient) -> None:
    org = _org(workos_client)
    made = workos_client.sso.create_connection(organization_id=org, protocol_options=_full_saml())
    workos_client.sso.delete_connection(made.id)
    with pytest.raises(NotFoundError):
        workos_client.sso.get_connection(made.id)
    [event] = workos_client.events.list_events(events=["connection.deleted"]).data
    assert event.event == "connection.deleted"
    assert (event.data.id, event.data.organization_id, str(event.data.state.value)) == (
        made.id,
        org,
        "deleting",
    )


def test_create_connection_api_switched_off_is_a_404_that_says_so(
    workos_client: WorkOSClient, workos_emu: Emulator
) -> None:
    org = _org(workos_client)
    workos_emu.control.set_connections_api(False)
    with pytest.raises(NotFoundError) as caught:
        workos_client.sso.create_connection(organization_id=org, protocol_options=_full_saml())
    message = caught.value.message
    assert "not enabled" in message and "migration capabilities" in message
    assert workos_client.sso.list_connections().data == []  # reads still work
    assert workos_emu.control.state()["feature_flags"] == {"connections_api": False}
    workos_emu.control.set_connections_api(True)
    workos_client.sso.create_connection(organization_id=org, protocol_options=_full_saml())


def test_seeded_connections_round_trip_with_their_external_key(workos_emu: Emulator) -> None:
    workos_emu.control.seed({"organizations": [{"id": "org_01HZZZZZZZZZZZZZZZZZZZZZZ1", "name": "Seeded"}]})
    workos_emu.control.seed(
        {
            "connections": [
                {"organization_id": "org_01HZZZZZZZZZZZZZZZZZZZZZZ1", "external_id": "s-1", "state": "draft"}
            ],
            "feature_flags": {"connections_api": False},
        }
    )
    state = workos_emu.control.state()
    assert state["connections"][0]["external_key"]
    workos_emu.control.reset()
    workos_emu.control.seed(state)
    assert workos_emu.control.state() == state

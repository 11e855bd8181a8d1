"""Pure mapping of Stytch connections onto WorkOS connection requests, and the plan's SSO part."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import ConnectionsConfig
from stytch2workos.plan_connections import LedgerFact, plan_connections
from stytch2workos.transform.connections import (
    API_UNAVAILABLE,
    DIRECTORY,
    EXTERNAL,
    INACTIVE,
    NOTE_ATTRIBUTES,
    NOTE_ENCRYPTION,
    NOTE_IDP_INITIATED,
    NOTE_PROXIED_ACS,
    NOTE_SCOPES,
    OIDC_NO_ISSUER,
    OIDC_NO_SECRET,
    PENDING,
    RECREATE_DISABLED,
    SAML_INCOMPLETE,
    UNSUPPORTED,
    Attributes,
    OidcOptions,
    RoleRule,
    SamlOptions,
    attributes,
    connection_secrets,
    decide,
    decide_all,
    discovery_endpoint,
)

ORG = "organization-test-1"
IDP_CERT = "-----BEGIN CERTIFICATE-----\nSURQLWNlcnQ=\n-----END CERTIFICATE-----"
SP_CERT = "-----BEGIN CERTIFICATE-----\nU1AtY2VydA==\n-----END CERTIFICATE-----"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nRkFLRS1rZXk=\n-----END RSA PRIVATE KEY-----"
SECRET = "fake-oidc-secret-not-real"
ACS = "https://test.stytch.com/v1/b2b/sso/callback/saml-connection-test-1"
ACTIVE, ALL, NONE = ConnectionsConfig("active"), ConnectionsConfig("all"), ConnectionsConfig("none")


def saml(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization_id": ORG,
        "connection_id": "saml-connection-test-1",
        "status": "active",
        "display_name": "Okta",
        "identity_provider": "okta",
        "idp_entity_id": "http://www.okta.example/exk1",
        "idp_sso_url": "https://acme.okta.example/app/sso/saml",
        "acs_url": ACS,
        "audience_uri": ACS,
        "alternative_audience_uri": "",
        "alternative_acs_url": "",
        "idp_initiated_auth_disabled": True,
        "attribute_mapping": {"email": "email", "first_name": "firstName", "last_name": "lastName"},
        "signing_certificates": [{"certificate_id": "", "certificate": SP_CERT, "issuer": "Stytch"}],
        "verification_certificates": [{"certificate_id": "v1", "certificate": IDP_CERT, "issuer": "IdP"}],
        "encryption_private_keys": [],
        "saml_connection_implicit_role_assignments": [],
        "saml_group_implicit_role_assignments": [],
    }
    data.update(kw)
    return data


def oidc(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization_id": ORG,
        "connection_id": "oidc-connection-test-1",
        "status": "active",
        "display_name": "Entra",
        "identity_provider": "microsoft-entra",
        "redirect_url": "https://test.stytch.com/v1/b2b/sso/callback/oidc-connection-test-1",
        "client_id": "client-1",
        "client_secret": SECRET,
        "issuer": "https://login.entra.example/tenant/v2.0/",
        "custom_scopes": "",
        "attribute_mapping": {},
    }
    data.update(kw)
    return data


def scim(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization_id": ORG,
        "connection_id": "scim-connection-test-1",
        "status": "active",
        "display_name": "Okta SCIM",
        "identity_provider": "okta",
        "base_url": "https://test.stytch.com/v1/b2b/scim/scim-connection-test-1",
        "bearer_token_last_four": "abcd",
        "scim_group_implicit_role_assignments": [
            {"role_id": "editor", "group_id": "g1", "group_name": "Eng"}
        ],
    }
    data.update(kw)
    return data


def external(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organization_id": ORG,
        "connection_id": "external-connection-test-1",
        "external_organization_id": "organization-test-2",
        "external_connection_id": "saml-connection-test-2",
        "display_name": "Okta (shared)",
        "status": "active",
        "external_connection_implicit_role_assignments": [{"role_id": "viewer"}],
        "external_group_implicit_role_assignments": [{"role_id": "editor", "group": "Eng"}],
    }
    data.update(kw)
    return data


# -- what each connection becomes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "config", "action", "reason"),
    [
        ("saml", saml(), ACTIVE, "create", None),
        (
            "saml",
            saml(status="pending", idp_entity_id="", idp_sso_url="", verification_certificates=[]),
            ACTIVE,
            "skip",
            PENDING,
        ),
        (
            "saml",
            saml(status="pending", idp_entity_id="", idp_sso_url="", verification_certificates=[]),
            ALL,
            "create",
            None,
        ),
        ("saml", saml(status="pending"), NONE, "skip", PENDING),
        ("saml", saml(), NONE, "handoff", RECREATE_DISABLED),
        ("saml", saml(status="disabled"), ALL, "skip", INACTIVE),
        ("saml", saml(status=None), ACTIVE, "skip", INACTIVE),
        ("saml", saml(verification_certificates=[]), ACTIVE, "handoff", SAML_INCOMPLETE),
        (
            "saml",
            saml(verification_certificates=[{"certificate": PRIVATE_KEY}]),
            ACTIVE,
            "handoff",
            SAML_INCOMPLETE,
        ),
        ("saml", saml(idp_sso_url="not a url"), ACTIVE, "handoff", SAML_INCOMPLETE),
        ("saml", saml(idp_entity_id=""), ACTIVE, "handoff", SAML_INCOMPLETE),
        ("saml", saml(verification_certificates="garbage"), ACTIVE, "handoff", SAML_INCOMPLETE),
        ("oidc", oidc(), ACTIVE, "create", None),
        ("oidc", oidc(client_secret=""), ACTIVE, "handoff", OIDC_NO_SECRET),
        ("oidc", oidc(issuer=""), ACTIVE, "handoff", OIDC_NO_ISSUER),
        ("oidc", oidc(issuer="login.example"), ACTIVE, "handoff", OIDC_NO_ISSUER),
        ("oidc", oidc(client_id=""), ACTIVE, "handoff", OIDC_NO_ISSUER),
        ("oidc", oidc(status="pending"), ACTIVE, "skip", PENDING),
        ("oidc", oidc(), NONE, "handoff", RECREATE_DISABLED),
        ("external", external(), ACTIVE, "handoff", EXTERNAL),
        ("external", external(), ALL, "handoff", EXTERNAL),
        ("external", external(status="deleted"), ACTIVE, "skip", INACTIVE),
        ("scim", scim(), ACTIVE, "handoff", DIRECTORY),
        ("scim", scim(), NONE, "handoff", DIRECTORY),
        ("scim", scim(status="deleted"), ACTIVE, "skip", INACTIVE),
        (
            "ldap",
            {"connection_id": "x", "organization_id": ORG, "status": "active"},
            ACTIVE,
            "skip",
            UNSUPPORTED,
        ),
    ],
)
def test_each_connection_is_created_handed_off_or_skipped(
    kind: str, raw: dict[str, Any], config: ConnectionsConfig, action: str, reason: str | None
) -> None:
    d = decide(kind, raw, config)
    assert (d.action, d.reason) == (action, reason)
    assert (d.request is not None) == (action == "create")


@pytest.mark.parametrize(
    ("provider", "kind", "expected"),
    [
        ("okta", "saml", "OktaSAML"),
        ("microsoft-entra", "saml", "AzureSAML"),
        ("google-workspace", "saml", "GoogleSAML"),
        ("onelogin", "saml", "OneLoginSAML"),
        ("jumpcloud", "saml", "JumpCloudSAML"),
        ("pingfederate", "saml", "PingFederateSAML"),
        ("cyberark", "saml", "CyberArkSAML"),
        ("duo", "saml", "DuoSAML"),
        ("keycloak", "saml", "KeycloakSAML"),
        ("miniorange", "saml", "MiniOrangeSAML"),
        ("rippling", "saml", "RipplingSAML"),
        ("salesforce", "saml", "SalesforceSAML"),
        ("classlink", "saml", "ClassLinkSAML"),
        ("shibboleth", "saml", "GenericSAML"),  # ShibbolethSAML or ShibbolethGenericSAML: unverified
        ("generic", "saml", "GenericSAML"),
        ("", "saml", "GenericSAML"),
        ("OKTA", "saml", "OktaSAML"),
        ("microsoft-entra", "oidc", "EntraIdOIDC"),
        ("okta", "oidc", "GenericOIDC"),  # OktaOIDC is in the SDK; whether POST takes it is unverified
        ("keycloak", "oidc", "GenericOIDC"),
    ],
)
def test_connection_types(provider: str, kind: str, expected: str) -> None:
    raw = saml(identity_provider=provider) if kind == "saml" else oidc(identity_provider=provider)
    d = decide(kind, raw, ACTIVE)
    assert d.request is not None and d.request.connection_type == expected


def test_saml_carries_the_idp_side_and_the_audience_never_stytch_keys() -> None:
    raw = saml(
        verification_certificates=[
            {"certificate": IDP_CERT},
            {"certificate": IDP_CERT.replace("SURQ", "T0xE")},
        ],
        encryption_private_keys=[{"private_key_id": "k", "private_key": PRIVATE_KEY}],
        idp_initiated_auth_disabled=False,
        saml_connection_implicit_role_assignments=[{"role_id": "viewer"}],
        saml_group_implicit_role_assignments=[{"role_id": "editor", "group": "Eng"}, {"role_id": "x"}],
    )
    d = decide("saml", raw, ACTIVE)
    assert d.request is not None
    assert d.request.options == SamlOptions(
        idp_entity_id="http://www.okta.example/exk1",
        idp_sso_url="https://acme.okta.example/app/sso/saml",
        idp_signing_certs=(IDP_CERT, IDP_CERT.replace("SURQ", "T0xE")),
        sp_entity_id=ACS,
        acs_url=None,
    )
    assert (d.request.external_id, d.request.name, d.request.secrets) == (
        "saml-connection-test-1",
        "Okta",
        (),
    )
    assert SP_CERT not in repr(d) and PRIVATE_KEY not in repr(d)
    assert d.facts.idp_target == ACS and d.facts.audience == ACS
    assert set(d.facts.notes) == {NOTE_ENCRYPTION, NOTE_IDP_INITIATED}
    assert d.facts.role_rules == (RoleRule("viewer"), RoleRule("editor", "Eng"))


def test_alternative_audience_and_acs_left_by_a_migration_into_stytch_are_kept() -> None:
    alt_acs, alt_audience = (
        "https://login.vendor.example/saml/acs/1",
        "https://login.vendor.example/saml/metadata",
    )
    d = decide("saml", saml(alternative_acs_url=alt_acs, alternative_audience_uri=alt_audience), ACTIVE)
    assert d.request is not None and isinstance(d.request.options, SamlOptions)
    assert (d.request.options.sp_entity_id, d.request.options.acs_url) == (alt_audience, alt_acs)
    assert d.facts.idp_target == alt_acs and NOTE_PROXIED_ACS in d.facts.notes


def test_oidc_discovery_from_the_issuer_and_the_secret_only_in_the_request() -> None:
    d = decide(
        "oidc", oidc(custom_scopes="openid email groups", attribute_mapping={"groups": "groups"}), ACTIVE
    )
    assert d.request is not None
    assert d.request.options == OidcOptions(
        "https://login.entra.example/tenant/v2.0/.well-known/openid-configuration", "client-1", SECRET
    )
    assert d.request.secrets == (SECRET,)
    assert SECRET not in repr(d) and SECRET not in repr(d.facts)
    assert d.facts.client_id == "client-1" and d.facts.notes == (NOTE_SCOPES,)
    assert d.request.attributes == Attributes(groups="groups")


@pytest.mark.parametrize(
    ("issuer", "endpoint"),
    [
        ("https://idp.example", "https://idp.example/.well-known/openid-configuration"),
        ("https://idp.example/", "https://idp.example/.well-known/openid-configuration"),
        (
            "https://idp.example/realms/acme//",
            "https://idp.example/realms/acme/.well-known/openid-configuration",
        ),
    ],
)
def test_discovery_endpoint(issuer: str, endpoint: str) -> None:
    assert discovery_endpoint(issuer) == endpoint


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (None, None),
        ({}, None),
        ("email", None),
        ({"email": "mail", "full_name": "cn"}, Attributes(email="mail", name="cn")),
        ({"email": " mail ", "groups": ""}, Attributes(email="mail")),
        (
            {"email": "mail", "department": "dept", "title": 7},
            Attributes(email="mail", not_carried=("department",)),
        ),
    ],
)
def test_attribute_maps(mapping: Any, expected: Attributes | None) -> None:
    assert attributes(mapping) == expected


def test_unmapped_attributes_are_noted() -> None:
    d = decide("saml", saml(attribute_mapping={"email": "mail", "cost_center": "cc"}), ACTIVE)
    assert NOTE_ATTRIBUTES in d.facts.notes and d.facts.not_carried == ("cost_center",)


def test_scim_and_external_facts_for_the_packet() -> None:
    d = decide("scim", scim(), ACTIVE)
    assert d.ledger_kind == "directory"
    assert (d.facts.token_last_four, d.facts.role_rules) == ("abcd", (RoleRule("editor", "Eng"),))
    e = decide("external", external(), ACTIVE)
    assert e.ledger_kind == "connection" and e.facts.shared_from == "organization-test-2"
    assert e.facts.role_rules == (RoleRule("viewer"), RoleRule("editor", "Eng"))


def test_names_are_unique_within_an_organization() -> None:
    rows = [
        ("saml", saml()),
        ("saml", saml(connection_id="saml-connection-test-2")),
        ("saml", saml(connection_id="saml-connection-test-3", organization_id="organization-test-9")),
        ("oidc", oidc(display_name="")),
    ]
    names = [d.request.name for d in decide_all(rows, ACTIVE) if d.request is not None]
    assert names == ["Okta (n-test-1)", "Okta (n-test-2)", "Okta", "microsoft-entra SSO"]


def test_connection_secrets() -> None:
    raw = saml(encryption_private_keys=[{"private_key": PRIVATE_KEY}, {"private_key": 3}])
    assert connection_secrets(raw) == (PRIVATE_KEY,)
    assert connection_secrets(oidc()) == (SECRET,)
    assert connection_secrets(scim()) == ()


# -- the plan -----------------------------------------------------------------------------------


def _plan_rows() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("saml", saml()),
        ("oidc", oidc()),
        ("saml", saml(connection_id="saml-connection-test-p", status="pending")),
        ("external", external()),
        ("scim", scim()),
    ]


@pytest.mark.parametrize(
    ("facts", "api", "create", "reuse"),
    [
        ({}, "unknown", 2, 0),
        (
            {("connection", "saml-connection-test-1"): LedgerFact("created", None, "2024-01-01T00:00:00Z")},
            "available",
            1,
            1,
        ),
        (
            {
                ("connection", "saml-connection-test-1"): LedgerFact("created", None, "2024-01-01T00:00:00Z"),
                ("connection", "oidc-connection-test-1"): LedgerFact(
                    "handoff", API_UNAVAILABLE, "2024-02-01T00:00:00Z"
                ),
            },
            "unavailable",
            1,
            1,
        ),
        (
            {
                ("connection", "oidc-connection-test-1"): LedgerFact(
                    "handoff", API_UNAVAILABLE, "2024-02-01T00:00:00Z"
                )
            },
            "unavailable",
            2,
            0,
        ),
    ],
)
def test_plan_counts_and_says_once_whether_the_api_is_known_to_be_on(
    facts: dict[tuple[str, str], LedgerFact], api: str, create: int, reuse: int
) -> None:
    plan = plan_connections(decide_all(_plan_rows(), ACTIVE), {ORG: "Acme"}, facts)
    assert (plan.api, plan.create, plan.reuse) == (api, create, reuse)
    assert dict(plan.handoff) == {EXTERNAL: 1, DIRECTORY: 1} and dict(plan.skip) == {PENDING: 1}
    doc = plan.to_json()
    assert doc["api_message"] and set(doc["reasons"]) == {EXTERNAL, DIRECTORY, PENDING}
    [row] = doc["per_organization"]
    assert (row["name"], row["create"] + row["reuse"], len(row["handoff"]), len(row["skip"])) == (
        "Acme",
        2,
        2,
        1,
    )
    if api == "unknown":
        assert "404" in plan.api_message and API_UNAVAILABLE in plan.api_message
    assert SECRET not in str(doc)

"""The generated Stytch SSO and SCIM objects: every documented identity provider, the
``alternative_*`` URIs, PKCS#1 encryption keys, and the Stytch emulator serving them
through the official SDK."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from stytch import B2BClient
from stytch.b2b.models.scim import SCIMConnection
from stytch.b2b.models.sso import SAMLConnection

from conftest import Emulator
from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.project import generate_project

pytestmark = pytest.mark.timeout(120)

# stytch-b2b-api.md §5 and §6.1.
SAML_PROVIDERS = {
    "classlink", "cyberark", "duo", "google-workspace", "jumpcloud", "keycloak", "miniorange",
    "microsoft-entra", "okta", "onelogin", "pingfederate", "rippling", "salesforce", "shibboleth", "generic",
}  # fmt: skip
SCIM_PROVIDERS = {
    "okta",
    "microsoft-entra",
    "cyberark",
    "jumpcloud",
    "onelogin",
    "pingfederate",
    "rippling",
    "generic",
    "",
}

Json = dict[str, Any]


@pytest.fixture(scope="module")
def seed() -> Json:
    return generate_project(3000, 3000, seed=4).seed


def _saml(seed: Json) -> list[Json]:
    return [c for sso in seed["sso_connections"].values() for c in sso["saml_connections"]]


def test_every_documented_identity_provider_occurs(seed: Json) -> None:
    saml = _saml(seed)
    assert {c["identity_provider"] for c in saml} == SAML_PROVIDERS
    assert {c["identity_provider"] for c in seed["scim_connections"].values()} == SCIM_PROVIDERS
    for connection in saml:
        SAMLConnection.model_validate(connection)
        if connection["status"] == "active":
            assert connection["idp_sso_url"].startswith("https://") and connection["idp_entity_id"]
    for scim in seed["scim_connections"].values():
        SCIMConnection.model_validate(scim)
    names = Counter((c["identity_provider"], c["display_name"]) for c in saml)
    assert len({provider for provider, _ in names}) == len(names)  # one display name per provider


def test_alternative_uris_and_pkcs1_encryption_keys(seed: Json) -> None:
    saml = _saml(seed)
    with_audience = [c for c in saml if c["alternative_audience_uri"]]
    with_acs = [c for c in saml if c["alternative_acs_url"]]
    assert with_audience and with_acs and all(c["alternative_audience_uri"] for c in with_acs)
    assert all(c["alternative_acs_url"].endswith(c["connection_id"]) for c in with_acs)
    assert all(c["status"] == "active" for c in with_audience)
    keys = [k["private_key"] for c in saml for k in c["encryption_private_keys"]]
    assert keys
    for pem in set(keys):
        assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
        assert isinstance(load_pem_private_key(pem.encode(), password=None), rsa.RSAPrivateKey)


def test_the_stytch_emulator_serves_one_of_each_provider(seed: Json, stytch_emu: Emulator) -> None:
    chosen: dict[str, str] = {}  # provider -> organization
    for org_id, sso in seed["sso_connections"].items():
        for c in sso["saml_connections"]:
            chosen.setdefault(c["identity_provider"], org_id)
    scim_orgs = {}
    for org_id, scim in seed["scim_connections"].items():
        scim_orgs.setdefault(scim["identity_provider"], org_id)
    org_ids = set(chosen.values()) | set(scim_orgs.values())
    small = {
        "organizations": [o for o in seed["organizations"] if o["organization_id"] in org_ids],
        "sso_connections": {o: seed["sso_connections"][o] for o in org_ids},
        "scim_connections": {o: s for o, s in seed["scim_connections"].items() if o in org_ids},
        "members": [],
    }
    stytch_emu.control.seed(small)
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    served = set()
    for org_id in set(chosen.values()):
        response = client.sso.get_connections(organization_id=org_id)
        by_id = {c.connection_id: c for c in response.saml_connections}
        for raw in seed["sso_connections"][org_id]["saml_connections"]:
            got = by_id[raw["connection_id"]]
            assert (got.identity_provider, got.alternative_acs_url) == (
                raw["identity_provider"],
                raw["alternative_acs_url"],
            )
            assert [k.private_key for k in got.encryption_private_keys] == [
                k["private_key"] for k in raw["encryption_private_keys"]
            ]
            served.add(got.identity_provider)
    assert served == SAML_PROVIDERS
    for provider, org_id in scim_orgs.items():
        connection = client.scim.connection.get(organization_id=org_id).connection
        assert connection is not None and connection.identity_provider == provider

"""SSO and SCIM connections of a synthetic project, shaped as ``GET /v1/b2b/sso/{org}`` and
``GET /v1/b2b/scim/{org}/connection`` return them.

Identity-provider hosts are fake (``*.okta.example``, ``login.entra.example``, ...); the
ACS, redirect and SCIM base URLs follow Stytch's own pattern under its API host, because
that is what a migration has to hand over to the customer's IdP admins.

Every ``identity_provider`` Stytch documents for SAML (and ``""``) and for SCIM occurs.
The rarer ones refine a "generic" draw with a generator seeded by the connection id, and
so do the occasional ``alternative_audience_uri``/``alternative_acs_url`` (left behind by
a migration into Stytch): the project's main random stream is drawn exactly as before, so
adding them changed no other generated value. SAML encryption keys are PKCS#1
(``RSA PRIVATE KEY``), the only format Stytch returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from stytch2workos_emulators.synth.common import BASE_TS, DAY, NOW_TS, Ids, Json, new_uuid, rfc3339
from stytch2workos_emulators.synth.idp_endpoints import (
    ALNUM,
    oidc_endpoints,
    random_token,
    saml_attribute_mapping,
    saml_endpoints,
)
from stytch2workos_emulators.synth.keys import certificate_pem, fake_rsa_key, self_signed_certificate
from stytch2workos_emulators.synth.rbac import GROUP_ROLES

_EMAIL_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
_UNSPECIFIED_NAMEID = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

SAML_PROVIDERS = {
    "okta": "Okta",
    "microsoft-entra": "Microsoft Entra ID",
    "google-workspace": "Google Workspace",
    "onelogin": "OneLogin",
    "jumpcloud": "JumpCloud",
    "generic": "Corporate SSO",
}
_SAML_WEIGHTS = (35, 30, 12, 8, 7, 8)
# The other SAML providers Stytch documents; a "generic" draw may become one of them.
_SAML_REFINED = {
    "classlink": "ClassLink",
    "cyberark": "CyberArk Identity",
    "duo": "Duo SSO",
    "keycloak": "Keycloak",
    "miniorange": "miniOrange",
    "pingfederate": "PingFederate",
    "rippling": "Rippling",
    "salesforce": "Salesforce",
    "shibboleth": "Shibboleth",
}
_PROVIDER_NAMES = {**SAML_PROVIDERS, **_SAML_REFINED}
_REFINABLE = {"generic": 0.75, "jumpcloud": 0.5}  # main-stream draw → chance it is refined
OIDC_PROVIDERS = {
    "okta": "Okta OIDC",
    "microsoft-entra": "Entra ID (OIDC)",
    "keycloak": "Keycloak",
    "generic": "Company Login",
}
_OIDC_WEIGHTS = (40, 30, 15, 15)
# Directory groups that grant no role: SCIM pushes them all the same.
_PLAIN_GROUPS = ("All Staff", "Contractors", "Interns", "Berlin Office")
_SCIM_PROVIDERS = ("okta", "microsoft-entra", "jumpcloud", "onelogin", "rippling", "generic", "")
# Documented SCIM providers that refine a "generic" SCIM draw, as the SAML ones do.
_SCIM_REFINED = ("cyberark", "pingfederate")
_VENDOR = "https://login.vendor-app.example"  # the app's own login host, for the alternative_* URLs


@dataclass(frozen=True)
class CertPool:
    """The few certificates and keys a project's SAML connections share."""

    idp: tuple[tuple[str, str, int, int], ...]  # (PEM, issuer, created, expires)
    sp_certificate: str
    encryption_key: str


@dataclass(frozen=True)
class ConnectionInfo:
    """What the rest of the generator needs to know about one SSO connection."""

    organization_id: str
    connection_id: str
    kind: str  # "saml", "oidc" or "external"
    display_name: str
    identity_provider: str
    active: bool
    implicit_roles: tuple[str, ...] = ()
    group_roles: tuple[tuple[str, str], ...] = ()  # (group, role_id)


@dataclass(frozen=True)
class ScimInfo:
    """What the rest of the generator needs to know about an org's SCIM connection."""

    connection_id: str
    display_name: str
    token_last_four: str
    token_expires_at: str | None
    groups: tuple[tuple[str, str, str], ...]  # (group_id, group_name, role_id)
    directory_groups: tuple[Json, ...]  # every group the IdP pushed, with or without a role


def cert_pool(rng: random.Random) -> CertPool:
    """Issue the project's handful of certificates: four IdP signing certs and Stytch's own."""
    idp_key = fake_rsa_key("idp-signing")
    sp_key = fake_rsa_key("stytch-sp")
    idp = []
    for n in range(1, 5):
        created = BASE_TS - rng.randint(30, 900) * DAY
        # The last one expires soon after "now", as real rotation backlogs do.
        expires = NOW_TS + 45 * DAY if n == 4 else created + 3650 * DAY
        cert = self_signed_certificate(
            idp_key,
            f"fake-idp-{n}.example",
            "Fake Identity Provider (test data)",
            rng.getrandbits(120) + 1,
            created,
            expires,
        )
        idp.append((certificate_pem(cert), cert.issuer.rfc4514_string(), created, expires))
    sp = self_signed_certificate(
        sp_key,
        "stytch-emulator.example",
        "Stytch emulator (test data)",
        rng.getrandbits(120) + 1,
        BASE_TS - 400 * DAY,
        BASE_TS + 3250 * DAY,
    )
    pkcs1 = sp_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return CertPool(tuple(idp), certificate_pem(sp), pkcs1.decode("ascii"))


def _local_rng(connection_id: str, purpose: str) -> random.Random:
    """A generator for one connection's rarer traits, apart from the project's main stream."""
    return random.Random(f"{connection_id}/{purpose}")


def saml_connection(
    rng: random.Random,
    ids: Ids,
    api: str,
    org_id: str,
    slug: str,
    domain: str,
    created: int,
    certs: CertPool,
    *,
    showcase: bool = False,
    pending: bool = False,
) -> tuple[Json, ConnectionInfo]:
    """A SAML connection; ``showcase`` turns on every optional feature (encryption, roles)."""
    connection_id = ids("saml-connection")
    provider = rng.choices(tuple(SAML_PROVIDERS), _SAML_WEIGHTS)[0]
    local = _local_rng(connection_id, "saml")
    # Generic and JumpCloud endpoints take no draws from the main stream, so either can
    # become a rarer provider without moving any later value. Keycloak only while pending:
    # an active one reaches scim_connection, where "keycloak" is the OIDC provider's.
    if provider in _REFINABLE and local.random() < _REFINABLE[provider]:
        if pending and local.random() < 0.5:  # keycloak's only chance, so a larger share
            provider = "keycloak"
        else:
            provider = local.choice(tuple(p for p in _SAML_REFINED if p != "keycloak"))
    display = _PROVIDER_NAMES[provider]
    acs = f"{api}/v1/b2b/sso/callback/{connection_id}"
    alternative_audience = alternative_acs = ""
    if not pending and local.random() < 0.15:
        alternative_audience = f"{_VENDOR}/saml/metadata/{slug}"
        if local.random() < 0.5:
            alternative_acs = f"{_VENDOR}/saml/acs/{connection_id}"
    signing = {
        "certificate_id": "",
        "certificate": certs.sp_certificate,
        "issuer": "Stytch",
        "created_at": rfc3339(created),
        "updated_at": rfc3339(created),
        "expires_at": rfc3339(BASE_TS + 3250 * DAY),
    }
    implicit: tuple[str, ...] = ()
    groups: tuple[tuple[str, str], ...] = ()
    verification: list[Json] = []
    encryption: list[Json] = []
    entity_id = sso_url = ""
    if not pending:
        entity_id, sso_url = saml_endpoints(rng, provider, slug, domain)
        # Two verification certs means an IdP certificate rotation caught mid-way.
        for pem, issuer, cert_created, cert_expires in rng.sample(certs.idp, 2 if rng.random() < 0.15 else 1):
            verification.append(
                {
                    "certificate_id": ids("saml-verification-key"),
                    "certificate": pem,
                    "issuer": issuer,
                    "created_at": rfc3339(max(cert_created, created)),
                    "updated_at": rfc3339(max(cert_created, created)),
                    "expires_at": rfc3339(cert_expires),
                }
            )
        if showcase or rng.random() < 0.25:
            encryption.append(
                {
                    "private_key_id": ids("saml-encryption-key"),
                    "private_key": certs.encryption_key,
                    "created_at": rfc3339(created),
                }
            )
        if showcase or rng.random() < 0.4:
            implicit = ("viewer",)
        if showcase:
            groups = (GROUP_ROLES[0], GROUP_ROLES[3], GROUP_ROLES[1])
        elif rng.random() < 0.6:
            groups = tuple(rng.sample(GROUP_ROLES, rng.randint(1, 3)))
        if provider == "microsoft-entra":
            # Entra sends group object ids, not display names, in the groups claim.
            groups = tuple((new_uuid(rng), role_id) for _, role_id in groups)
    connection = {
        "organization_id": org_id,
        "connection_id": connection_id,
        "status": "pending" if pending else "active",
        "display_name": display,
        "identity_provider": provider,
        "idp_entity_id": entity_id,
        "idp_sso_url": sso_url,
        "acs_url": acs,
        "audience_uri": acs,
        "alternative_audience_uri": alternative_audience,
        "alternative_acs_url": alternative_acs,
        "nameid_format": _UNSPECIFIED_NAMEID if rng.random() < 0.1 else _EMAIL_NAMEID,
        "idp_initiated_auth_disabled": rng.random() < 0.2,
        "allow_gateway_callback": False,
        "attribute_mapping": {} if pending else saml_attribute_mapping(provider),
        "signing_certificates": [signing],
        "verification_certificates": verification,
        "encryption_private_keys": encryption,
        "saml_connection_implicit_role_assignments": [{"role_id": role} for role in implicit],
        "saml_group_implicit_role_assignments": [{"role_id": role, "group": group} for group, role in groups],
    }
    info = ConnectionInfo(org_id, connection_id, "saml", display, provider, not pending, implicit, groups)
    return connection, info


def oidc_connection(
    rng: random.Random, ids: Ids, api: str, org_id: str, slug: str, domain: str
) -> tuple[Json, ConnectionInfo]:
    """An active OIDC connection, client secret included (Stytch returns it in clear)."""
    connection_id = ids("oidc-connection")
    provider = rng.choices(tuple(OIDC_PROVIDERS), _OIDC_WEIGHTS)[0]
    display = OIDC_PROVIDERS[provider]
    client_id, issuer, authorize, token, userinfo, jwks = oidc_endpoints(rng, provider, slug, domain)
    connection = {
        "organization_id": org_id,
        "connection_id": connection_id,
        "status": "active",
        "display_name": display,
        "identity_provider": provider,
        "redirect_url": f"{api}/v1/b2b/sso/callback/{connection_id}",
        "client_id": client_id,
        "client_secret": "fake-oidc-secret-" + random_token(rng, ALNUM, 32),
        "issuer": issuer,
        "authorization_url": authorize,
        "token_url": token,
        "userinfo_url": userinfo,
        "jwks_url": jwks,
        "custom_scopes": rng.choice(("", "", "", "offline_access", "openid email profile groups")),
        "attribute_mapping": {} if rng.random() < 0.6 else {"groups": "groups"},
    }
    return connection, ConnectionInfo(org_id, connection_id, "oidc", display, provider, True)


def external_connection(
    rng: random.Random, ids: Ids, org_id: str, source: ConnectionInfo
) -> tuple[Json, ConnectionInfo]:
    """A connection in ``org_id`` that signs members in through another org's connection."""
    connection_id = ids("external-connection")
    display = f"{source.display_name} (shared)"
    groups = (GROUP_ROLES[0],) if rng.random() < 0.7 else ()
    connection = {
        "organization_id": org_id,
        "connection_id": connection_id,
        "external_organization_id": source.organization_id,
        "external_connection_id": source.connection_id,
        "display_name": display,
        "status": "active",
        "external_connection_implicit_role_assignments": [{"role_id": "viewer"}],
        "external_group_implicit_role_assignments": [
            {"role_id": role, "group": group} for group, role in groups
        ],
    }
    info = ConnectionInfo(
        org_id, connection_id, "external", display, source.identity_provider, True, ("viewer",), groups
    )
    return connection, info


def scim_connection(
    rng: random.Random, ids: Ids, api: str, org_id: str, provider: str
) -> tuple[Json, ScimInfo]:
    """An active SCIM connection; only the bearer token's last four characters are visible."""
    connection_id = ids("scim-connection")
    if provider in _SAML_REFINED and provider != "keycloak":  # was generic or jumpcloud: no draw
        provider = provider if provider in (*_SCIM_PROVIDERS, *_SCIM_REFINED) else "generic"
    elif not provider or provider not in _SCIM_PROVIDERS:
        provider = rng.choice(_SCIM_PROVIDERS)
    if provider == "generic":
        local = _local_rng(connection_id, "scim")
        provider = local.choice(("generic", "generic", *_SCIM_REFINED))
    display = f"{_PROVIDER_NAMES.get(provider, 'Directory')} SCIM" if provider else "SCIM directory"
    expires = rfc3339(NOW_TS + rng.randint(30, 900) * DAY) if rng.random() < 0.7 else None
    rotating = rng.random() < 0.1
    chosen = rng.sample(GROUP_ROLES, rng.randint(1, 3))
    groups = tuple((ids("scim-group"), name, role) for name, role in chosen)
    names = [name for _, name, _ in groups] + rng.sample(_PLAIN_GROUPS, rng.randint(0, 2))
    directory = tuple(
        {
            "group_id": groups[n][0] if n < len(groups) else ids("scim-group"),
            "group_name": name,
            "organization_id": org_id,
            "connection_id": connection_id,
        }
        for n, name in enumerate(names)
    )
    last_four = random_token(rng, ALNUM, 4)
    connection = {
        "organization_id": org_id,
        "connection_id": connection_id,
        "status": "active",
        "display_name": display,
        "identity_provider": provider,
        "base_url": f"{api}/v1/b2b/scim/{connection_id}",
        "bearer_token_last_four": last_four,
        "bearer_token_expires_at": expires,
        "next_bearer_token_last_four": random_token(rng, ALNUM, 4) if rotating else "",
        "next_bearer_token_expires_at": rfc3339(NOW_TS + 365 * DAY) if rotating else None,
        "scim_group_implicit_role_assignments": [
            {"role_id": role, "group_id": group_id, "group_name": name} for group_id, name, role in groups
        ],
    }
    return connection, ScimInfo(connection_id, display, last_four, expires, groups, directory)

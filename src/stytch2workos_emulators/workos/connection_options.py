"""SSO connection options: checking what ``create_connection`` sends, and what may be shown back.

The request shapes are the SDK's ``CreateConnectionSAMLOptions`` and
``CreateConnectionOIDCOptions``. Private keys and the OIDC client secret are
write-only: they are stored (the control API's dump shows them) and never appear
in an API answer. What the create answer does show beyond the spec's Connection
(``callback_endpoint``, the SP entity id, certificates) is what WorkOS's own
migration CLI reads from it.
"""

from __future__ import annotations

import functools
from typing import Any

from stytch2workos_emulators.workos.errors import field_error, flag, text
from stytch2workos_emulators.workos.models import Connection

# Every ...SAML value of the SDK's ConnectionsConnectionType enum: POST accepts all 26.
SAML_TYPES = frozenset(
    {
        "ADFSSAML", "Auth0SAML", "AzureSAML", "CasSAML", "ClassLinkSAML", "CloudflareSAML",
        "CyberArkSAML", "DuoSAML", "GenericSAML", "GoogleSAML", "JumpCloudSAML", "KeycloakSAML",
        "LastPassSAML", "MiniOrangeSAML", "NetIqSAML", "OktaSAML", "OneLoginSAML", "OracleSAML",
        "PingFederateSAML", "PingOneSAML", "RipplingSAML", "SalesforceSAML", "ShibbolethGenericSAML",
        "ShibbolethSAML", "SimpleSamlPhpSAML", "VMwareSAML",
    }
)  # fmt: skip
# The OIDC types WorkOS's CLI creates, plus OktaOIDC and GoogleOIDC: the SDK enum has them
# and nothing says POST refuses them, so the emulator takes them rather than invent a refusal.
OIDC_TYPES = frozenset({"AdpOidc", "EntraIdOIDC", "GenericOIDC", "LoginGovOidc", "OktaOIDC", "GoogleOIDC"})

SAML_URLS = ("idp_metadata_url", "acs_url", "idp_sso_url")
SAML_MANUAL = ("idp_entity_id", "idp_sso_url", "idp_signing_certs")
TOKEN_AUTH_METHODS = ("client_secret_post", "client_secret_basic", "private_key_jwt")
ID_TOKEN_ALGORITHMS = (
    *(f"{family}{bits}" for family in ("RS", "PS", "ES", "HS") for bits in (256, 384, 512)),
    "EdDSA",
)
# The emulator's own host under the reserved .test TLD: a generated URL can never reach anything.
WORKOS_HOST = "https://api.workos.test"


def _url(body: dict[str, Any], name: str) -> str | None:
    value = text(body, name)
    if value is not None and not value.startswith(("https://", "http://")):
        field_error(name, "invalid_url", f"{name} must be an http(s) URL.")
    return value


def _key_pair(value: Any, field: str) -> dict[str, str]:
    """``{key, cert}``: an unencrypted PEM private key (PKCS#8 or PKCS#1) and a PEM certificate."""
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("key"), str)
        or not isinstance(value.get("cert"), str)
    ):
        field_error(field, "invalid_key_pair", f"{field} needs a key and a cert.")
    key, cert = value["key"], value["cert"]
    if "PRIVATE KEY-----" not in key or "ENCRYPTED" in key:
        field_error(field, "invalid_private_key", f"{field}.key must be an unencrypted PEM private key.")
    if "-----BEGIN CERTIFICATE-----" not in cert:
        field_error(field, "invalid_certificate", f"{field}.cert must be a PEM certificate.")
    return {"key": key, "cert": cert}


def saml_options(raw: Any) -> tuple[dict[str, Any], bool]:
    """Checked SAML options, and whether they configure the IdP fully (metadata or manual fields)."""
    if not isinstance(raw, dict):
        field_error("saml_options", "saml_options_object_required", "saml_options must be an object.")
    options: dict[str, Any] = {name: _url(raw, name) for name in SAML_URLS if name in raw}
    for name in ("sp_entity_id", "idp_entity_id"):
        if name in raw:
            options[name] = text(raw, name)
    certs = raw.get("idp_signing_certs")
    if certs is not None:
        if not isinstance(certs, list) or not all(isinstance(c, str) and c.strip() for c in certs):
            field_error("idp_signing_certs", "idp_signing_certs_array_required", "Must be a string array.")
        options["idp_signing_certs"] = list(certs)
    if options.get("idp_metadata_url") and any(options.get(name) for name in SAML_MANUAL):
        field_error(
            "idp_metadata_url",
            "idp_metadata_url_exclusive",
            "Give idp_metadata_url or the manual IdP fields (idp_entity_id, idp_sso_url, "
            "idp_signing_certs), not both.",
        )
    if raw.get("sp_signing_key_pair") is not None:
        options["sp_signing_key_pair"] = _key_pair(raw["sp_signing_key_pair"], "sp_signing_key_pair")
    pairs = raw.get("sp_encryption_key_pairs")
    if pairs is not None:
        if not isinstance(pairs, list):
            field_error("sp_encryption_key_pairs", "invalid_key_pair", "Must be an array.")
        options["sp_encryption_key_pairs"] = [_key_pair(p, "sp_encryption_key_pairs") for p in pairs]
    complete = bool(options.get("idp_metadata_url")) or all(options.get(name) for name in SAML_MANUAL)
    return options, complete


def oidc_options(raw: Any) -> dict[str, Any]:
    """Checked OIDC options: a secret for the client_secret_* methods, none for private_key_jwt."""
    if not isinstance(raw, dict):
        field_error("oidc_options", "oidc_options_object_required", "oidc_options must be an object.")
    options: dict[str, Any] = {
        "discovery_endpoint": text(raw, "discovery_endpoint", required=True),
        "client_id": text(raw, "client_id", required=True),
    }
    _url(raw, "discovery_endpoint")
    if "redirect_uri" in raw:
        options["redirect_uri"] = _url(raw, "redirect_uri")
    for name in ("pkce", "fetch_user_info"):
        if name in raw:
            options[name] = flag(raw, name)
    for name, allowed in (
        ("token_authentication_method", TOKEN_AUTH_METHODS),
        ("id_token_signature_algorithm", ID_TOKEN_ALGORITHMS),
    ):
        value = text(raw, name)
        if value is not None and value not in allowed:
            field_error(name, f"invalid_{name}", f"{name} must be one of: {', '.join(allowed)}.")
        if value is not None:
            options[name] = value
    # The SDK documents the secret as required for both client_secret_* methods; an omitted
    # method is taken as one of them, which is why WorkOS's CLI skips rows without a secret.
    key_jwt = options.get("token_authentication_method") == "private_key_jwt"
    secret = text(raw, "client_secret")
    if key_jwt and secret is not None:
        field_error("client_secret", "client_secret_not_allowed", "private_key_jwt takes no client_secret.")
    if not key_jwt and not secret:
        field_error(
            "client_secret",
            "client_secret_required",
            "client_secret is required unless token_authentication_method is private_key_jwt.",
        )
    if secret is not None:
        options["client_secret"] = secret
    if raw.get("jwt_signing_key_pair") is not None:
        if not key_jwt:
            field_error(
                "jwt_signing_key_pair",
                "jwt_signing_key_pair_not_allowed",
                "jwt_signing_key_pair is only accepted with token_authentication_method private_key_jwt.",
            )
        options["jwt_signing_key_pair"] = _key_pair(raw["jwt_signing_key_pair"], "jwt_signing_key_pair")
    return options


def connection_type(requested: str | None, oidc: bool) -> str:
    """The type to store: inferred when omitted, else one POST accepts for the protocol given."""
    if requested is None:
        return "GenericOIDC" if oidc else "GenericSAML"
    if requested not in (OIDC_TYPES if oidc else SAML_TYPES):
        field_error(
            "connection_type",
            "invalid_connection_type",
            "Only SAML and OIDC connection types can be created, matching the options given.",
        )
    return requested


@functools.cache
def generated_certificate() -> str:
    """The certificate of the key pair "WorkOS generates" when the customer brings none.

    One obviously fake key for the whole process (made once, a fraction of a second);
    a real environment would make one per connection.
    """
    from stytch2workos_emulators.synth.keys import certificate_pem, fake_rsa_key, self_signed_certificate

    key = fake_rsa_key("workos-emulator-sp")
    cert = self_signed_certificate(
        key, "workos-emulator.test", "WorkOS emulator (test data)", 1, 0, 4102444800
    )
    return certificate_pem(cert)


def callback_endpoint(c: Connection) -> str:
    """Where the IdP sends its answer: the SAML ACS, or the OIDC redirect URI."""
    kind = "oidc/callback" if c.oidc_options is not None else "saml/acs"
    return f"{WORKOS_HOST}/sso/{kind}/{c.external_key}"


def public_details(c: Connection) -> dict[str, Any]:
    """What a create answer adds to the Connection object: nothing secret."""
    body: dict[str, Any] = {
        "external_id": c.external_id,
        "external_key": c.external_key,
        "callback_endpoint": callback_endpoint(c),
        "attribute_maps": c.attribute_maps,
    }
    if c.saml_options is not None:
        s = c.saml_options
        signing = s.get("sp_signing_key_pair")
        pairs = s.get("sp_encryption_key_pairs") or []
        body["saml_options"] = {
            "idp_metadata_url": s.get("idp_metadata_url"),
            "idp_entity_id": s.get("idp_entity_id"),
            "idp_sso_url": s.get("idp_sso_url"),
            "idp_signing_certs": list(s.get("idp_signing_certs") or []),
            "acs_url": s.get("acs_url") or callback_endpoint(c),
            # "When omitted, the connection external key is used" (SDK docstring).
            "sp_entity_id": s.get("sp_entity_id") or c.external_key,
            "sp_metadata_url": f"{WORKOS_HOST}/sso/saml/metadata/{c.external_key}",
            "sp_signing_cert": signing["cert"] if signing else generated_certificate(),
            "sp_encryption_certs": [p["cert"] for p in pairs] or [generated_certificate()],
        }
    if c.oidc_options is not None:
        o = c.oidc_options
        body["oidc_options"] = {
            name: o.get(name)
            for name in (
                "discovery_endpoint",
                "client_id",
                "pkce",
                "token_authentication_method",
                "id_token_signature_algorithm",
                "fetch_user_info",
            )
        }
        body["oidc_options"]["redirect_uri"] = o.get("redirect_uri") or callback_endpoint(c)
        if o.get("token_authentication_method") == "private_key_jwt":
            pair = o.get("jwt_signing_key_pair")
            body["oidc_options"]["jwt_signing_certs"] = [pair["cert"] if pair else generated_certificate()]
    return body

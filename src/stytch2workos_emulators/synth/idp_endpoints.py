"""Fake identity-provider endpoints and attribute mappings for the synthetic SSO connections.

Hosts sit under reserved names (``*.example``) or the customer's own fake domain, shaped
like each provider's real URLs so a migration's mapping can be exercised on them.
"""

from __future__ import annotations

import random
import string

from stytch2workos_emulators.synth.common import Json, new_uuid

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
_ENTRA_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"


def random_token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choices(alphabet, k=length))


def saml_endpoints(rng: random.Random, provider: str, slug: str, domain: str) -> tuple[str, str]:
    if provider == "okta":
        app = "exk" + random_token(rng, ALNUM, 17)
        return (
            f"http://www.okta.example/{app}",
            f"https://{slug}.okta.example/app/{slug}_stytch_1/{app}/sso/saml",
        )
    if provider == "microsoft-entra":
        tenant = new_uuid(rng)
        return f"https://sts.entra.example/{tenant}/", f"https://login.entra.example/{tenant}/saml2"
    if provider == "google-workspace":
        idpid = "C0" + random_token(rng, LOWER_ALNUM, 7)
        base = "https://accounts.google.example/o/saml2"
        return f"{base}?idpid={idpid}", f"{base}/idp?idpid={idpid}"
    if provider == "onelogin":
        app = new_uuid(rng)
        return (
            f"https://app.onelogin.example/saml/metadata/{app}",
            f"https://{slug}.onelogin.example/trust/saml2/http-post/sso/{app}",
        )
    if provider == "jumpcloud":
        return (
            f"https://sso.jumpcloud.example/saml2/{slug}",
            f"https://sso.jumpcloud.example/saml2/{slug}/sso",
        )
    refined = {
        "classlink": (f"https://launchpad.classlink.example/{slug}", f"https://launchpad.classlink.example/{slug}/saml"),
        "cyberark": (f"https://{slug}.id.cyberark.example/saml", f"https://{slug}.id.cyberark.example/login/sso"),
        "duo": (f"https://sso.duo.example/saml2/sp/{slug}/metadata", f"https://sso.duo.example/saml2/sp/{slug}/sso"),
        "keycloak": (f"https://auth.{domain}/realms/{slug}", f"https://auth.{domain}/realms/{slug}/protocol/saml"),
        "miniorange": (f"https://login.xecurify.example/moas/{slug}", "https://login.xecurify.example/moas/idp/samlsso"),
        "pingfederate": (f"https://sso.{domain}:9031", f"https://sso.{domain}:9031/idp/SSO.saml2"),
        "rippling": (f"https://app.rippling.example/{slug}", f"https://app.rippling.example/sso/saml/{slug}"),
        "salesforce": (f"https://{slug}.my.salesforce.example", f"https://{slug}.my.salesforce.example/idp/endpoint/HttpPost"),
        "shibboleth": (f"https://idp.{domain}/idp/shibboleth", f"https://idp.{domain}/idp/profile/SAML2/POST/SSO"),
    }  # fmt: skip
    return refined.get(provider, (f"https://idp.{domain}/saml/metadata", f"https://idp.{domain}/saml/sso"))


def saml_attribute_mapping(provider: str) -> Json:
    if provider == "microsoft-entra":
        return {
            "email": f"{_ENTRA_CLAIMS}/emailaddress",
            "first_name": f"{_ENTRA_CLAIMS}/givenname",
            "last_name": f"{_ENTRA_CLAIMS}/surname",
            "groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
        }
    if provider == "google-workspace":
        return {"email": "email", "full_name": "name"}
    return {"email": "email", "first_name": "firstName", "last_name": "lastName", "groups": "groups"}


def oidc_endpoints(
    rng: random.Random, provider: str, slug: str, domain: str
) -> tuple[str, str, str, str, str, str]:
    """(client_id, issuer, authorization, token, userinfo, jwks) for a fake IdP tenant."""
    if provider == "okta":
        base = f"https://{slug}.okta.example"
        client_id = "0oa" + random_token(rng, ALNUM, 17)
        return (
            client_id,
            base,
            f"{base}/oauth2/v1/authorize",
            f"{base}/oauth2/v1/token",
            f"{base}/oauth2/v1/userinfo",
            f"{base}/oauth2/v1/keys",
        )
    if provider == "microsoft-entra":
        tenant = new_uuid(rng)
        base = f"https://login.entra.example/{tenant}"
        return (
            new_uuid(rng),
            f"{base}/v2.0",
            f"{base}/oauth2/v2.0/authorize",
            f"{base}/oauth2/v2.0/token",
            "https://graph.entra.example/oidc/userinfo",
            f"{base}/discovery/v2.0/keys",
        )
    if provider == "keycloak":
        base = f"https://auth.{domain}/realms/{slug}"
        flow = f"{base}/protocol/openid-connect"
        return "stytch-b2b", base, f"{flow}/auth", f"{flow}/token", f"{flow}/userinfo", f"{flow}/certs"
    base = f"https://login.{domain}"
    client_id = random_token(rng, LOWER_ALNUM, 24)
    return (
        client_id,
        base,
        f"{base}/authorize",
        f"{base}/oauth/token",
        f"{base}/userinfo",
        f"{base}/.well-known/jwks.json",
    )

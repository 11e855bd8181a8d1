"""Organizations of a synthetic project, with their SSO and SCIM connections.

The first few organizations are fixed showcases so that even a small project has every
feature a migration must handle: org 0 has SAML (encryption key, group roles), SCIM,
email-domain roles and custom roles; org 1 is a sibling of org 0 sharing its email
domain and signing in through org 0's SAML connection; org 2 is OIDC-only with sign-in
restricted to SSO; org 3 has both SAML and OIDC. Later organizations draw features at
random.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from stytch2workos_emulators.synth.common import BASE_TS, DAY, Ids, Json, between, later, rfc3339
from stytch2workos_emulators.synth.rbac import CUSTOM_ROLES, ORG_ROLE_IDS, org_custom_roles
from stytch2workos_emulators.synth.sso import (
    CertPool,
    ConnectionInfo,
    ScimInfo,
    external_connection,
    oidc_connection,
    saml_connection,
    scim_connection,
)
from stytch2workos_emulators.synth.vocab import (
    COMPANY_ADJECTIVES,
    COMPANY_NOUNS,
    COMPANY_SUFFIXES,
    COMPANY_TLDS,
    NON_ASCII_COMPANIES,
    SIBLING_SUFFIXES,
)

_CREATION_WINDOW = 540 * DAY


@dataclass(frozen=True)
class OrgContext:
    """The facts about one organization that shape its members."""

    organization_id: str
    created: int
    domains: tuple[str, ...]  # the company's mail domains, lowercase, primary first
    email_roles: tuple[tuple[str, str], ...]  # (domain, role_id)
    saml: tuple[ConnectionInfo, ...]  # active SAML connections
    oidc: tuple[ConnectionInfo, ...]  # active OIDC connections
    scim: ScimInfo | None
    custom_role_ids: tuple[str, ...]
    mfa_required: bool
    sso_only: bool


@dataclass(frozen=True)
class OrgBundle:
    """One organization as the emulator seed holds it, plus its context for members."""

    organization: Json
    sso: Json  # {"saml_connections": [...], "oidc_connections": [...], "external_connections": [...]}
    scim: Json | None
    context: OrgContext


@dataclass(frozen=True)
class _Company:
    name: str
    slug: str
    domains: tuple[str, ...]
    parent: int | None


def _unique_slug(base: str, used: set[str]) -> str:
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _company(rng: random.Random, index: int, earlier: list[_Company], used: set[str]) -> _Company:
    parent = 0 if index == 1 else None
    if index >= 4 and rng.random() < 0.1:
        parent = rng.randrange(index)
    if parent is not None:
        base = earlier[parent]
        name_suffix, slug_suffix = rng.choice(SIBLING_SUFFIXES)
        slug = _unique_slug(base.slug + slug_suffix, used)
        return _Company(base.name + name_suffix, slug, base.domains[:1], parent)
    if rng.random() < 0.1:
        name, slug_base = rng.choice(NON_ASCII_COMPANIES)
    else:
        adjective, noun = rng.choice(COMPANY_ADJECTIVES), rng.choice(COMPANY_NOUNS)
        name = f"{adjective} {noun}{rng.choice(COMPANY_SUFFIXES)}"
        slug_base = f"{adjective}-{noun}".lower()
    slug = _unique_slug(slug_base, used)
    tld = rng.choice(COMPANY_TLDS)
    domains: tuple[str, ...] = (f"{slug}.{tld}",)
    if rng.random() < 0.15:
        domains += (f"{slug}-corp.{rng.choice(COMPANY_TLDS)}",)
    return _Company(name, slug, domains, None)


def _auth_methods(rng: random.Random, index: int, has_sso: bool) -> list[str]:
    """Allowed primary auth methods; empty means ALL_ALLOWED."""
    if index == 2:
        return ["sso"]
    if index < 4 or rng.random() >= 0.2:
        return []
    if has_sso:
        return rng.choice((["sso"], ["sso", "magic_link"], ["sso", "password"]))
    return rng.choice((["magic_link", "password"], ["google_oauth", "microsoft_oauth"], ["password"]))


def _oauth_tenants(rng: random.Random, slug: str) -> Json:
    if rng.random() >= 0.1:
        return {}
    team = "T" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
    return rng.choice(({"slack": [team]}, {"github": [slug]}))


def _connections(
    rng: random.Random,
    ids: Ids,
    api: str,
    index: int,
    org_id: str,
    company: _Company,
    created: int,
    certs: CertPool,
    shared_sources: list[ConnectionInfo],
) -> tuple[Json, list[ConnectionInfo]]:
    saml: list[Json] = []
    oidc: list[Json] = []
    external: list[Json] = []
    infos: list[ConnectionInfo] = []
    domain = company.domains[0]
    if index in (0, 3) or (index >= 4 and rng.random() < 0.35):
        conn, info = saml_connection(
            rng, ids, api, org_id, company.slug, domain, created, certs, showcase=index == 0
        )
        saml.append(conn)
        infos.append(info)
        if index >= 4 and rng.random() < 0.1:
            # A second IdP being set up but never finished.
            conn, info = saml_connection(
                rng, ids, api, org_id, company.slug, domain, created, certs, pending=True
            )
            saml.append(conn)
            infos.append(info)
    if index in (2, 3) or (index >= 4 and rng.random() < 0.15):
        conn, info = oidc_connection(rng, ids, api, org_id, company.slug, domain)
        oidc.append(conn)
        infos.append(info)
    source: ConnectionInfo | None = None
    if index == 1 and shared_sources:
        source = shared_sources[0]
    elif index >= 4 and shared_sources and rng.random() < 0.04:
        source = rng.choice(shared_sources)
    if source is not None:
        conn, info = external_connection(rng, ids, org_id, source)
        external.append(conn)
        infos.append(info)
    sso = {"saml_connections": saml, "oidc_connections": oidc, "external_connections": external}
    return sso, infos


def _organization(
    rng: random.Random,
    index: int,
    org_id: str,
    company: _Company,
    created: int,
    connections: list[ConnectionInfo],
    scim: ScimInfo | None,
) -> tuple[Json, OrgContext]:
    # Stytch lists an org's own active SAML and OIDC connections here, not external ones.
    active = [c for c in connections if c.active and c.kind != "external"]
    keeps_domains = company.parent is not None or index == 0 or rng.random() < 0.75
    allowed = list(company.domains) if keeps_domains else []
    claimed = allowed[:1] if company.parent is None and allowed and rng.random() < 0.5 else []
    email_roles: list[tuple[str, str]] = []
    if allowed and (index == 0 or rng.random() < 0.3):
        email_roles.append((allowed[0], "viewer" if index == 0 else rng.choice(CUSTOM_ROLES[:2])))
        if len(allowed) > 1:
            email_roles.append((allowed[1], "billing_viewer"))
    custom: tuple[str, ...] = ()
    if index == 0:
        custom = ORG_ROLE_IDS[:2]
    elif index == 4 or (index > 4 and rng.random() < 0.12):
        custom = tuple(rng.sample(ORG_ROLE_IDS, rng.randint(1, 2)))
    auth_methods = _auth_methods(rng, index, bool(active))
    mfa_required = index == 1 or (index >= 4 and rng.random() < 0.2)
    mfa_methods = [] if rng.random() < 0.8 else [rng.choice(("totp", "sms_otp"))]
    jit = "ALL_ALLOWED"
    jit_allowed: list[str] = []
    if active and rng.random() < 0.4:
        jit = rng.choice(("RESTRICTED", "RESTRICTED", "NOT_ALLOWED"))
        jit_allowed = [active[0].connection_id] if jit == "RESTRICTED" else []
    tenants = _oauth_tenants(rng, company.slug)
    trusted: Json = {}
    if rng.random() < 0.5:
        trusted = {
            "plan": rng.choice(("starter", "team", "enterprise")),
            "billing_id": f"cus_test_{rng.getrandbits(48):012x}",
        }
        if rng.random() < 0.2:
            trusted["region"] = rng.choice(("us", "eu", "apac"))
    has_external_id = index == 0 or rng.random() < 0.4
    default = active[0].connection_id if active and (index < 4 or rng.random() < 0.85) else None
    org: Json = {
        "organization_id": org_id,
        "organization_name": company.name,
        "organization_slug": company.slug,
        "organization_logo_url": f"https://cdn.{company.domains[0]}/logo.png" if rng.random() < 0.3 else "",
        "organization_external_id": f"acct-{10_000 + index}" if has_external_id else None,
        "trusted_metadata": trusted,
        "sso_default_connection_id": default,
        "sso_jit_provisioning": jit,
        "sso_jit_provisioning_allowed_connections": jit_allowed,
        "sso_active_connections": [
            {
                "connection_id": c.connection_id,
                "display_name": c.display_name,
                "identity_provider": c.identity_provider,
            }
            for c in active
        ],
        "email_allowed_domains": allowed,
        "email_jit_provisioning": "RESTRICTED" if allowed and rng.random() < 0.6 else "NOT_ALLOWED",
        "email_invites": rng.choice(
            ("ALL_ALLOWED", "ALL_ALLOWED", "RESTRICTED" if allowed else "NOT_ALLOWED")
        ),
        "auth_methods": "RESTRICTED" if auth_methods else "ALL_ALLOWED",
        "allowed_auth_methods": auth_methods,
        "mfa_policy": "REQUIRED_FOR_ALL" if mfa_required else "OPTIONAL",
        "mfa_methods": "RESTRICTED" if mfa_methods else "ALL_ALLOWED",
        "allowed_mfa_methods": mfa_methods,
        "rbac_email_implicit_role_assignments": [{"domain": d, "role_id": r} for d, r in email_roles],
        "oauth_tenant_jit_provisioning": "RESTRICTED" if tenants else "NOT_ALLOWED",
        "allowed_oauth_tenants": tenants,
        "claimed_email_domains": claimed,
        "first_party_connected_apps_allowed_type": "ALL_ALLOWED",
        "allowed_first_party_connected_apps": [],
        "third_party_connected_apps_allowed_type": rng.choice(("ALL_ALLOWED", "ALL_ALLOWED", "NOT_ALLOWED")),
        "allowed_third_party_connected_apps": [],
        "custom_roles": org_custom_roles(custom),
        "scim_active_connection": None,
        "created_at": rfc3339(created),
        "updated_at": rfc3339(later(rng, created)),
    }
    if scim is not None:
        org["scim_active_connection"] = {
            "connection_id": scim.connection_id,
            "display_name": scim.display_name,
            "bearer_token_last_four": scim.token_last_four,
            "bearer_token_expires_at": scim.token_expires_at,
        }
    context = OrgContext(
        organization_id=org_id,
        created=created,
        domains=company.domains,
        email_roles=tuple(email_roles),
        saml=tuple(c for c in active if c.kind == "saml"),
        oidc=tuple(c for c in active if c.kind == "oidc"),
        scim=scim,
        custom_role_ids=custom,
        mfa_required=mfa_required,
        sso_only=auth_methods == ["sso"],
    )
    return org, context


def build_organizations(
    rng: random.Random, ids: Ids, api: str, count: int, certs: CertPool
) -> list[OrgBundle]:
    """``count`` organizations with their connections, in creation order of the generator."""
    bundles: list[OrgBundle] = []
    companies: list[_Company] = []
    used_slugs: set[str] = set()
    shared_sources: list[ConnectionInfo] = []
    for index in range(count):
        company = _company(rng, index, companies, used_slugs)
        companies.append(company)
        org_id = ids("organization")
        created = between(rng, BASE_TS, BASE_TS + _CREATION_WINDOW)
        sso, infos = _connections(rng, ids, api, index, org_id, company, created, certs, shared_sources)
        own = [c for c in infos if c.active and c.kind != "external"]
        scim_json: Json | None = None
        scim: ScimInfo | None = None
        if index == 0 or (index >= 4 and rng.random() < (0.45 if own else 0.05)):
            provider = own[0].identity_provider if own else ""
            scim_json, scim = scim_connection(rng, ids, api, org_id, provider)
        organization, context = _organization(rng, index, org_id, company, created, infos, scim)
        bundles.append(OrgBundle(organization, sso, scim_json, context))
        shared_sources.extend(own)
    return bundles

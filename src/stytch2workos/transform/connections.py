"""Pure mapping of Stytch SSO and SCIM connections onto WorkOS connection requests.

Each Stytch connection gets one :class:`Decision`: **create** it in WorkOS
(``create_connection``), **hand it off** to the customer's IT admin (who sets it up
through a WorkOS Admin Portal link), or **skip** it; a handoff or a skip carries a
reason code. Nothing here touches the network or the workspace.

What is carried, and why (reference: handoff-and-access-api.md §9):

* SAML: the IdP's entity id, SSO URL and signing certificates (Stytch's
  ``verification_certificates``: the IdP's own). Stytch's SP certificates and its
  encryption keys are never sent: WorkOS makes its own, and the customer's IdP takes
  the new certificates from the packet. The SP entity id is Stytch's audience (or
  the ``alternative_audience_uri`` left by a migration into Stytch, which the IdP
  then still has), so the IdP's audience setting stays valid; only the ACS URL
  changes, unless the IdP posts to an ``alternative_acs_url`` the operator proxies.
* OIDC: WorkOS reads the IdP's discovery document, so the issuer becomes the
  discovery endpoint; the client id and secret are carried. The secret is a
  write-only value: it lives in the request and nowhere else (``repr`` hides it).
* External connections (another organization's connection, shared) have no WorkOS
  counterpart: a WorkOS connection belongs to one organization.
* SCIM: WorkOS has no API that creates a directory; the customer's admin makes one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from stytch2workos.config import ConnectionsConfig

Kind = Literal["saml", "oidc", "external", "scim"]
Action = Literal["create", "handoff", "skip"]

# Reason codes, in the ledger, the plan, the import summary and `handoff`.
PENDING = "pending_connection"
INACTIVE = "inactive_connection"
EXTERNAL = "external_connection"
RECREATE_DISABLED = "recreate_disabled"
API_UNAVAILABLE = "connections_api_unavailable"
SAML_INCOMPLETE = "saml_idp_incomplete"
OIDC_NO_ISSUER = "oidc_issuer_missing"
OIDC_NO_SECRET = "oidc_client_secret_missing"
DIRECTORY = "directory_needs_admin_portal"
UNSUPPORTED = "unsupported_connection"

REASONS: dict[str, str] = {
    PENDING: "never finished in Stytch (status pending); nobody signs in through it",
    INACTIVE: "not active in Stytch",
    EXTERNAL: "shared from another organization; a WorkOS connection belongs to one organization",
    RECREATE_DISABLED: '[connections] recreate = "none"',
    API_UNAVAILABLE: "WorkOS answered 404 to POST /connections: the Create Connection API is not enabled",
    SAML_INCOMPLETE: "the IdP's entity id, SSO URL or signing certificate is missing or not a URL",
    OIDC_NO_ISSUER: "no issuer URL, so no discovery document for WorkOS to read",
    OIDC_NO_SECRET: "no client secret; WorkOS requires one",
    DIRECTORY: "WorkOS has no API that creates a directory",
    UNSUPPORTED: "a kind of connection this version does not know",
}
_KINDS: dict[str, Kind] = {"saml": "saml", "oidc": "oidc", "external": "external", "scim": "scim"}

# Notes for the operator (plan) and the customer (packet); none stops a connection.
NOTE_ENCRYPTION = "encrypted_assertions"  # the IdP encrypts to Stytch's certificate: it takes WorkOS's
NOTE_IDP_INITIATED = "idp_initiated"  # Stytch allowed IdP-initiated sign-in: a WorkOS Dashboard switch
NOTE_PROXIED_ACS = "proxied_acs"  # the IdP posts to the operator's own URL: repoint that proxy
NOTE_ATTRIBUTES = "attributes_not_carried"  # mapped attributes WorkOS has no standard field for
NOTE_SCOPES = "custom_scopes"  # WorkOS takes no scopes: it reads the discovery document

# Stytch identity_provider → the WorkOS type POST /connections accepts. Shibboleth's exact
# WorkOS type is unverified (ShibbolethSAML and ShibbolethGenericSAML both exist): generic.
SAML_TYPES: dict[str, str] = {
    "okta": "OktaSAML",
    "microsoft-entra": "AzureSAML",
    "google-workspace": "GoogleSAML",
    "onelogin": "OneLoginSAML",
    "jumpcloud": "JumpCloudSAML",
    "pingfederate": "PingFederateSAML",
    "cyberark": "CyberArkSAML",
    "duo": "DuoSAML",
    "keycloak": "KeycloakSAML",
    "miniorange": "MiniOrangeSAML",
    "rippling": "RipplingSAML",
    "salesforce": "SalesforceSAML",
    "classlink": "ClassLinkSAML",
}
# OktaOIDC and GoogleOIDC are in the SDK's enum, but whether POST takes them is unverified.
OIDC_TYPES: dict[str, str] = {"microsoft-entra": "EntraIdOIDC"}
GENERIC_SAML, GENERIC_OIDC = "GenericSAML", "GenericOIDC"

# Stytch attribute_mapping key → WorkOS standard attribute.
_STANDARD = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "name",
    "groups": "groups",
}


@dataclass(frozen=True)
class Attributes:
    """WorkOS standard attributes, each the IdP attribute it is read from (None: the default)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    groups: str | None = None
    not_carried: tuple[str, ...] = ()  # Stytch keys with no standard counterpart


@dataclass(frozen=True)
class SamlOptions:
    idp_entity_id: str | None
    idp_sso_url: str | None
    idp_signing_certs: tuple[str, ...]
    sp_entity_id: str | None
    acs_url: str | None  # only an alternative ACS URL the operator proxies; else WorkOS's own


@dataclass(frozen=True)
class OidcOptions:
    discovery_endpoint: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class ConnectionRequest:
    """One ``create_connection`` call."""

    organization_id: str  # Stytch's: the WorkOS one comes from the ledger
    name: str
    external_id: str  # the Stytch connection id: WorkOS returns the existing one on a repeat
    connection_type: str
    options: SamlOptions | OidcOptions
    attributes: Attributes | None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values the request carries that must never be echoed anywhere."""
        return (self.options.client_secret,) if isinstance(self.options, OidcOptions) else ()


@dataclass(frozen=True)
class RoleRule:
    """A Stytch implicit role: for everyone through a connection (``group`` None) or for a group."""

    role_id: str
    group: str | None = None


@dataclass(frozen=True)
class Facts:
    """What a packet and the status say about a connection: nothing secret."""

    source_id: str
    organization_id: str
    kind: Kind
    display_name: str
    identity_provider: str
    status: str
    # Where the IdP sends people today: the ACS URL (or the operator's alternative one), the
    # OIDC redirect URL, or the SCIM base URL.
    idp_target: str = ""
    audience: str = ""  # SAML: the SP entity id the IdP holds, kept
    client_id: str = ""  # OIDC
    token_last_four: str = ""  # SCIM: which token the IdP holds today
    shared_from: str = ""  # external: the organization whose connection it is
    role_rules: tuple[RoleRule, ...] = ()
    notes: tuple[str, ...] = ()
    not_carried: tuple[str, ...] = ()  # attribute names, for the notes


@dataclass(frozen=True)
class Decision:
    facts: Facts
    action: Action
    reason: str | None = None
    request: ConnectionRequest | None = None

    @property
    def ledger_kind(self) -> str:
        """``directory`` for SCIM, ``connection`` for the SSO kinds."""
        return "directory" if self.facts.kind == "scim" else "connection"

    @property
    def source_id(self) -> str:
        return self.facts.source_id


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) else ""


def _url(value: str) -> bool:
    return value.startswith(("https://", "http://")) and len(value) > len("https://")


def _items(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def attributes(mapping: Any) -> Attributes | None:
    """WorkOS attribute maps from Stytch's ``attribute_mapping``; None keeps WorkOS's defaults.

    Keys without a standard counterpart are not sent as custom attributes: WorkOS
    refuses custom attributes not defined in its dashboard first. They are listed.
    """
    if not isinstance(mapping, dict):
        return None
    standard: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in mapping.items():
        if not isinstance(value, str) or not value.strip():
            continue
        if key in _STANDARD:
            standard[_STANDARD[key]] = value.strip()
        else:
            dropped.append(str(key))
    if not standard and not dropped:
        return None
    return Attributes(**standard, not_carried=tuple(sorted(dropped)))


def _roles(raw: dict[str, Any], everyone: str, groups: str, group_key: str = "group") -> tuple[RoleRule, ...]:
    rules = [RoleRule(_text(r, "role_id")) for r in _items(raw, everyone) if _text(r, "role_id")]
    rules += [
        RoleRule(_text(r, "role_id"), _text(r, group_key))
        for r in _items(raw, groups)
        if _text(r, "role_id") and _text(r, group_key)
    ]
    return tuple(rules)


def discovery_endpoint(issuer: str) -> str:
    """The OIDC discovery document of an issuer (OpenID Connect Discovery §4)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _request(
    facts: Facts, kind: str, options: SamlOptions | OidcOptions, attrs: Attributes | None
) -> ConnectionRequest:
    name = facts.display_name or f"{facts.identity_provider or facts.kind} SSO"
    return ConnectionRequest(facts.organization_id, name, facts.source_id, kind, options, attrs)


def _saml(raw: dict[str, Any], facts: Facts, config: ConnectionsConfig) -> Decision:
    entity, sso_url = _text(raw, "idp_entity_id"), _text(raw, "idp_sso_url")
    certs = tuple(
        c["certificate"].strip()
        for c in _items(raw, "verification_certificates")
        if isinstance(c.get("certificate"), str) and "BEGIN CERTIFICATE" in c["certificate"]
    )
    alternative_acs = _text(raw, "alternative_acs_url")
    attrs = attributes(raw.get("attribute_mapping"))
    notes = []
    if _items(raw, "encryption_private_keys"):
        notes.append(NOTE_ENCRYPTION)
    if raw.get("idp_initiated_auth_disabled") is False:
        notes.append(NOTE_IDP_INITIATED)
    if alternative_acs:
        notes.append(NOTE_PROXIED_ACS)
    if attrs is not None and attrs.not_carried:
        notes.append(NOTE_ATTRIBUTES)
    facts = replace(
        facts,
        idp_target=alternative_acs or _text(raw, "acs_url"),
        audience=_text(raw, "alternative_audience_uri") or _text(raw, "audience_uri"),
        role_rules=_roles(
            raw, "saml_connection_implicit_role_assignments", "saml_group_implicit_role_assignments"
        ),
        notes=tuple(notes),
        not_carried=attrs.not_carried if attrs else (),
    )
    pending = facts.status == "pending"
    if config.recreate == "none":
        return Decision(facts, "handoff", RECREATE_DISABLED)
    if not pending and not (entity and _url(sso_url) and certs):
        return Decision(facts, "handoff", SAML_INCOMPLETE)
    options = SamlOptions(
        idp_entity_id=entity or None,
        idp_sso_url=sso_url if _url(sso_url) else None,
        idp_signing_certs=certs,
        sp_entity_id=facts.audience or None,
        acs_url=alternative_acs if _url(alternative_acs) else None,
    )
    kind = SAML_TYPES.get(facts.identity_provider, GENERIC_SAML)
    return Decision(facts, "create", None, _request(facts, kind, options, attrs))


def _oidc(raw: dict[str, Any], facts: Facts, config: ConnectionsConfig) -> Decision:
    attrs = attributes(raw.get("attribute_mapping"))
    notes = [NOTE_SCOPES] if _text(raw, "custom_scopes") else []
    if attrs is not None and attrs.not_carried:
        notes.append(NOTE_ATTRIBUTES)
    facts = replace(
        facts,
        idp_target=_text(raw, "redirect_url"),
        client_id=_text(raw, "client_id"),
        notes=tuple(notes),
        not_carried=attrs.not_carried if attrs else (),
    )
    if config.recreate == "none":
        return Decision(facts, "handoff", RECREATE_DISABLED)
    issuer, secret = _text(raw, "issuer"), _text(raw, "client_secret")
    if not _url(issuer) or not facts.client_id:
        return Decision(facts, "handoff", OIDC_NO_ISSUER)
    if not secret:
        return Decision(facts, "handoff", OIDC_NO_SECRET)
    options = OidcOptions(discovery_endpoint(issuer), facts.client_id, secret)
    kind = OIDC_TYPES.get(facts.identity_provider, GENERIC_OIDC)
    return Decision(facts, "create", None, _request(facts, kind, options, attrs))


def decide(kind: str, raw: dict[str, Any], config: ConnectionsConfig) -> Decision:
    """The decision for one exported connection ``(kind, raw)`` (kinds as the export stores them)."""
    status = _text(raw, "status").lower()
    known = _KINDS.get(kind)
    if known is None:
        facts = Facts(_text(raw, "connection_id"), _text(raw, "organization_id"), "external", "", "", status)
        return Decision(facts, "skip", UNSUPPORTED)
    facts = Facts(
        source_id=_text(raw, "connection_id"),
        organization_id=_text(raw, "organization_id"),
        kind=known,
        display_name=_text(raw, "display_name"),
        identity_provider=_text(raw, "identity_provider").lower(),
        status=status,
    )
    if known == "scim":
        facts = replace(
            facts,
            idp_target=_text(raw, "base_url"),
            token_last_four=_text(raw, "bearer_token_last_four"),
            role_rules=tuple(
                RoleRule(_text(r, "role_id"), _text(r, "group_name") or _text(r, "group_id"))
                for r in _items(raw, "scim_group_implicit_role_assignments")
                if _text(r, "role_id")
            ),
        )
        return (
            Decision(facts, "handoff", DIRECTORY) if status == "active" else Decision(facts, "skip", INACTIVE)
        )
    if known == "external":
        facts = replace(
            facts,
            shared_from=_text(raw, "external_organization_id"),
            role_rules=_roles(
                raw,
                "external_connection_implicit_role_assignments",
                "external_group_implicit_role_assignments",
            ),
        )
        return (
            Decision(facts, "handoff", EXTERNAL) if status == "active" else Decision(facts, "skip", INACTIVE)
        )
    if status not in ("active", "pending"):
        return Decision(facts, "skip", INACTIVE)
    if status == "pending" and config.recreate != "all":
        return Decision(facts, "skip", PENDING)
    return _saml(raw, facts, config) if known == "saml" else _oidc(raw, facts, config)


def decide_all(rows: Iterable[tuple[str, dict[str, Any]]], config: ConnectionsConfig) -> list[Decision]:
    """Every connection's decision; the WorkOS names are unique within each organization.

    After an unknown outcome a connection is looked up by name and type (the SDK's model
    has no external id), so two connections of one organization must not share a name.
    """
    named = [decide(kind, raw, config) for kind, raw in rows]
    taken = Counter((d.facts.organization_id, d.request.name) for d in named if d.request is not None)
    return [
        replace(d, request=replace(d.request, name=f"{d.request.name} ({d.source_id[-8:]})"))
        if d.request is not None and taken[(d.facts.organization_id, d.request.name)] > 1
        else d
        for d in named
    ]


def connection_secrets(raw: dict[str, Any]) -> tuple[str, ...]:
    """The secret values an exported connection holds (OIDC client secret, private keys)."""
    found = [_text(raw, "client_secret")]
    found += [_text(k, "private_key") for k in _items(raw, "encryption_private_keys")]
    return tuple(s for s in found if s)

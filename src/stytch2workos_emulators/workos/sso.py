"""``/connections``: create a SAML or OIDC connection, get, list, delete.

Creating is idempotent on ``external_id`` within an organization (the SDK
documents that the existing connection is returned). The IdP options, client
secrets and private keys included, are kept for the control API's dump; the
API's Connection object never shows them.
"""

from __future__ import annotations

from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import body_of, external_id, field_error, flag, not_found, text
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Connection, connection_json
from stytch2workos_emulators.workos.state import EMPTY, State

SAML_TEXT = ("idp_metadata_url", "acs_url", "sp_entity_id", "idp_entity_id", "idp_sso_url")
OIDC_TEXT = ("client_secret", "redirect_uri")
TOKEN_AUTH_METHODS = ("client_secret_post", "client_secret_basic", "private_key_jwt")
ID_TOKEN_ALGORITHMS = (
    *(f"{family}{bits}" for family in ("RS", "PS", "ES", "HS") for bits in (256, 384, 512)),
    "EdDSA",
)


def _key_pair(value: Any, field: str) -> dict[str, str]:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("key"), str)
        or not isinstance(value.get("cert"), str)
    ):
        field_error(field, "invalid_key_pair", f"{field} needs a key and a cert.")
    return {"key": value["key"], "cert": value["cert"]}


def saml_options(raw: Any) -> tuple[dict[str, Any], bool]:
    """Checked SAML options and whether they are enough for an active connection."""
    if not isinstance(raw, dict):
        field_error("saml_options", "saml_options_object_required", "saml_options must be an object.")
    options: dict[str, Any] = {name: text(raw, name) for name in SAML_TEXT if name in raw}
    certs = raw.get("idp_signing_certs")
    if certs is not None:
        if not isinstance(certs, list) or not all(isinstance(c, str) for c in certs):
            field_error("idp_signing_certs", "idp_signing_certs_array_required", "Must be a string array.")
        options["idp_signing_certs"] = list(certs)
    if raw.get("sp_signing_key_pair") is not None:
        options["sp_signing_key_pair"] = _key_pair(raw["sp_signing_key_pair"], "sp_signing_key_pair")
    pairs = raw.get("sp_encryption_key_pairs")
    if pairs is not None:
        if not isinstance(pairs, list):
            field_error("sp_encryption_key_pairs", "invalid_key_pair", "Must be an array.")
        options["sp_encryption_key_pairs"] = [_key_pair(p, "sp_encryption_key_pairs") for p in pairs]
    complete = bool(options.get("idp_metadata_url")) or bool(
        options.get("idp_entity_id") and options.get("idp_sso_url") and options.get("idp_signing_certs")
    )
    return options, complete


def oidc_options(raw: Any) -> dict[str, Any]:
    """Checked OIDC options: ``discovery_endpoint`` and ``client_id`` are required."""
    if not isinstance(raw, dict):
        field_error("oidc_options", "oidc_options_object_required", "oidc_options must be an object.")
    options: dict[str, Any] = {
        "discovery_endpoint": text(raw, "discovery_endpoint", required=True),
        "client_id": text(raw, "client_id", required=True),
    }
    options.update({name: text(raw, name) for name in OIDC_TEXT if name in raw})
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
    if raw.get("jwt_signing_key_pair") is not None:
        options["jwt_signing_key_pair"] = _key_pair(raw["jwt_signing_key_pair"], "jwt_signing_key_pair")
    return options


def is_oidc_type(connection_type: str) -> bool:
    """OIDC connection types end in OIDC or Oidc (``OktaOIDC``, ``AdpOidc``)."""
    return connection_type.lower().endswith("oidc")


class ConnectionsAPI:
    """Handlers for the SSO connection endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/connections", self.list),
            ("POST", "/connections", self.create),
            ("GET", "/connections/{id}", self.get),
            ("DELETE", "/connections/{id}", self.delete),
        ]

    def render(self, c: Connection) -> dict[str, Any]:
        org = self.state.orgs.get(c.organization_id)
        return connection_json(c, [d.domain for d in org.domains] if org else [])

    def _connection(self, connection_id: str) -> Connection:
        c = self.state.connections.get(connection_id)
        if c is None:
            not_found("Connection", connection_id)
        return c

    def create(self, request: Request) -> Response:
        state = self.state
        body = body_of(request)
        org_id = text(body, "organization_id", required=True)
        assert org_id is not None
        name = text(body, "name")
        ext = external_id(body)
        connection_type = text(body, "connection_type")
        has_saml, has_oidc = body.get("saml_options") is not None, body.get("oidc_options") is not None
        if has_saml == has_oidc:
            field_error(
                "saml_options",
                "protocol_options_required",
                "Provide exactly one of saml_options or oidc_options.",
            )
        saml: dict[str, Any] | None = None
        oidc: dict[str, Any] | None = None
        if has_saml:
            saml, complete = saml_options(body["saml_options"])
        else:
            oidc, complete = oidc_options(body["oidc_options"]), True
        if connection_type is None:
            connection_type = "GenericOIDC" if has_oidc else "GenericSAML"
        elif is_oidc_type(connection_type) != has_oidc or not (
            is_oidc_type(connection_type) or connection_type.endswith("SAML")
        ):
            field_error(
                "connection_type",
                "invalid_connection_type",
                "Only SAML and OIDC connections can be created, matching the options given.",
            )
        attribute_maps = body.get("attribute_maps")
        if attribute_maps is not None and not isinstance(attribute_maps, dict):
            field_error("attribute_maps", "attribute_maps_object_required", "Must be an object.")
        org = state.orgs.get(org_id)
        if org is None:
            not_found("Organization", org_id)
        if ext is not None:
            existing = state.connection_by_external.get((org_id, ext))
            if existing is not None:
                return Response(200, self.render(state.connections.by_id[existing]))
        connection_id, now = state.ids.stamp("conn")
        state_name = "active" if complete else "draft"
        c = Connection(connection_id, org_id, name or org.name, connection_type, state_name, now, now)
        c.external_id, c.saml_options, c.oidc_options = ext, saml, oidc
        c.attribute_maps = attribute_maps
        state.add_connection(c)
        return Response(201, self.render(c))

    def get(self, request: Request) -> Response:
        return Response(200, self.render(self._connection(request.params["id"])))

    def list(self, request: Request) -> Response:
        state = self.state
        org_id = request.q("organization_id")
        domain = request.q("domain")
        owners = None if domain is None else state.orgs_by_domain.get(domain.strip().lower(), EMPTY)
        keys = None
        if org_id is not None:
            keys = state.connections_by_org.get(org_id, EMPTY).keys
        elif owners is not None:
            keys = state.connections.keys_for(
                c for owner in owners for c in state.connections_by_org.get(owner, EMPTY)
            )
        connection_type = request.q("connection_type")
        search = (request.q("search") or "").lower()

        def keep(c: Connection) -> bool:
            return (
                (connection_type is None or c.connection_type == connection_type)
                and search in c.name.lower()
                and (owners is None or c.organization_id in owners)
            )

        filtered = connection_type is not None or bool(search) or owners is not None
        return Response(
            200, list_page(request, state.connections, self.render, keys, keep if filtered else None)
        )

    def delete(self, request: Request) -> Response:
        self.state.remove_connection(self._connection(request.params["id"]))
        return Response(200)

"""``/connections``: create a SAML or OIDC connection, get, list, delete.

Creating is idempotent on ``external_id`` within an organization (the SDK
documents that the existing connection is returned). The IdP options, client
secrets and private keys included, are kept for the control API's dump; the
API's Connection object never shows them. The create answer adds the non-secret
details WorkOS's own migration CLI reads from it (:func:`.connection_options.public_details`);
``GET`` returns the spec's Connection only.

A connection whose IdP side is fully given (metadata URL, or entity id, SSO URL and
signing certificates) starts ``active``, with a ``connection.activated`` event; any
other starts ``draft`` until the customer finishes setup. With the environment's
Connections API switched off (the seed's ``feature_flags``), ``POST /connections``
answers 404 as WorkOS does where that feature is not enabled.
"""

from __future__ import annotations

from typing import Any

from stytch2workos_emulators.server.http import Handler, HTTPError, Request, Response
from stytch2workos_emulators.workos.connection_options import (
    connection_type,
    oidc_options,
    public_details,
    saml_options,
)
from stytch2workos_emulators.workos.directories import external_key
from stytch2workos_emulators.workos.errors import body_of, external_id, field_error, not_found, text
from stytch2workos_emulators.workos.events import connection_deleted, set_connection_state
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Connection, connection_json
from stytch2workos_emulators.workos.state import EMPTY, State

# WorkOS's CLI recognises the flag being off by "migration capabilities" or "not enabled"
# in the message; the error code of that answer is not documented, so none is invented.
DISABLED_MESSAGE = (
    "The Connections API migration capabilities are not enabled for this environment. "
    "Ask WorkOS support to enable them."
)


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

    def render_created(self, c: Connection) -> dict[str, Any]:
        return {**self.render(c), **public_details(c)}

    def _connection(self, connection_id: str) -> Connection:
        c = self.state.connections.get(connection_id)
        if c is None:
            not_found("Connection", connection_id)
        return c

    def create(self, request: Request) -> Response:
        state = self.state
        if not state.handoff.connections_api:
            raise HTTPError(Response(404, {"message": DISABLED_MESSAGE}))
        body = body_of(request)
        org_id = text(body, "organization_id", required=True)
        assert org_id is not None
        name = text(body, "name")
        ext = external_id(body)
        requested_type = text(body, "connection_type")
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
        kind = connection_type(requested_type, has_oidc)
        attribute_maps = body.get("attribute_maps")
        if attribute_maps is not None and not isinstance(attribute_maps, dict):
            field_error("attribute_maps", "attribute_maps_object_required", "Must be an object.")
        org = state.orgs.get(org_id)
        if org is None:
            not_found("Organization", org_id)
        if ext is not None:
            existing = state.connection_by_external.get((org_id, ext))
            if existing is not None:
                # The same object as at creation; the repeat's options change nothing (as WorkOS's
                # CLI assumes: it compares and updates). 200 rather than 201 marks the repeat.
                return Response(200, self.render_created(state.connections.by_id[existing]))
        connection_id, now = state.ids.stamp("conn")
        c = Connection(connection_id, org_id, name or org.name, kind, "draft", now, now)
        c.external_id, c.saml_options, c.oidc_options = ext, saml, oidc
        c.attribute_maps, c.external_key = attribute_maps, external_key()
        state.add_connection(c)
        if complete:
            set_connection_state(state, c, "active", "api")
        return Response(201, self.render_created(c))

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
        # The SDK's filter enum spells GithubOAuth where the model says GitHubOAuth.
        wanted_type = (request.q("connection_type") or "").lower() or None
        search = (request.q("search") or "").lower()

        def keep(c: Connection) -> bool:
            return (
                (wanted_type is None or c.connection_type.lower() == wanted_type)
                and search in c.name.lower()
                and (owners is None or c.organization_id in owners)
            )

        filtered = wanted_type is not None or bool(search) or owners is not None
        return Response(
            200, list_page(request, state.connections, self.render, keys, keep if filtered else None)
        )

    def delete(self, request: Request) -> Response:
        c = self._connection(request.params["id"])
        self.state.remove_connection(c)
        connection_deleted(self.state, c, "api")
        return Response(200)

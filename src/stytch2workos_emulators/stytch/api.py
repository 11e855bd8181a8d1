"""A local emulator of the Stytch B2B API, faithful enough for the official SDK.

Point the SDK at it with ``B2BClient(project_id, secret,
environment="http://127.0.0.1:PORT")``. It serves the read endpoints an
exporter needs (organization and member search, gets, SSO, SCIM, RBAC), the
organization and member writes that let tests change a project during a migration
(:mod:`.writes`), and the webhooks those writes send through Svix (:mod:`.webhooks`). Bodies,
error types and limits follow Stytch's documentation; where Stytch does not
document a behaviour, the choice made is noted next to the code.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import uuid
from collections.abc import Callable
from typing import Any

from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.app import EmulatorApp, retry_after_header
from stytch2workos_emulators.server.http import Request, Response, Router
from stytch2workos_emulators.server.ratelimit import Budget
from stytch2workos_emulators.stytch.errors import (
    ApiError,
    bad_request,
    error_body,
    member_not_found,
    organization_not_found,
)
from stytch2workos_emulators.stytch.records import Record
from stytch2workos_emulators.stytch.search import decode_cursor, paginate, parse_limit, parse_query
from stytch2workos_emulators.stytch.store import StytchStore
from stytch2workos_emulators.stytch.webhooks import SOURCES, StytchWebhooks
from stytch2workos_emulators.stytch.writes import Body, Params, StytchWrites

# Documented as 100 requests/minute per project for each search endpoint (SDK
# docstrings, Stytch's OpenAPI), in windows aligned to the clock.
ORGANIZATIONS_SEARCH = Budget("organizations_search", 100, 60, "fixed")
MEMBERS_SEARCH = Budget("members_search", 100, 60, "fixed")

_SERVER_ERRORS = {500: "internal_server_error", 503: "server_unavailable"}
Handler = Callable[[Request], Response]
Operation = Callable[[Params, Body, str], Body]
# Seed keys the webhooks own; the rest is the store's.
_WEBHOOK_SEED_KEYS = ("webhooks", "webhook_settings")


def parse_bool(raw: str | None, name: str) -> bool:
    """A query-string boolean; ``requests`` sends Python's ``True``/``False``."""
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_request(f"{name} must be true or false.")


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


class StytchService:
    """The Stytch B2B routes, credentials, error bodies and state (see ``app.Service``)."""

    name = "stytch"

    def __init__(
        self,
        project_id: str = defaults.STYTCH_PROJECT_ID,
        secret: str = defaults.STYTCH_SECRET,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.project_id = project_id
        self._secret = secret
        self.env = "live" if project_id.startswith("project-live-") else "test"
        self.store = StytchStore(self.env, clock)
        self.webhooks = StytchWebhooks(project_id, self.env)
        self.writes = StytchWrites(self.store, self.webhooks.emit)
        self.budgets = [ORGANIZATIONS_SEARCH, MEMBERS_SEARCH]
        self.router = Router()
        self._routes()

    def _routes(self) -> None:
        add, guard = self.router.add, self._guard
        orgs, members = "/v1/b2b/organizations", "/v1/b2b/organizations/{organization_id}/members"
        # Each search endpoint has its own budget, counted per project.
        org_budget = [(ORGANIZATIONS_SEARCH.name, self.project_id)]
        member_budget = [(MEMBERS_SEARCH.name, self.project_id)]
        add("POST", f"{orgs}/search", guard(self.search_organizations), lambda _: org_budget)
        add("POST", f"{orgs}/members/search", guard(self.search_members), lambda _: member_budget)
        add("GET", f"{orgs}/{{organization_id}}", guard(self.get_organization))
        add("GET", f"{orgs}/{{organization_id}}/metrics", guard(self.metrics))
        add("GET", f"{orgs}/{{organization_id}}/member", guard(self.get_member))
        add("GET", f"{orgs}/members/dangerously_get/{{member_id}}", guard(self.dangerously_get))
        write = self._write
        add("POST", orgs, write(self.writes.create_organization))
        add("PUT", f"{orgs}/{{organization_id}}", write(self.writes.update_organization))
        add("DELETE", f"{orgs}/{{organization_id}}", write(self.writes.delete_organization))
        add("POST", members, write(self.writes.create_member))
        add("PUT", f"{members}/{{member_id}}", write(self.writes.update_member))
        add("DELETE", f"{members}/{{member_id}}", write(self.writes.delete_member))
        add("PUT", f"{members}/{{member_id}}/reactivate", write(self.writes.reactivate_member))
        add("GET", "/v1/b2b/sso/{organization_id}", guard(self.sso_connections))
        add("GET", "/v1/b2b/scim/{organization_id}/connection", guard(self.scim_connection))
        add("GET", "/v1/b2b/scim/{organization_id}/connection/{connection_id}", guard(self.scim_groups))
        add("GET", "/v1/b2b/rbac/policy", guard(self.rbac_policy))
        add("GET", "/v1/b2b/rbac/organizations/{organization_id}", guard(self.org_policy))

    def _write(self, operation: Operation) -> Handler:
        """A write route: made through the API, so its event's source is ``direct``."""
        return self._guard(lambda request: Response(200, operation(request.params, _body(request), "direct")))

    @staticmethod
    def _guard(handler: Handler) -> Handler:
        def guarded(request: Request) -> Response:
            try:
                return handler(request)
            except ApiError as exc:
                return Response(exc.status, exc.body())

        return guarded

    # -- Service protocol --------------------------------------------------------------

    def authenticate(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        project_id, _, secret = decoded.partition(":")
        same_project = hmac.compare_digest(project_id.encode(), self.project_id.encode())
        return hmac.compare_digest(secret.encode(), self._secret.encode()) and same_project

    def unauthorized(self, request: Request) -> Response:
        return Response(401, error_body(401, "unauthorized_credentials", "Unauthorized credentials."))

    def not_found(self, request: Request) -> Response:
        return Response(404, error_body(404, "route_not_found", "Route not found."))

    def method_not_allowed(self, request: Request) -> Response:
        return Response(405, error_body(405, "method_not_allowed", "Method not allowed."))

    def bad_json(self, request: Request) -> Response:
        return Response(400, error_body(400, "bad_request", "The request body is not valid JSON."))

    def rate_limited(self, request: Request, retry_after: float) -> Response:
        body = error_body(429, "too_many_requests", "Too many requests have been made.")
        # Stytch documents no headers on a 429; Retry-After helps clients other than the SDK.
        return Response(429, body, {"Retry-After": retry_after_header(retry_after)})

    def server_error(self, request: Request, status: int) -> Response:
        error_type = _SERVER_ERRORS.get(status, "server_unavailable")
        message = "Oops, something seems to have gone wrong, please reach out to support."
        return Response(status, error_body(status, error_type, message))

    def decorate(self, request: Request, response: Response) -> Response:
        """Every Stytch body starts with ``status_code`` and a fresh ``request_id``."""
        if isinstance(response.body, dict):
            request_id = f"request-id-{self.env}-{uuid.uuid4()}"
            response.body = {"status_code": response.status, "request_id": request_id, **response.body}
        return response

    def reset(self) -> None:
        self.store.reset()
        self.webhooks.reset()

    def load_seed(self, seed: dict[str, Any]) -> None:
        """Replace all state, webhook endpoints (``webhooks: [{url, secret}]``) and
        ``webhook_settings`` included; loading a seed sends no events."""
        store_seed = {k: v for k, v in seed.items() if k not in _WEBHOOK_SEED_KEYS}
        endpoints = seed.get("webhooks") or []
        if not isinstance(endpoints, list):
            raise ValueError("webhooks must be a list of {url, secret}")
        self.store.load(store_seed)
        self.webhooks.reset()
        for endpoint in endpoints:
            self.webhooks.add_endpoint(endpoint)
        self.webhooks.configure(seed.get("webhook_settings") or {})

    def dump(self) -> dict[str, Any]:
        return {**self.store.dump(), **self.webhooks.dump()}

    def control(self, method: str, action: str, body: Any) -> Response | None:
        """Service-specific control actions (``/_emulator/stytch/...``); None when unknown.

        ``POST webhooks {url, secret}`` adds an endpoint; ``PUT webhook_settings {...}``
        changes delivery knobs; ``GET webhook_deliveries`` lists deliveries; ``POST change
        {source, operation, params, body}`` makes a write as the Dashboard or SCIM would.
        """
        if action == "stytch/webhooks" and method == "POST":
            endpoint = self.webhooks.add_endpoint(body)
            return Response(200, {"id": endpoint.id, "url": endpoint.url})
        if action == "stytch/webhook_settings" and method == "PUT":
            self.webhooks.configure(body)
            return Response(200, self.webhooks.dump()["webhook_settings"])
        if action == "stytch/webhook_deliveries" and method == "GET":
            return Response(200, {"deliveries": self.webhooks.records()})
        if action == "stytch/change" and method == "POST":
            return self._change(body)
        return None

    def _change(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise ValueError("a change is an object {source, operation, params, body}")
        source, name = body.get("source"), body.get("operation")
        operation = self.writes.operations().get(str(name))
        if source not in SOURCES or operation is None:
            raise ValueError(
                f"a change needs source in {sorted(SOURCES)} and operation in {sorted(self.writes.operations())}"
            )
        params, fields = body.get("params") or {}, body.get("body") or {}
        if not isinstance(params, dict) or not isinstance(fields, dict):
            raise ValueError("params and body must be objects")
        try:
            return Response(200, operation(params, fields, str(source)))
        except ApiError as exc:
            return Response(exc.status, exc.body())

    # -- helpers -----------------------------------------------------------------------

    def _org(self, request: Request) -> Record:
        org = self.store.resolve_org(request.params["organization_id"])
        if org is None:
            raise organization_not_found()
        return org

    def _member_response(self, member: Record) -> Response:
        org = self.store.orgs[member["organization_id"]]
        return Response(200, {"member_id": member["member_id"], "member": member, "organization": org})

    # -- search ------------------------------------------------------------------------

    def search_organizations(self, request: Request) -> Response:
        body = _body(request)
        limit = parse_limit(body.get("limit"), "organization")
        query = parse_query(body.get("query"), "organization", self.store)
        page = paginate(
            self.store.search_organizations(query),
            decode_cursor(body.get("cursor"), query),
            limit,
            query.fingerprint,
        )
        orgs = self.store.orgs
        return Response(
            200,
            {
                "organizations": [orgs[key[1]] for key in page.keys],
                "results_metadata": {"total": page.total, "next_cursor": page.next_cursor},
            },
        )

    def search_members(self, request: Request) -> Response:
        body = _body(request)
        refs = body.get("organization_ids")
        if not refs:
            raise bad_request(
                "organization_ids must contain at least one organization.",
                "member_search_organization_ids_empty",
            )
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise bad_request("organization_ids must be an array of strings.")
        org_ids: list[str] = []
        for ref in refs:
            org = self.store.resolve_org(ref)
            if org is None:
                raise organization_not_found()
            org_ids.append(org["organization_id"])
        limit = parse_limit(body.get("limit"), "member")
        query = parse_query(body.get("query"), "member", scope=org_ids)
        page = paginate(
            self.store.search_members(org_ids, query),
            decode_cursor(body.get("cursor"), query),
            limit,
            query.fingerprint,
        )
        members = [self.store.members[key[1]] for key in page.keys]
        org_map = {m["organization_id"]: self.store.orgs[m["organization_id"]] for m in members}
        return Response(
            200,
            {
                "members": members,
                "results_metadata": {"total": page.total, "next_cursor": page.next_cursor},
                "organizations": org_map,
            },
        )

    # -- organization and member reads -------------------------------------------------

    def get_organization(self, request: Request) -> Response:
        return Response(200, {"organization": self._org(request)})

    def metrics(self, request: Request) -> Response:
        # Counts members that are not deleted, like search without a statuses filter.
        return Response(200, {"member_count": self.store.member_count(self._org(request)["organization_id"])})

    def get_member(self, request: Request) -> Response:
        org = self._org(request)
        member_id, email = request.q("member_id"), request.q("email_address")
        if member_id:
            member = self.store.find_member(org["organization_id"], member_id)
        elif email:
            member = self.store.member_by_email(org["organization_id"], email)
        else:
            raise bad_request("Pass member_id or email_address.", "invalid_member_get_fields")
        if member is None:
            raise member_not_found()
        return self._member_response(member)

    def dangerously_get(self, request: Request) -> Response:
        include_deleted = parse_bool(request.q("include_deleted"), "include_deleted")
        member = self.store.members.get(request.params["member_id"])
        if member is None or (member["status"] == "deleted" and not include_deleted):
            raise member_not_found()
        return self._member_response(member)

    # -- SSO, SCIM, RBAC ---------------------------------------------------------------

    def sso_connections(self, request: Request) -> Response:
        org_id = self._org(request)["organization_id"]
        sso = self.store.sso.get(org_id, {})
        kinds = ("saml_connections", "oidc_connections", "external_connections")
        return Response(200, {kind: sso.get(kind, []) for kind in kinds})

    def scim_connection(self, request: Request) -> Response:
        # Undocumented without a connection; a 200 without ``connection`` fits the SDK model.
        connection = self.store.scim.get(self._org(request)["organization_id"])
        return Response(200, {"connection": connection} if connection else {})

    def scim_groups(self, request: Request) -> Response:
        org_id = self._org(request)["organization_id"]
        connection_id = request.params["connection_id"]
        connection = self.store.scim.get(org_id)
        if connection is None or connection["connection_id"] != connection_id:
            raise ApiError(404, "no_active_scim_connection", "SCIM connection could not be found.")
        try:
            limit = int(request.q("limit") or 100)
            start = int(base64.urlsafe_b64decode(request.q("cursor") or "MA==").decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise bad_request("limit or cursor is not valid.") from None
        if not 0 < limit <= 1000 or start < 0:
            raise bad_request("limit must be from 1 to 1000.")
        groups = [g for g in self.store.scim_groups.get(org_id, []) if g["connection_id"] == connection_id]
        end = start + limit
        cursor = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(groups) else None
        return Response(200, {"scim_groups": groups[start:end], "next_cursor": cursor})

    def rbac_policy(self, request: Request) -> Response:
        return Response(200, {"policy": self.store.policy})

    def org_policy(self, request: Request) -> Response:
        return Response(200, {"org_policy": {"roles": self._org(request)["custom_roles"]}})


def create_app(
    project_id: str = defaults.STYTCH_PROJECT_ID,
    secret: str = defaults.STYTCH_SECRET,
    fault_seed: int = 0,
) -> EmulatorApp:
    """The Stytch B2B emulator as an ASGI app (empty until seeded)."""
    return EmulatorApp(StytchService(project_id, secret), fault_seed)

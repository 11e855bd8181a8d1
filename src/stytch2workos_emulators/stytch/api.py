"""A local emulator of the Stytch B2B API, faithful enough for the official SDK.

Point the SDK at it with ``B2BClient(project_id, secret,
environment="http://127.0.0.1:PORT")``. It serves the read endpoints an
exporter needs (organization and member search, gets, SSO, SCIM, RBAC) and the
member writes that let tests simulate sign-ups during a migration. Bodies,
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

# Documented as 100 requests/minute per project for each search endpoint (SDK
# docstrings, Stytch's OpenAPI), in windows aligned to the clock.
ORGANIZATIONS_SEARCH = Budget("organizations_search", 100, 60, "fixed")
MEMBERS_SEARCH = Budget("members_search", 100, 60, "fixed")

_SERVER_ERRORS = {500: "internal_server_error", 503: "server_unavailable"}
_CREATE_FIELDS: dict[str, type] = {
    "email_address": str,
    "name": str,
    "trusted_metadata": dict,
    "untrusted_metadata": dict,
    "create_member_as_pending": bool,
    "is_breakglass": bool,
    "mfa_phone_number": str,
    "mfa_enrolled": bool,
    "external_id": str,
}
_UPDATE_FIELDS: dict[str, type] = {
    "name": str,
    "trusted_metadata": dict,
    "untrusted_metadata": dict,
    "is_breakglass": bool,
    "mfa_phone_number": str,
    "mfa_enrolled": bool,
    "default_mfa_method": str,
    "email_address": str,
    "external_id": str,
    "unlink_email": bool,
}

Handler = Callable[[Request], Response]


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


def _typed_fields(body: dict[str, Any], spec: dict[str, type]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in spec.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise bad_request(f"{name} must be a {kind.__name__}.")
        out[name] = value
    return out


def _roles(body: dict[str, Any]) -> list[str] | None:
    roles = body.get("roles")
    if roles is None:
        return None
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise bad_request("roles must be an array of role_ids.")
    return roles


def _check_email(email: Any) -> str:
    local, at, domain = str(email or "").partition("@")
    if not (local and at and "." in domain):
        raise ApiError(400, "invalid_email", "Email format is invalid.")
    return str(email)


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
        add("POST", members, guard(self.create_member))
        add("PUT", f"{members}/{{member_id}}", guard(self.update_member))
        add("DELETE", f"{members}/{{member_id}}", guard(self.delete_member))
        add("PUT", f"{members}/{{member_id}}/reactivate", guard(self.reactivate_member))
        add("GET", "/v1/b2b/sso/{organization_id}", guard(self.sso_connections))
        add("GET", "/v1/b2b/scim/{organization_id}/connection", guard(self.scim_connection))
        add("GET", "/v1/b2b/scim/{organization_id}/connection/{connection_id}", guard(self.scim_groups))
        add("GET", "/v1/b2b/rbac/policy", guard(self.rbac_policy))
        add("GET", "/v1/b2b/rbac/organizations/{organization_id}", guard(self.org_policy))

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

    def load_seed(self, seed: dict[str, Any]) -> None:
        self.store.load(seed)

    def dump(self) -> dict[str, Any]:
        return self.store.dump()

    # -- helpers -----------------------------------------------------------------------

    def _org(self, request: Request) -> Record:
        org = self.store.resolve_org(request.params["organization_id"])
        if org is None:
            raise organization_not_found()
        return org

    def _member_of(self, request: Request, org: Record) -> Record:
        member = self.store.find_member(org["organization_id"], request.params["member_id"])
        if member is None:
            raise member_not_found()
        return member

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

    # -- member writes -----------------------------------------------------------------

    def create_member(self, request: Request) -> Response:
        org = self._org(request)
        body = _body(request)
        fields = _typed_fields(body, _CREATE_FIELDS)
        fields["email_address"] = _check_email(fields.get("email_address"))
        fields["status"] = "pending" if fields.pop("create_member_as_pending", False) else "active"
        member = self.store.create_member(org, fields, _roles(body) or [])
        return self._member_response(member)

    def update_member(self, request: Request) -> Response:
        member = self._member_of(request, self._org(request))
        body = _body(request)
        changes = _typed_fields(body, _UPDATE_FIELDS)
        if "email_address" in changes:
            changes["email_address"] = _check_email(changes["email_address"])
        roles = _roles(body)
        if roles is not None:
            changes["roles"] = roles
        return self._member_response(self.store.update_member(member, changes))

    def delete_member(self, request: Request) -> Response:
        member = self._member_of(request, self._org(request))
        self.store.delete_member(member)
        return Response(200, {"member_id": member["member_id"]})

    def reactivate_member(self, request: Request) -> Response:
        org = self._org(request)
        # Reactivation takes the Stytch member_id only (no external_id), per the SDK.
        member = self.store.members.get(request.params["member_id"])
        if member is None or member["organization_id"] != org["organization_id"]:
            raise member_not_found()
        return self._member_response(self.store.reactivate_member(member))

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

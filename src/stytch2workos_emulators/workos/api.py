"""The WorkOS API emulator: the service behind :class:`~.app.EmulatorApp`.

Routes come from the resource modules (``workos_orgs``, ``workos_users``,
``workos_memberships``, ``workos_invitations``, ``workos_auth``, ``workos_sso``,
``workos_authorization``, ``workos_misc``, and the SSO handoff's ``workos_directories``,
``workos_events``, ``workos_webhooks``); this module adds credentials, the documented rate-limit
budgets, WorkOS-shaped errors for the shared layer, ``X-Request-ID``, and the thread that
delivers events to webhook endpoints (:mod:`.delivery`).

Budgets (WorkOS "Rate limits" docs), all sliding windows:

* ``general`` 6,000 / 60 s per API key, every request;
* ``user_management_reads`` 1,000 / 10 s and ``user_management_writes`` 500 / 10 s
  on ``/user_management/*`` (GET vs. anything else; authenticate is a write);
* ``organization_deletes`` 50 / 60 s on ``DELETE /organizations/{id}``;
* ``authenticate_per_email`` 10 / 60 s per email address sent to authenticate.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.app import EmulatorApp, retry_after_header
from stytch2workos_emulators.server.http import Request, Response, Router
from stytch2workos_emulators.server.ratelimit import Budget
from stytch2workos_emulators.workos.auth import AuthAPI
from stytch2workos_emulators.workos.authorization import (
    EnvironmentRolesAPI,
    OrganizationRolesAPI,
    PermissionsAPI,
)
from stytch2workos_emulators.workos.delivery import RETRY_DELAYS, WebhookDispatcher, check_retry_delays
from stytch2workos_emulators.workos.directories import DirectoriesAPI
from stytch2workos_emulators.workos.errors import normalize_email
from stytch2workos_emulators.workos.events import EventsAPI
from stytch2workos_emulators.workos.handoff_models import Event, event_json
from stytch2workos_emulators.workos.invitations import InvitationsAPI
from stytch2workos_emulators.workos.memberships import MembershipsAPI
from stytch2workos_emulators.workos.misc import PortalAPI
from stytch2workos_emulators.workos.orgs import OrganizationsAPI
from stytch2workos_emulators.workos.seed import dump, load_seed
from stytch2workos_emulators.workos.sso import ConnectionsAPI
from stytch2workos_emulators.workos.state import State
from stytch2workos_emulators.workos.users import UsersAPI
from stytch2workos_emulators.workos.webhooks import WebhookEndpointsAPI, subscribed

BUDGETS = [
    Budget("general", 6000, 60),
    Budget("user_management_reads", 1000, 10),
    Budget("user_management_writes", 500, 10),
    Budget("organization_deletes", 50, 60),
    Budget("authenticate_per_email", 10, 60),
]
AUTHENTICATE_ROUTE = "POST /user_management/authenticate"


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _body_field(request: Request, name: str) -> str:
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def buckets_for(method: str, template: str) -> Callable[[Request], list[tuple[str, str]]]:
    """The budgets one route draws on, keyed by API key (and by email for authenticate)."""
    user_management = template.startswith("/user_management/")
    org_delete = method == "DELETE" and template == "/organizations/{id}"
    authenticate = f"{method} {template}" == AUTHENTICATE_ROUTE

    def buckets(request: Request) -> list[tuple[str, str]]:
        key = _bearer(request) or (_body_field(request, "client_secret") if authenticate else "")
        hits = [("general", key)]
        if user_management:
            kind = "user_management_reads" if method == "GET" else "user_management_writes"
            hits.append((kind, key))
        if org_delete:
            hits.append(("organization_deletes", key))
        if authenticate:
            hits.append(("authenticate_per_email", normalize_email(_body_field(request, "email"))))
        return hits

    return buckets


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    return Response(status, {"message": message, "code": code, **extra})


class WorkOSService:
    """Emulated WorkOS environment: one API key and client id, state held in memory."""

    name = "workos"

    def __init__(
        self,
        api_key: str = defaults.WORKOS_API_KEY,
        client_id: str = defaults.WORKOS_CLIENT_ID,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.api_key = api_key
        self.client_id = client_id
        self.state = State(clock)
        self.dispatcher = WebhookDispatcher()
        self.state.on_event = self._deliver
        self.budgets = list(BUDGETS)
        self.router = Router()
        apis = (
            OrganizationsAPI(self.state),
            UsersAPI(self.state),
            MembershipsAPI(self.state),
            InvitationsAPI(self.state),
            AuthAPI(self.state, api_key, client_id),
            ConnectionsAPI(self.state),
            PermissionsAPI(self.state),
            EnvironmentRolesAPI(self.state),
            OrganizationRolesAPI(self.state),
            PortalAPI(self.state),
            DirectoriesAPI(self.state),
            EventsAPI(self.state),
            WebhookEndpointsAPI(self.state),
        )
        for api in apis:
            for method, template, handler in api.routes():
                self.router.add(method, template, handler, buckets_for(method, template))

    def authenticate(self, request: Request) -> bool:
        """Bearer API key; the authenticate grant carries its own client credentials instead."""
        if request.route_name == AUTHENTICATE_ROUTE:
            return True
        return secrets.compare_digest(_bearer(request).encode(), self.api_key.encode())

    def unauthorized(self, request: Request) -> Response:
        return _error(401, "unauthorized", "Unauthorized")

    def not_found(self, request: Request) -> Response:
        path = "/" + "/".join(request.segments)
        return _error(404, "entity_not_found", f"No route matches {request.method} {path}.")

    def method_not_allowed(self, request: Request) -> Response:
        path = "/" + "/".join(request.segments)
        return _error(405, "method_not_allowed", f"{request.method} is not allowed on {path}.")

    def bad_json(self, request: Request) -> Response:
        errors = [{"field": "body", "code": "invalid_json", "message": "Body is not valid JSON."}]
        return _error(422, "invalid_request_parameters", "Validation failed.", errors=errors)

    def rate_limited(self, request: Request, retry_after: float) -> Response:
        response = _error(429, "rate_limit_exceeded", "Too many requests.", retry_after=round(retry_after, 3))
        response.headers["Retry-After"] = retry_after_header(retry_after)
        return response

    def server_error(self, request: Request, status: int) -> Response:
        return _error(status, "server_error", "Something went wrong. Please try again.")

    def decorate(self, request: Request, response: Response) -> Response:
        response.headers["X-Request-ID"] = "req_" + secrets.token_hex(13)
        return response

    def _deliver(self, event: Event) -> None:
        """Hand an event to every enabled webhook endpoint subscribed to it."""
        body = json.dumps(event_json(event), separators=(",", ":")).encode()
        for w in self.state.handoff.webhook_endpoints:
            if subscribed(w, event.event):
                self.dispatcher.submit(w.id, w.endpoint_url, w.secret, event.id, event.event, body)

    def reset(self) -> None:
        self.state.clear()
        self.dispatcher.reset()
        self.dispatcher.retry_delays = RETRY_DELAYS

    def load_seed(self, seed: dict[str, Any]) -> None:
        """The state's seed, plus the dispatcher's keys: retry delays and delivery history."""
        seed = dict(seed)
        delays = seed.pop("webhook_retry_delays", None)
        records = seed.pop("webhook_deliveries", None) or []
        if delays is not None:
            self.dispatcher.retry_delays = check_retry_delays(delays)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("webhook_deliveries must be a list of objects")
        load_seed(self.state, seed)
        self.dispatcher.restore(records)

    def dump(self) -> dict[str, Any]:
        return {
            **dump(self.state),
            "webhook_retry_delays": list(self.dispatcher.retry_delays),
            "webhook_deliveries": self.dispatcher.records(),
        }


def create_app(
    api_key: str = defaults.WORKOS_API_KEY,
    client_id: str = defaults.WORKOS_CLIENT_ID,
    fault_seed: int = 0,
) -> EmulatorApp:
    """An ASGI app emulating the WorkOS API for one environment."""
    return EmulatorApp(WorkOSService(api_key, client_id), fault_seed)

"""Events: emitted when a connection or directory changes state; listed by ``GET /events``.

Emitted (SDK ``EventSchema`` dispatch names): ``connection.activated`` and
``connection.deactivated`` when a connection enters or leaves ``active``,
``connection.deleted``, ``dsync.activated`` when a directory becomes ``linked``,
and ``dsync.deleted``. Each carries ``context.actor`` saying who caused it (``api``,
``dashboard``, ``admin_portal`` or ``system``), so a reader can tell its own writes
from the customer's. Every event goes to :attr:`State.on_event` (webhook delivery).

The list: ``events`` is required (the spec's 422 example names it), results come
oldest first, ``range_start``/``range_end`` take UTC with a ``Z`` suffix only (the
SDK says offsets are refused), an unknown ``organization_id`` is a 400, and events
older than the documented 30-day retention are gone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos.errors import fail, field_error
from stytch2workos_emulators.workos.handoff_models import (
    Directory,
    Event,
    connection_event_data,
    directory_event_data,
    event_json,
)
from stytch2workos_emulators.workos.lists import MAX_LIMIT, ORDERS
from stytch2workos_emulators.workos.models import Connection
from stytch2workos_emulators.workos.state import State
from stytch2workos_emulators.workos.store import BadCursor, ListParams, paginate

RETENTION_DAYS = 30
ACTOR_SOURCES = ("api", "dashboard", "admin_portal", "system")
# The events this emulator emits; a seeded webhook endpoint without a list gets these.
EMITTED_EVENTS = (
    "connection.activated",
    "connection.deactivated",
    "connection.deleted",
    "dsync.activated",
    "dsync.deleted",
)
# Actor ids are the emulator's own: WorkOS documents the shape, not the values.
_ACTOR_IDS = {
    "api": "api_key_emulator",
    "dashboard": "user_dashboard_emulator",
    "admin_portal": "admin_portal_emulator",
    "system": "system",
}


def emit(state: State, name: str, data: dict[str, Any], organization_id: str | None, source: str) -> Event:
    """Record one event and hand it to the state's listener."""
    event_id, now = state.ids.stamp("event")
    context = {"actor": {"id": _ACTOR_IDS[source], "source": source, "name": None}}
    event = Event(event_id, name, data, now, organization_id, context)
    state.handoff.events.add(event_id, now, event)
    if state.on_event is not None:
        state.on_event(event)
    return event


def _org_domains(state: State, org_id: str) -> list[str]:
    org = state.orgs.get(org_id)
    return [d.domain for d in org.domains] if org else []


def set_connection_state(state: State, c: Connection, new_state: str, source: str) -> None:
    """Move a connection to ``new_state``; entering or leaving ``active`` is an event."""
    old = c.state
    if old == new_state:
        return
    c.state, c.updated_at = new_state, state.ids.now()
    if "active" in (old, new_state):
        name = "connection.activated" if new_state == "active" else "connection.deactivated"
        data = connection_event_data(c, _org_domains(state, c.organization_id))
        emit(state, name, data, c.organization_id, source)


def connection_deleted(state: State, c: Connection, source: str) -> None:
    """The ``connection.deleted`` event, its data in the ``deleting`` state."""
    c.state = "deleting"
    emit(state, "connection.deleted", connection_event_data(c, None), c.organization_id, source)


def set_directory_state(state: State, d: Directory, new_state: str, source: str) -> None:
    """Move a directory to ``new_state``; becoming ``linked`` is ``dsync.activated``."""
    if d.state == new_state:
        return
    d.state, d.updated_at = new_state, state.ids.now()
    if new_state == "linked":
        org = state.orgs.get(d.organization_id)
        data = directory_event_data(d, list(org.domains) if org else [])
        emit(state, "dsync.activated", data, d.organization_id, source)


def directory_deleted(state: State, d: Directory, source: str) -> None:
    """The ``dsync.deleted`` event, its data in the ``deleting`` state."""
    d.state = "deleting"
    emit(state, "dsync.deleted", directory_event_data(d, None), d.organization_id, source)


def parse_utc(value: str, name: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 UTC time written with ``Z``; 422 otherwise."""
    if not value.endswith("Z"):
        field_error(name, "invalid_date", f"{name} must be an ISO-8601 UTC time ending in Z.")
    try:
        moment = datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        field_error(name, "invalid_date", f"{name} must be an ISO-8601 UTC time ending in Z.")
    return int(moment.timestamp() * 1000)


class EventsAPI:
    """``GET /events``."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [("GET", "/events", self.list)]

    def _params(self, request: Request) -> ListParams:
        raw_limit = request.q("limit") or "10"
        limit = int(raw_limit) if raw_limit.isdigit() else 0
        if not 1 <= limit <= MAX_LIMIT:
            field_error("limit", "invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}.")
        order = request.q("order") or "asc"  # "returned oldest first" unless asked otherwise
        if order not in ORDERS:
            field_error("order", "invalid_order", "order must be one of: desc, asc, normal.")
        return ListParams(limit, order, request.q("before") or None, request.q("after") or None)

    def list(self, request: Request) -> Response:
        state = self.state
        names = set(request.q_list("events"))
        if not names:
            field_error("events", "required", "events must name at least one event type.")
        params = self._params(request)
        bounds = [
            parse_utc(request.q(n) or "", n) if request.q(n) else None for n in ("range_start", "range_end")
        ]
        org_id = request.q("organization_id")
        if org_id is not None and org_id not in state.orgs.by_id:
            fail(400, "organization_not_found", f"Organization not found: '{org_id}'.")
        oldest = int(state.ids.clock() * 1000) - RETENTION_DAYS * 86_400_000
        start = max(oldest, bounds[0] or oldest)
        end = bounds[1]
        events = state.handoff.events

        def keep(event_id: str) -> bool:
            e = events.by_id[event_id]
            at = parse_utc(e.created_at, "created_at")
            return (
                e.event in names
                and at >= start
                and (end is None or at <= end)
                and (org_id is None or e.organization_id == org_id)
            )

        try:
            page = paginate(events.sorted_keys, params, events.key, keep)
        except BadCursor as exc:
            field_error("after", "invalid_cursor", f"'{exc}' is not a valid cursor for this list.")
        return Response(
            200,
            {
                "object": "list",
                "data": [event_json(events.by_id[i]) for i in page.ids],
                "list_metadata": {"after": page.after},
            },
        )

"""Seed keys, dump and control actions for the SSO handoff (called from :mod:`.seed`).

Objects, in the API's shapes::

    "feature_flags": {"connections_api": bool},      # false: POST /connections is a 404
    "directories": [{organization_id, id?, name?, type?, state?, external_key?, domain?,
                     metadata?: {users: {active, inactive}, groups}, created_at?}],
    "webhook_endpoints": [{endpoint_url, secret?, events?, status?, id?}],
    "events": [{event, data, id?, created_at?, organization_id?, context?}],   # history, not delivered

A seeded endpoint may use a plain-HTTP loopback URL (the API insists on HTTPS); with
no ``events`` it subscribes to every event the emulator emits. Actions, played in
order after the objects, emit events and deliver webhooks like the real thing::

    "complete_setup": [{organization_id, kind: "sso" | "dsync", connection_type?, directory_type?, name?}],
    "set_state": [{connection_id | directory_id, state, source?}],

``complete_setup`` plays the customer's IT admin finishing the Admin Portal: every
connection (``sso``) or directory (``dsync``) of the organization that is not yet
active becomes ``active`` / ``linked``; an organization with none gets one, made
active. ``set_state`` moves one object (e.g. ``inactive`` for a deactivation).
"""

from __future__ import annotations

from typing import Any

from stytch2workos_emulators.server.http import HTTPError
from stytch2workos_emulators.workos.directories import DIRECTORY_STATES, external_key, new_directory
from stytch2workos_emulators.workos.events import (
    ACTOR_SOURCES,
    EMITTED_EVENTS,
    parse_utc,
    set_connection_state,
    set_directory_state,
)
from stytch2workos_emulators.workos.handoff_models import (
    Event,
    WebhookEndpoint,
    directory_json,
    event_json,
    webhook_endpoint_json,
)
from stytch2workos_emulators.workos.models import Connection
from stytch2workos_emulators.workos.state import State
from stytch2workos_emulators.workos.webhooks import SUBSCRIBABLE_EVENTS, new_secret

LISTS = ("directories", "webhook_endpoints", "events", "complete_setup", "set_state")
OBJECTS = ("feature_flags",)
CONNECTION_STATES = ("requires_type", "draft", "active", "validating", "inactive", "deleting")
SETUP_KINDS = ("sso", "dsync")


def _directory(state: State, data: dict[str, Any]) -> None:
    d = new_directory(
        state,
        str(data["organization_id"]),
        name=data.get("name"),
        directory_type=str(data.get("type") or "generic scim v2.0"),
        directory_state=str(data.get("state") or "linked"),
        directory_id=data.get("id"),
        created_at=data.get("created_at"),
    )
    d.updated_at = str(data.get("updated_at") or d.created_at)
    d.external_key = str(data.get("external_key") or d.external_key)
    d.domain = data.get("domain", d.domain)
    metadata = data.get("metadata") or {}
    users = metadata.get("users") or {}
    d.users_active, d.users_inactive = int(users.get("active", 0)), int(users.get("inactive", 0))
    d.groups = int(metadata.get("groups", 0))


def _endpoint(state: State, data: dict[str, Any]) -> None:
    url = data.get("endpoint_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError("a webhook endpoint needs an http(s) endpoint_url")
    events = data.get("events") or list(EMITTED_EVENTS)
    unknown = [e for e in events if e not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ValueError(f"unknown event name(s): {', '.join(map(str, unknown))}")
    status = str(data.get("status") or "enabled")
    if status not in ("enabled", "disabled"):
        raise ValueError("webhook endpoint status must be enabled or disabled")
    endpoint_id, now = state.ids.stamp("we")
    endpoint_id = str(data.get("id") or endpoint_id)
    created = str(data.get("created_at") or now)
    secret = str(data.get("secret") or new_secret())
    w = WebhookEndpoint(
        endpoint_id, url, secret, list(events), created, str(data.get("updated_at") or created)
    )
    w.status = status
    state.handoff.webhook_endpoints.add(w.id, w.created_at, w)


def _event(state: State, data: dict[str, Any]) -> None:
    name, payload = data.get("event"), data.get("data")
    if not isinstance(name, str) or not isinstance(payload, dict):
        raise ValueError("a seeded event needs an event name and a data object")
    event_id, now = state.ids.stamp("event")
    created = str(data.get("created_at") or now)
    try:
        parse_utc(created, "created_at")
    except HTTPError as exc:
        raise ValueError(f"event created_at {created!r} is not an ISO-8601 UTC time ending in Z") from exc
    org_id = data.get("organization_id", payload.get("organization_id"))
    event = Event(str(data.get("id") or event_id), name, payload, created, org_id, data.get("context"))
    state.handoff.events.add(event.id, event.created_at, event)


def _organization_connections(state: State, org_id: str) -> list[Connection]:
    return [state.connections.by_id[i] for i in state.connections_by_org.get(org_id, ())]


def complete_setup(state: State, data: dict[str, Any]) -> None:
    """The customer finishes the Admin Portal for one organization (see the module docstring)."""
    org_id, kind = str(data.get("organization_id")), data.get("kind")
    org = state.orgs.get(org_id)
    if org is None:
        raise ValueError(f"complete_setup names an unknown organization {org_id}")
    if kind not in SETUP_KINDS:
        raise ValueError("complete_setup kind must be sso or dsync")
    if kind == "dsync":
        directories = [d for d in state.handoff.directories if d.organization_id == org_id]
        if not directories:
            directory_type = str(data.get("directory_type") or "generic scim v2.0")
            directories = [new_directory(state, org_id, name=data.get("name"), directory_type=directory_type)]
        for d in directories:
            set_directory_state(state, d, "linked", "admin_portal")
        return
    connections = _organization_connections(state, org_id)
    if not connections:
        connection_id, now = state.ids.stamp("conn")
        chosen = str(data.get("connection_type") or "GenericSAML")
        c = Connection(connection_id, org_id, str(data.get("name") or org.name), chosen, "draft", now, now)
        c.external_key = external_key()
        state.add_connection(c)
        connections = [c]
    for c in connections:
        set_connection_state(state, c, "active", "admin_portal")


def set_state(state: State, data: dict[str, Any]) -> None:
    """Move one connection or directory to a state, with the events that causes."""
    source = str(data.get("source") or "dashboard")
    if source not in ACTOR_SOURCES:
        raise ValueError(f"source must be one of: {', '.join(ACTOR_SOURCES)}")
    new = str(data.get("state"))
    if data.get("connection_id") is not None:
        c = state.connections.get(str(data["connection_id"]))
        if c is None or new not in CONNECTION_STATES:
            raise ValueError(f"set_state needs a known connection and one of: {', '.join(CONNECTION_STATES)}")
        set_connection_state(state, c, new, source)
        return
    d = state.handoff.directories.get(str(data.get("directory_id")))
    if d is None or new not in DIRECTORY_STATES:
        raise ValueError(f"set_state needs a known connection or directory and a valid state ({new!r})")
    set_directory_state(state, d, new, source)


def load_handoff(state: State, seed: dict[str, Any]) -> None:
    """Apply the handoff keys of a seed (objects first, then actions)."""
    flags = seed.get("feature_flags") or {}
    if set(flags) - {"connections_api"} or not all(isinstance(v, bool) for v in flags.values()):
        raise ValueError('feature_flags takes only "connections_api": true or false')
    if "connections_api" in flags:
        state.handoff.connections_api = flags["connections_api"]
    for data in seed.get("directories") or []:
        _directory(state, data)
    for data in seed.get("webhook_endpoints") or []:
        _endpoint(state, data)
    for data in seed.get("events") or []:
        _event(state, data)
    for data in seed.get("complete_setup") or []:
        complete_setup(state, data)
    for data in seed.get("set_state") or []:
        set_state(state, data)


def dump_handoff(state: State) -> dict[str, Any]:
    """The handoff objects in seed shapes (webhook secrets included)."""
    handoff = state.handoff
    return {
        "feature_flags": {"connections_api": handoff.connections_api},
        "directories": [directory_json(d) for d in handoff.directories],
        "webhook_endpoints": [webhook_endpoint_json(w) for w in handoff.webhook_endpoints],
        "events": [{**event_json(e), "organization_id": e.organization_id} for e in handoff.events],
    }

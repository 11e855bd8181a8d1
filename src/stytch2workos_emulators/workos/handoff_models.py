"""Records and JSON shapes for the enterprise-SSO handoff: directories, events, webhook endpoints.

Shapes follow the spec (``Directory``, ``EventSchema``, ``WebhookEndpointJson``) and
carry every key the SDK's ``from_dict`` requires. One quirk worth knowing: a
directory's API ``state`` is ``linked``/``unlinked``, but the ``dsync.*`` event
payloads spell the same states ``active``/``inactive`` (SDK ``DsyncActivatedDataState``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stytch2workos_emulators.workos.models import Connection, Domain
from stytch2workos_emulators.workos.store import Collection

# Directory.state in the API → the state enum of dsync.* event payloads.
_EVENT_DIRECTORY_STATE = {"linked": "active", "unlinked": "inactive"}


@dataclass
class Directory:
    id: str
    organization_id: str
    name: str
    type: str
    state: str
    external_key: str
    created_at: str
    updated_at: str
    domain: str | None = None
    users_active: int = 0
    users_inactive: int = 0
    groups: int = 0


@dataclass
class Event:
    id: str
    event: str
    data: dict[str, Any]
    created_at: str
    organization_id: str | None = None
    context: dict[str, Any] | None = None


@dataclass
class WebhookEndpoint:
    id: str
    endpoint_url: str
    secret: str
    events: list[str]
    created_at: str
    updated_at: str
    status: str = "enabled"


@dataclass
class Handoff:
    """The handoff part of one environment; :class:`~.state.State` holds one and clears it."""

    directories: Collection[Directory] = field(default_factory=Collection)
    events: Collection[Event] = field(default_factory=Collection)
    webhook_endpoints: Collection[WebhookEndpoint] = field(default_factory=Collection)
    # WorkOS turns POST /connections on per environment (flag
    # ``connections-api-migrations-capabilities-api``); with it off the endpoint answers 404.
    connections_api: bool = True


def directory_json(d: Directory) -> dict[str, Any]:
    """A Directory as ``GET /directories`` returns it."""
    body: dict[str, Any] = {
        "object": "directory",
        "id": d.id,
        "organization_id": d.organization_id,
        "external_key": d.external_key,
        "type": d.type,
        "state": d.state,
        "name": d.name,
        "metadata": {
            "users": {"active": d.users_active, "inactive": d.users_inactive},
            "groups": d.groups,
        },
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }
    if d.domain is not None:
        body["domain"] = d.domain
    return body


def directory_event_data(d: Directory, domains: list[Domain] | None) -> dict[str, Any]:
    """``dsync.activated`` data (``domains`` given) or ``dsync.deleted`` data (``domains`` None)."""
    body: dict[str, Any] = {
        "object": "directory",
        "id": d.id,
        "organization_id": d.organization_id,
        "type": d.type,
        "state": _EVENT_DIRECTORY_STATE.get(d.state, d.state),
        "name": d.name,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }
    if domains is not None:
        body["external_key"] = d.external_key
        body["domains"] = [{"object": "organization_domain", "id": x.id, "domain": x.domain} for x in domains]
    return body


def connection_event_data(c: Connection, domains: list[str] | None) -> dict[str, Any]:
    """``connection.activated``/``deactivated`` data (``domains`` given) or ``connection.deleted``."""
    body: dict[str, Any] = {
        "object": "connection",
        "id": c.id,
        "organization_id": c.organization_id,
        "state": c.state,
        "name": c.name,
        "connection_type": c.connection_type,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    if domains is not None:
        body["external_key"] = c.external_key
        body["status"] = "linked" if c.state == "active" else "unlinked"
        body["domains"] = [
            {"object": "connection_domain", "id": f"conn_domain_{c.id[-26:]}{i}", "domain": x}
            for i, x in enumerate(domains)
        ]
    return body


def event_json(e: Event) -> dict[str, Any]:
    """An event as the Events API lists it and a webhook delivers it."""
    body: dict[str, Any] = {
        "object": "event",
        "id": e.id,
        "event": e.event,
        "data": e.data,
        "created_at": e.created_at,
    }
    if e.context is not None:
        body["context"] = e.context
    return body


def webhook_endpoint_json(w: WebhookEndpoint) -> dict[str, Any]:
    """A WebhookEndpoint; the API returns its signing secret, as WorkOS does."""
    return {
        "object": "webhook_endpoint",
        "id": w.id,
        "endpoint_url": w.endpoint_url,
        "secret": w.secret,
        "status": w.status,
        "events": list(w.events),
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    }

"""The SSO handoff's rows: what WorkOS answered for each recreated connection, the
connection and directory outcomes in the ledger, and WorkOS events the webhook
receiver took in.

``connection_targets`` holds only what the customer's IdP takes from WorkOS (callback
URLs, the SP entity id, public certificates): the caller picks those fields from the
create answer, and nothing secret is ever passed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stytch2workos.workspace.core import Workspace, now_iso

HANDOFF_KINDS = ("connection", "directory")


@dataclass(frozen=True)
class Target:
    """A recreated connection: its WorkOS id and the non-secret details of the create answer."""

    workos_id: str
    details: dict[str, Any]
    recorded_at: str


@dataclass(frozen=True)
class Outcome:
    """A connection's or directory's ledger row, with the time it last changed."""

    status: str
    target_id: str | None
    code: str | None
    detail: str | None
    updated_at: str


@dataclass(frozen=True)
class EventRow:
    """One WorkOS event, as far as the handoff status reads it."""

    event_id: str
    event: str
    object_id: str | None
    organization_id: str | None
    actor: str | None  # who caused it: api, dashboard, admin_portal or system
    created_at: str
    received_at: str = ""


def save_target(ws: Workspace, source_id: str, workos_id: str, details: dict[str, Any]) -> None:
    """Keep what WorkOS answered for a recreated connection (replacing an earlier answer)."""
    with ws.lock, ws.transaction() as db:
        db.execute(
            "INSERT INTO connection_targets (source_id, workos_id, details, recorded_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_id) DO UPDATE SET workos_id = excluded.workos_id, "
            "details = excluded.details, recorded_at = excluded.recorded_at",
            (source_id, workos_id, json.dumps(details, sort_keys=True), now_iso()),
        )


def targets(ws: Workspace) -> dict[str, Target]:
    """Every recreated connection's WorkOS answer, by Stytch connection id."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT source_id, workos_id, details, recorded_at FROM connection_targets"
        ).fetchall()
    return {str(s): Target(str(w), dict(json.loads(d)), str(r)) for s, w, d, r in rows}


def outcomes(ws: Workspace) -> dict[tuple[str, str], Outcome]:
    """The ledger rows of connections and directories, by ``(kind, Stytch id)``."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT kind, source_id, status, target_id, code, detail, updated_at FROM ledger "
            f"WHERE kind IN ({', '.join('?' for _ in HANDOFF_KINDS)})",
            HANDOFF_KINDS,
        ).fetchall()
    return {(str(k), str(s)): Outcome(str(st), t, c, d, str(u)) for k, s, st, t, c, d, u in rows}


def record_event(ws: Workspace, event: EventRow) -> bool:
    """Store an event; False when its id was stored before (WorkOS delivers at least once)."""
    with ws.lock, ws.transaction() as db:
        cursor = db.execute(
            "INSERT INTO workos_events (event_id, event, object_id, organization_id, actor, created_at, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (
                event.event_id,
                event.event,
                event.object_id,
                event.organization_id,
                event.actor,
                event.created_at,
                event.received_at or now_iso(),
            ),
        )
        return cursor.rowcount == 1


def events(ws: Workspace, names: Iterable[str]) -> list[EventRow]:
    """Stored events with these names, oldest first."""
    wanted = tuple(names)
    with ws.lock:
        rows = ws._db.execute(
            "SELECT event_id, event, object_id, organization_id, actor, created_at, received_at "
            f"FROM workos_events WHERE event IN ({', '.join('?' for _ in wanted)}) ORDER BY created_at, event_id",
            wanted,
        ).fetchall()
    return [
        EventRow(str(i), str(e), _opt(o), _opt(org), _opt(a), str(c), str(r))
        for i, e, o, org, a, c, r in rows
    ]


def _opt(value: object) -> str | None:
    return None if value is None else str(value)

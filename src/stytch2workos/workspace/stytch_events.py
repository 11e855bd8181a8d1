"""Stytch webhook events taken in by ``sync --listen``, and the deliveries it refused.

An event is stored once, when it arrives (``pending``), keyed by its Svix message id and
by Stytch's ``event_id``: Svix delivers at least once, so a second copy of either is
recognised and left alone. The receiver's worker then re-reads the object from Stytch and
applies it, marking the event ``applied`` (with the delay from Stytch's change to the
WorkOS write), ``failed`` (with why) or ``ignored`` (an object type sync does not keep).
Pending events survive any stop: the next ``sync --listen`` applies them first.

Thread-safe like the ledger: the receiver's threads and its worker share the one
connection under ``ws.lock``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stytch2workos.workspace.core import Workspace, now_iso

STATUSES = ("pending", "applied", "failed", "ignored")


@dataclass(frozen=True)
class StytchEvent:
    """One received event, as far as the receiver needs it (never the object's copy)."""

    msg_id: str
    event_id: str | None
    object_type: str
    object_id: str
    action: str  # CREATE | UPDATE | DELETE
    source: str  # DIRECT | DASHBOARD | SCIM
    event_at: str  # Stytch's timestamp, ISO 8601 with microseconds
    seq: int = 0


def record(ws: Workspace, event: StytchEvent, status: str = "pending", detail: str | None = None) -> bool:
    """Store an event; False when its message id or event id was stored before."""
    with ws.lock, ws.transaction() as db:
        cursor = db.execute(
            "INSERT INTO stytch_events (msg_id, event_id, object_type, object_id, action, source, "
            "event_at, received_at, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                event.msg_id,
                event.event_id,
                event.object_type,
                event.object_id,
                event.action,
                event.source,
                event.event_at,
                now_iso(),
                status,
                detail,
            ),
        )
        return cursor.rowcount == 1


def pending(ws: Workspace, limit: int = 1000) -> list[StytchEvent]:
    """Events not yet applied, oldest first."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT msg_id, event_id, object_type, object_id, action, source, event_at, seq "
            "FROM stytch_events WHERE status = 'pending' ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
    return [
        StytchEvent(str(m), e, str(t), str(o), str(a), str(s), str(at), int(q))
        for m, e, t, o, a, s, at, q in rows
    ]


def finish(
    ws: Workspace,
    outcomes: Iterable[tuple[int, str, str | None, float | None]],
    applied_at: str | None = None,
) -> None:
    """Close events: ``(seq, status, detail, lag in seconds)`` each, in one transaction."""
    stamp = applied_at or now_iso()
    with ws.lock, ws.transaction() as db:
        db.executemany(
            "UPDATE stytch_events SET status = ?, detail = ?, lag_seconds = ?, applied_at = ? WHERE seq = ?",
            [(status, detail, lag, stamp, seq) for seq, status, detail, lag in outcomes],
        )


def count_refusal(ws: Workspace, reason: str) -> None:
    """Count one refused delivery under ``reason`` (forged, stale, malformed...)."""
    with ws.lock, ws.transaction() as db:
        db.execute(
            "INSERT INTO stytch_webhook_refusals (reason, count, last_at) VALUES (?, 1, ?) "
            "ON CONFLICT (reason) DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            (reason, now_iso()),
        )


def refusals(ws: Workspace) -> dict[str, int]:
    """Refused deliveries by reason."""
    with ws.lock:
        rows = ws._db.execute("SELECT reason, count FROM stytch_webhook_refusals ORDER BY reason").fetchall()
    return {str(r): int(c) for r, c in rows}


def counts(ws: Workspace) -> dict[str, int]:
    """Stored events by status."""
    with ws.lock:
        rows = ws._db.execute("SELECT status, COUNT(*) FROM stytch_events GROUP BY status").fetchall()
    return {str(s): int(c) for s, c in rows}


def lags(ws: Workspace) -> list[float]:
    """Seconds from each applied event's change in Stytch to its write in WorkOS, oldest first."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT lag_seconds FROM stytch_events WHERE status = 'applied' AND lag_seconds IS NOT NULL "
            "ORDER BY seq"
        ).fetchall()
    return [float(r[0]) for r in rows]


def events(ws: Workspace, limit: int = 10_000) -> list[tuple[StytchEvent, str, str | None]]:
    """Stored events with their status and detail, oldest first (for reports and tests)."""
    with ws.lock:
        rows = ws._db.execute(
            "SELECT msg_id, event_id, object_type, object_id, action, source, event_at, seq, status, detail "
            "FROM stytch_events ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
    return [
        (StytchEvent(str(m), e, str(t), str(o), str(a), str(s), str(at), int(q)), str(st), d)
        for m, e, t, o, a, s, at, q, st, d in rows
    ]

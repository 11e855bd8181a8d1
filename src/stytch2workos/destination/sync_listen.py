"""``sync --listen``: Stytch's webhooks in, the current state of each changed object out to WorkOS.

Two halves, so a delivery is answered at once and nothing received is lost:

* :class:`Receiver` answers each delivery. It checks the Svix signature and timestamp
  (:mod:`..source.stytch_webhooks`), counts what it refuses (forged: 401; stale or
  malformed: 400), stores a genuine event once (a repeated Svix message id or Stytch event
  id is answered 200 and ignored) and wakes the worker. Svix wants a 2xx within about
  15 s; storing takes milliseconds, so slow WorkOS writes never cause redeliveries.
* :class:`Worker` takes stored events in order and, for each changed object, reads what
  Stytch holds *now* and hands it to the sync engine. Deliveries are unordered and may
  repeat, so the event's own copy is never applied: re-reading makes an old event harmless
  (it applies the latest state again) and several events about one object cost one read
  and one apply. A member or organization Stytch no longer has is handed over as None (a
  deletion). Events still pending when the receiver stops (even kill -9) are applied when it
  starts again.

Each applied event keeps its lag: from Stytch's event timestamp to the end of the WorkOS
write. A periodic full ``sync`` reconciles anything a webhook never brought.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from svix.webhooks import Webhook

from stytch2workos.destination.handoff_receiver import Answer, serve
from stytch2workos.errors import RetriesExhausted, Stytch2WorkOSError, clip
from stytch2workos.source.stytch_webhooks import KEPT_OBJECT_TYPES, check
from stytch2workos.workspace import Workspace
from stytch2workos.workspace import stytch_events as store
from stytch2workos.workspace import sync as sync_store
from stytch2workos.workspace.stytch_events import StytchEvent

if TYPE_CHECKING:
    from stytch2workos.config import MigrationConfig
    from stytch2workos.destination.client import WorkOSTarget

# After Stytch or WorkOS stayed unreachable through every retry, wait this long before
# trying the pending events again (the receiver keeps storing new ones meanwhile).
OUTAGE_PAUSE = 5.0
BATCH = 500

Record = dict[str, Any]


class Applier(Protocol):
    """The sync engine's way in: apply one object's current Stytch state (None: gone)."""

    def __call__(self, kind: str, object_id: str, record: Record | None) -> None: ...


Fetch = Callable[[str, str], "Record | None"]


def event_time(text: str) -> float | None:
    """Unix seconds of a Stytch event timestamp (ISO 8601, ``Z``), None if unreadable."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Worker:
    """Applies stored events, one object at a time, from one thread."""

    def __init__(
        self,
        ws: Workspace,
        fetch: Fetch,
        apply: Applier,
        log: Callable[[str], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ws, self.fetch, self.apply, self.log, self.clock = ws, fetch, apply, log, clock
        self._wake = threading.Condition()
        self._signalled = False
        self._stop = threading.Event()
        self.last_lag: float | None = None

    def wake(self) -> None:
        with self._wake:
            self._signalled = True
            self._wake.notify()

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def run(self) -> None:
        """Drain, then wait for more, until stopped."""
        while not self._stop.is_set():
            try:
                outage = not self.drain()
            except Exception as exc:  # the workspace failed: keep the thread, say so, try later
                self.log(f"could not read or update stored events ({type(exc).__name__}); retrying")
                outage = True
            with self._wake:
                if not self._signalled and not self._stop.is_set():
                    self._wake.wait(OUTAGE_PAUSE if outage else 1.0)
                self._signalled = False

    def drain(self) -> bool:
        """Apply every pending event; False when an outage left some pending."""
        while not self._stop.is_set():
            batch = store.pending(self.ws, BATCH)
            if not batch:
                return True
            groups: dict[tuple[str, str], list[StytchEvent]] = {}
            for event in batch:
                groups.setdefault((event.object_type, event.object_id), []).append(event)
            for (kind, object_id), events in groups.items():
                if self._stop.is_set():
                    return True
                if not self._apply_one(kind, object_id, events):
                    return False
        return True

    def _apply_one(self, kind: str, object_id: str, events: list[StytchEvent]) -> bool:
        names = ", ".join(sorted({e.action.lower() for e in events}))
        if kind not in KEPT_OBJECT_TYPES:
            store.finish(self.ws, [(e.seq, "ignored", f"{kind} events are not synced", None) for e in events])
            return True
        try:
            record = self.fetch(kind, object_id)
            self.apply(kind, object_id, record)
        except RetriesExhausted as exc:
            self.log(f"{kind} {object_id}: {exc}; kept, trying again in {OUTAGE_PAUSE:g} s")
            return False
        except Stytch2WorkOSError as exc:
            detail = clip(str(exc))
            store.finish(self.ws, [(e.seq, "failed", detail, None) for e in events])
            self.log(f"{kind} {object_id} ({names}): failed: {detail}")
            return True
        except Exception as exc:  # a defect must not end the receiver: the event says what happened
            detail = f"internal error ({type(exc).__name__})"
            store.finish(self.ws, [(e.seq, "failed", detail, None) for e in events])
            self.log(f"{kind} {object_id} ({names}): {detail}; a full `sync` will reconcile it")
            return True
        done = self.clock()
        outcomes = []
        for e in events:
            at = event_time(e.event_at)
            lag = None if at is None else round(max(0.0, done - at), 6)
            outcomes.append((e.seq, "applied", None if record is not None else "gone from Stytch", lag))
            self.last_lag = lag if lag is not None else self.last_lag
        store.finish(self.ws, outcomes)
        state = "gone from Stytch" if record is None else "current state"
        lag_text = "" if self.last_lag is None else f", {self.last_lag:.3f} s after the change"
        self.log(f"applied {kind} {object_id} ({state}; {len(events)} event(s): {names}{lag_text})")
        return True


class Receiver:
    """Answers Stytch webhook deliveries (one per :meth:`handle` call)."""

    def __init__(self, ws: Workspace, hook: Webhook, worker: Worker) -> None:
        self.ws, self.hook, self.worker = ws, hook, worker

    def handle(self, headers: Mapping[str, str], body: bytes) -> Answer:
        verdict = check(self.hook, headers, body)
        event = verdict.event
        if event is None:
            store.count_refusal(self.ws, verdict.reason)
            return Answer(verdict.status, verdict.message)
        if not event.msg_id:
            store.count_refusal(self.ws, "malformed")
            return Answer(400, "refused: no svix-id")
        what = f"{verdict.message} {event.object_id}"
        if event.object_type not in KEPT_OBJECT_TYPES:
            if store.record(self.ws, event, "ignored", f"{event.object_type} events are not synced"):
                return Answer(200, f"noted {what} (not synced)")
            return Answer(200, f"ignored repeated event {event.event_id or event.msg_id}")
        if not store.record(self.ws, event):
            return Answer(200, f"ignored repeated event {event.event_id or event.msg_id} ({what})")
        self.worker.wake()
        return Answer(200, f"queued {what} (event {event.event_id or event.msg_id})")


def listen(
    ws: Workspace,
    hook: Webhook,
    fetch: Fetch,
    apply: Applier,
    host: str,
    port: int,
    log: Callable[[str], None],
    on_ready: Callable[[str], None],
) -> Worker:
    """Receive and apply until interrupted (a signal raises in this thread and ends it).

    Pending events from an earlier run are applied first. Returns the worker (its last lag).
    """
    worker = Worker(ws, fetch, apply, log)
    thread = threading.Thread(target=worker.run, name="sync-listen-worker", daemon=True)
    thread.start()
    try:
        serve(Receiver(ws, hook, worker), host, port, log, on_ready)
    finally:
        worker.stop()
        # An apply in flight finishes (or, if it outlasts this, stays pending for next time).
        thread.join(timeout=10)
    return worker


def receive_and_apply(
    ws: Workspace,
    target: WorkOSTarget,
    config: MigrationConfig,
    hook: Webhook,
    fetch: Fetch,
    host: str,
    port: int,
    log: Callable[[str], None],
    on_ready: Callable[[str], None],
    passwords: Callable[[str], tuple[str, str] | None] | None = None,
) -> float | None:
    """``sync --listen``: run the receiver as one ``webhook`` sync run; the last event's lag.

    ``fetch(kind, object_id)`` reads the current member or organization from Stytch (None:
    gone); the sync engine's record path (:class:`.sync_records.RecordSync`) applies it.
    """
    from stytch2workos.destination.sync import SyncEngine, seed_baseline
    from stytch2workos.destination.sync_records import RecordSync

    seed_baseline(ws, config)  # entities the import wrote get their baseline, as a refresh does
    run_id = sync_store.start_run(ws, "webhook")
    records = RecordSync(SyncEngine(ws, target, config, None, run_id), passwords)

    def apply(kind: str, object_id: str, record: Record | None) -> None:
        if kind == "member":
            records.apply_member(object_id, record)
        else:
            records.apply_organization(object_id, record)

    lag: float | None = None
    try:
        lag = listen(ws, hook, fetch, apply, host, port, log, on_ready).last_lag
    finally:
        sync_store.finish_run(ws, run_id, lag)
    return lag

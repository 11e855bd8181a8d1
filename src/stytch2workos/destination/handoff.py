"""Where each organization's SSO connections and directories stand after import.

For every organization with SSO or SCIM in the snapshot, one line per connection
or directory, in one of these states:

* ``recreated``: import made it and WorkOS says it is active;
* ``activated``: the customer finished setup (an active connection import did not
  make, or a linked directory);
* ``waiting``: handed to the customer, or made as a draft, and not active yet;
* ``failed``: refused by WorkOS, or deactivated or deleted since;
* ``skipped``: not migrated by policy (a pending connection): it never blocks.

An organization is *done* when none of its lines waits or failed. What WorkOS holds
now (connections, directories) decides the state; WorkOS's events say since when
and who did it (the Events API, and the events the webhook receiver stored, which
count first). :func:`derive` is pure; :func:`read_workos` does the reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from workos import SyncPage
from workos.directory_sync import Directory
from workos.sso import Connection

from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.transform.connections import Decision
from stytch2workos.workspace.handoff import EventRow, Outcome

EVENT_NAMES = (
    "connection.activated",
    "connection.deactivated",
    "connection.deleted",
    "dsync.activated",
    "dsync.deleted",
)
_ACTIVATED = ("connection.activated", "dsync.activated")
_DONE_STATES = ("recreated", "activated", "skipped")
_DONE_LEDGER = ("created", "reused", "recovered")


@dataclass(frozen=True)
class WorkOSObject:
    """A WorkOS connection or directory, as far as the status reads it."""

    id: str
    organization_id: str
    kind: str  # connection | directory
    state: str


@dataclass(frozen=True)
class WorkOSState:
    objects: tuple[WorkOSObject, ...]
    events: tuple[EventRow, ...]  # from the Events API


@dataclass(frozen=True)
class Line:
    kind: str  # sso | directory
    connection_id: str  # the Stytch connection
    label: str
    state: str
    since: str | None = None
    detail: str = ""
    evidence: str | None = None  # webhook | events_api: where "since" came from


@dataclass
class OrgStatus:
    organization_id: str
    name: str
    workos_organization_id: str | None
    lines: list[Line] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(line.state in _DONE_STATES for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "name": self.name,
            "workos_organization_id": self.workos_organization_id,
            "done": self.done,
            "items": [asdict(line) for line in self.lines],
        }


def _value(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def event_row(event: Mapping[str, Any], received_at: str = "") -> EventRow:
    """The fields the status reads from a WorkOS event (its JSON, as the SDK's ``to_dict`` gives it)."""
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    context = event.get("context") if isinstance(event.get("context"), dict) else {}
    assert isinstance(data, dict) and isinstance(context, dict)
    actor = context.get("actor") if isinstance(context.get("actor"), dict) else {}
    assert isinstance(actor, dict)
    return EventRow(
        event_id=str(event.get("id") or ""),
        event=str(event.get("event") or ""),
        object_id=str(data["id"]) if data.get("id") else None,
        organization_id=str(data["organization_id"]) if data.get("organization_id") else None,
        actor=_value(actor["source"]) if actor.get("source") else None,
        created_at=str(event.get("created_at") or ""),
        received_at=received_at,
    )


def read_workos(target: WorkOSTarget, organization_ids: Iterable[str]) -> WorkOSState:
    """The connections and directories of these WorkOS organizations, and the handoff events.

    Whole lists, filtered here: a page of 100 per call beats two calls per organization
    when thousands of organizations are handed over.
    """
    wanted = set(organization_ids)
    sso, dsync, events = target.client.sso, target.client.directory_sync, target.client.events

    def connections(after: str | None) -> SyncPage[Connection]:
        return sso.list_connections(limit=100, after=after, order="asc")

    def directories(after: str | None) -> SyncPage[Directory]:
        return dsync.list_directories(limit=100, after=after, order="asc")

    objects: list[WorkOSObject] = []
    if wanted:
        for c in target.iter_pages("general", connections):
            if c.organization_id in wanted:
                objects.append(WorkOSObject(c.id, c.organization_id, "connection", _value(c.state)))
        for d in target.iter_pages("general", directories):
            if d.organization_id in wanted:
                objects.append(WorkOSObject(d.id, d.organization_id, "directory", _value(d.state)))
    # Oldest first, as the Events API lists them; at most 30 days back (its retention).
    found = [
        event_row(e.to_dict())
        for e in target.iter_pages(
            "general", lambda after: events.list_events(events=list(EVENT_NAMES), limit=100, after=after)
        )
    ]
    return WorkOSState(tuple(objects), tuple(e for e in found if e.organization_id in wanted))


@dataclass(frozen=True)
class _Activation:
    at: str
    actor: str | None
    via: str


def _activations(api: Sequence[EventRow], stored: Sequence[EventRow]) -> dict[str, _Activation]:
    """The last activation of each object; an event the receiver stored counts as ``webhook``."""
    seen: dict[str, tuple[EventRow, str]] = {e.event_id: (e, "events_api") for e in api}
    seen.update({e.event_id: (e, "webhook") for e in stored})
    found: dict[str, _Activation] = {}
    for event, via in sorted(seen.values(), key=lambda p: (p[0].created_at, p[0].event_id)):
        if event.object_id is None:
            continue
        if event.event in _ACTIVATED:
            found[event.object_id] = _Activation(event.created_at, event.actor, via)
        else:  # deactivated or deleted since: the activation no longer holds
            found.pop(event.object_id, None)
    return found


def _label(d: Decision, idp_names: Mapping[str, str]) -> str:
    f = d.facts
    kind = {"saml": "SAML", "oidc": "OIDC", "external": "shared SSO", "scim": "SCIM directory"}[f.kind]
    return f"{kind} {f.display_name or idp_names.get(f.identity_provider, f.identity_provider)}".strip()


def derive(
    decisions: Sequence[Decision],
    org_names: Mapping[str, str],
    org_ids: Mapping[str, str],
    outcomes: Mapping[tuple[str, str], Outcome],
    workos: WorkOSState,
    stored_events: Sequence[EventRow] = (),
    idp_names: Mapping[str, str] | None = None,
) -> list[OrgStatus]:
    """Every organization's status, from the snapshot's decisions, the ledger and WorkOS."""
    names = idp_names or {}
    activations = _activations(workos.events, stored_events)
    by_org: dict[str, list[WorkOSObject]] = {}
    for obj in workos.objects:
        by_org.setdefault(obj.organization_id, []).append(obj)
    statuses: dict[str, OrgStatus] = {}
    grouped: dict[str, list[Decision]] = {}
    for d in decisions:
        grouped.setdefault(d.facts.organization_id, []).append(d)
    for org, items in sorted(grouped.items(), key=lambda kv: (org_names.get(kv[0], ""), kv[0])):
        if all(d.action == "skip" for d in items):
            continue
        workos_org = org_ids.get(org)
        status = statuses[org] = OrgStatus(org, org_names.get(org, ""), workos_org)
        held = by_org.get(workos_org or "", [])
        recreated = {
            o.target_id
            for d in items
            if (o := outcomes.get((d.ledger_kind, d.source_id))) is not None and o.status in _DONE_LEDGER
        }
        for d in items:
            line = Line(
                "directory" if d.facts.kind == "scim" else "sso", d.source_id, _label(d, names), "waiting"
            )
            outcome = outcomes.get((d.ledger_kind, d.source_id))
            status.lines.append(_line(d, line, outcome, workos_org, held, recreated, activations))
    return list(statuses.values())


def _line(
    d: Decision,
    line: Line,
    outcome: Outcome | None,
    workos_org: str | None,
    held: list[WorkOSObject],
    recreated: set[str | None],
    activations: Mapping[str, _Activation],
) -> Line:
    def at(obj: WorkOSObject, state: str, detail: str) -> Line:
        act = activations.get(obj.id)
        since = act.at if act else (outcome.updated_at if outcome else None)
        return Line(line.kind, line.connection_id, line.label, state, since, detail, act.via if act else None)

    if d.action == "skip" or (outcome is not None and outcome.status == "skipped"):
        return Line(
            line.kind,
            line.connection_id,
            line.label,
            "skipped",
            None,
            d.reason or (outcome and outcome.code) or "",
        )
    if workos_org is None:
        return Line(
            line.kind,
            line.connection_id,
            line.label,
            "waiting",
            None,
            "organization not imported yet: run import",
        )
    if line.kind == "directory":
        linked = [o for o in held if o.kind == "directory" and o.state == "linked"]
        if linked:
            return at(linked[0], "activated", f"directory {linked[0].id} linked")
        broken = [o for o in held if o.kind == "directory" and o.state == "invalid_credentials"]
        if broken:
            return at(broken[0], "failed", f"directory {broken[0].id}: invalid credentials")
        since = outcome.updated_at if outcome else None
        return Line(
            line.kind, line.connection_id, line.label, "waiting", since, "the customer sets up directory sync"
        )
    if outcome is not None and outcome.status in _DONE_LEDGER:
        mine = next((o for o in held if o.id == outcome.target_id), None)
        if mine is None:
            return Line(
                line.kind,
                line.connection_id,
                line.label,
                "failed",
                None,
                f"{outcome.target_id} is no longer in WorkOS",
            )
        if mine.state == "active":
            act = activations.get(mine.id)
            by_customer = act is not None and act.actor in ("admin_portal", "dashboard")
            return at(mine, "activated" if by_customer else "recreated", f"{mine.id} active")
        if mine.state in ("inactive", "deleting"):
            return at(mine, "failed", f"{mine.id} is {mine.state} in WorkOS")
        return at(mine, "waiting", f"{mine.id} is {mine.state}: the customer finishes setup")
    # Handed off, failed, or not imported yet: done once the organization has an active
    # connection that import did not make (the customer's own, through the Admin Portal).
    theirs = [o for o in held if o.kind == "connection" and o.state == "active" and o.id not in recreated]
    if theirs:
        return at(theirs[0], "activated", f"{theirs[0].id} active")
    if outcome is None:
        return Line(
            line.kind, line.connection_id, line.label, "waiting", None, "not imported yet: run import"
        )
    if outcome.status == "failed":
        return Line(
            line.kind,
            line.connection_id,
            line.label,
            "failed",
            outcome.updated_at,
            outcome.detail or outcome.code or "",
        )
    return Line(
        line.kind,
        line.connection_id,
        line.label,
        "waiting",
        outcome.updated_at,
        f"the customer sets it up ({outcome.code})",
    )

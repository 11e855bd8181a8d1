"""The SSO handoff as ``status`` and the report show it: per customer, done, waiting or failed.

From the workspace alone, WorkOS's state is what import recorded (the connections it made,
in the state WorkOS answered with) with every stored webhook event applied in order; with
a target, what WorkOS holds now, as ``handoff`` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.destination.handoff import OrgStatus, WorkOSState
    from stytch2workos.handoff_view import HandoffView


@dataclass(frozen=True)
class Customer:
    """One organization's SSO connections and directories, as the handoff judges them."""

    organization_id: str
    name: str
    state: str  # done | waiting | failed
    items: tuple[dict[str, Any], ...]
    packet: str | None  # the Markdown packet ``packets`` wrote, when it exists

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "items": list(self.items)}


@dataclass(frozen=True)
class Handoff:
    source: str  # workspace | workos
    customers: tuple[Customer, ...] = ()

    def count(self, state: str) -> int:
        return sum(c.state == state for c in self.customers)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "total": len(self.customers),
            "done": self.count("done"),
            "waiting": self.count("waiting"),
            "failed": self.count("failed"),
            "customers": [c.to_json() for c in self.customers],
        }


def recorded_state(view: HandoffView) -> WorkOSState:
    """What WorkOS holds as far as the workspace knows: the connections import made (in the
    state WorkOS answered with), then every stored webhook event applied in order."""
    from stytch2workos.destination.handoff import WorkOSObject, WorkOSState

    objects: dict[str, WorkOSObject] = {}
    for d in view.decisions:
        outcome = view.outcomes.get((d.ledger_kind, d.source_id))
        target = view.targets.get(d.source_id)
        workos_org = view.workos_orgs.get(d.facts.organization_id)
        if outcome is None or target is None or workos_org is None or outcome.target_id != target.workos_id:
            continue
        state = str(target.details.get("state") or "unknown")
        objects[target.workos_id] = WorkOSObject(target.workos_id, workos_org, "connection", state)
    for event in view.events:
        if event.object_id is None:
            continue
        kind = "directory" if event.event.startswith("dsync.") else "connection"
        known = objects.get(event.object_id)
        org = event.organization_id or (known.organization_id if known else "")
        if event.event.endswith(".deleted"):
            objects.pop(event.object_id, None)
            continue
        state = {"connection.activated": "active", "dsync.activated": "linked"}.get(event.event, "inactive")
        objects[event.object_id] = WorkOSObject(event.object_id, org, kind, state)
    return WorkOSState(tuple(objects.values()), ())


def packet_files(ws_path: Path, view: HandoffView) -> dict[str, Path]:
    """Each organization's Markdown packet, named as ``packets`` names it, where it exists."""
    from stytch2workos.packets import file_stem

    taken: set[str] = set()
    found: dict[str, Path] = {}
    for org_id in view.organizations():
        if view.items(org_id) is None:
            continue
        path = ws_path / "packets" / f"{file_stem(view.slugs.get(org_id, ''), org_id, taken)}.md"
        if path.is_file():
            found[org_id] = path
    return found


def customers(statuses: list[OrgStatus], packets: Mapping[str, Path]) -> tuple[Customer, ...]:
    found = []
    for s in statuses:
        states = {line.state for line in s.lines}
        state = "failed" if "failed" in states else "done" if s.done else "waiting"
        items = tuple(
            {"label": ln.label, "kind": ln.kind, "state": ln.state, "since": ln.since, "detail": ln.detail}
            for ln in s.lines
        )
        packet = packets.get(s.organization_id)
        found.append(Customer(s.organization_id, s.name, state, items, str(packet) if packet else None))
    return tuple(found)


def handoff(ws: Workspace, config: MigrationConfig, target: WorkOSTarget | None) -> Handoff:
    from stytch2workos.destination.handoff import derive, read_workos
    from stytch2workos.handoff_view import load_view
    from stytch2workos.packets import IDP_NAMES

    view = load_view(ws, config, None)
    state = recorded_state(view) if target is None else read_workos(target, view.workos_orgs.values())
    statuses = derive(
        view.decisions, view.names, view.workos_orgs, view.outcomes, state, view.events, IDP_NAMES
    )
    return Handoff(
        "workspace" if target is None else "workos", customers(statuses, packet_files(ws.path, view))
    )

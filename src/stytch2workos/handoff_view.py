"""What ``packets`` and ``handoff`` read from the workspace, gathered once.

The snapshot's connections (decided as import decides them), the organizations'
names and slugs, the WorkOS organization ids and connection outcomes the ledger
holds, WorkOS's create answers, and the events the webhook receiver stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from stytch2workos.config import MigrationConfig
from stytch2workos.destination.handoff import EVENT_NAMES
from stytch2workos.errors import ConfigError
from stytch2workos.packets import Item
from stytch2workos.transform.connections import Decision, decide_all
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.handoff import EventRow, Outcome, Target, events, outcomes, targets
from stytch2workos.workspace.ledger import Ledger


@dataclass(frozen=True)
class HandoffView:
    decisions: list[Decision]
    names: dict[str, str]  # Stytch organization id → name
    slugs: dict[str, str]
    workos_orgs: dict[str, str]  # Stytch organization id → WorkOS id (imported ones)
    outcomes: dict[tuple[str, str], Outcome]
    targets: dict[str, Target]
    events: list[EventRow]

    def organizations(self) -> list[str]:
        """Organizations with something to hand over (not every connection skipped), by name."""
        found = {d.facts.organization_id for d in self.decisions if d.action != "skip"}
        return sorted(found, key=lambda o: (self.names.get(o, ""), o))

    def items(self, organization_id: str) -> list[Item] | None:
        """The packet items of an organization; None while import has not settled every one."""
        found = []
        for d in self.decisions:
            if d.facts.organization_id != organization_id:
                continue
            outcome = self.outcomes.get((d.ledger_kind, d.source_id))
            if d.action == "skip":
                found.append(Item(d.facts, "skipped", d.reason))
                continue
            if outcome is None or outcome.status == "sending":
                return None
            target = self.targets.get(d.source_id)
            details = target.details if target is not None and outcome.target_id == target.workos_id else {}
            found.append(Item(d.facts, outcome.status, outcome.code, details))
        return found


def load_view(ws: Workspace, config: MigrationConfig, scope: list[str] | None) -> HandoffView:
    """Read everything once; ``scope`` limits it to these Stytch organization ids."""
    snapshot = ws.require_snapshot()
    names: dict[str, str] = {}
    slugs: dict[str, str] = {}
    for org in ws.organizations(snapshot):
        org_id = str(org.get("organization_id"))
        names[org_id] = str(org.get("organization_name") or "")
        slugs[org_id] = str(org.get("organization_slug") or "")
    if scope:
        unknown = sorted(set(scope) - set(names))
        if unknown:
            raise ConfigError(f"--org: not in the snapshot: {', '.join(unknown)}")
    wanted = set(scope) if scope else set(names)
    decisions = [
        d
        for d in decide_all(ws.connections(snapshot), config.connections)
        if d.facts.organization_id in wanted
    ]
    imported = Ledger(ws).done_ids("organization")
    return HandoffView(
        decisions,
        names,
        slugs,
        {k: v for k, v in imported.items() if k in wanted},
        outcomes(ws),
        targets(ws),
        events(ws, EVENT_NAMES),
    )

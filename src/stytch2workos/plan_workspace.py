"""The plan as ``plan``, ``import`` and ``migrate`` compute it: workspace + config + WorkOS.

:func:`make_plan` gathers what :func:`stytch2workos.plan.build_plan` needs (the snapshot
in scope, the roles to create, what WorkOS already holds, the ledger's earlier
invitations and connection outcomes), calls it, and keeps a copy in ``plan.json``.
It reads WorkOS through the target it is given and never writes there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stytch2workos.config import MigrationConfig
from stytch2workos.errors import ConfigError
from stytch2workos.plan import Plan, build_plan, iter_people, scoped_organizations
from stytch2workos.plan_connections import ConnectionPlan
from stytch2workos.private_files import open_private_text
from stytch2workos.progress import Progress
from stytch2workos.transform.rbac import implicit_rules
from stytch2workos.transform.records import org_request
from stytch2workos.workspace import Workspace, problems
from stytch2workos.workspace.ledger import Ledger
from stytch2workos.workspace.snapshot import members_by_email

if TYPE_CHECKING:
    from stytch2workos.destination.client import WorkOSTarget


def make_plan(
    ws: Workspace, config: MigrationConfig, target: WorkOSTarget, orgs: list[str] | None, bar: Progress
) -> Plan:
    """The plan for ``orgs`` (None: every organization); also written to ``plan.json``."""
    from stytch2workos.destination.inventory import read_target
    from stytch2workos.destination.roles import desired_for

    snapshot = ws.require_snapshot()
    scope = frozenset(orgs) if orgs else None
    every_org = scoped_organizations(ws.organizations(snapshot), None)
    org_rows = [o for o in every_org if scope is None or o["organization_id"] in scope]
    if scope is not None:
        unknown = scope - {o["organization_id"] for o in org_rows}
        if unknown:
            raise ConfigError(f"--org: not in the snapshot: {', '.join(sorted(unknown))}")
    desired = desired_for(ws, snapshot, config, scope)
    with_roles = {r.organization_id for r in desired.org_roles}
    # Organizations already in WorkOS that get roles of their own: their roles are compared too.
    org_ids = {org_request(o, config).external_id for o in org_rows if o["organization_id"] in with_roles}
    state = read_target(target, bar, org_ids)
    people = iter_people(members_by_email(ws, snapshot), config, scope)
    invited_before = frozenset(Ledger(ws).done_ids("invitation"))
    issues = problems.tallies(ws, snapshot, scope)
    implicit = implicit_rules(ws.organizations(snapshot), ws.connections(snapshot), scope)
    sso = connection_plan(ws, snapshot, config, org_rows)
    plan = build_plan(
        org_rows,
        people,
        config,
        state,
        every_org,
        invited_before,
        record_issues=issues,
        rbac=desired,
        implicit=implicit,
        connections=sso,
    )
    with open_private_text(ws.path / "plan.json") as out:
        json.dump(plan.to_json(), out, indent=2, ensure_ascii=False)
    return plan


def connection_plan(
    ws: Workspace, snapshot: int, config: MigrationConfig, org_rows: list[dict[str, Any]]
) -> ConnectionPlan:
    """What import will do with each SSO connection and directory of ``org_rows``."""
    from stytch2workos.plan_connections import LedgerFact, plan_connections
    from stytch2workos.transform.connections import decide_all
    from stytch2workos.workspace.handoff import outcomes

    names = {str(o["organization_id"]): str(o.get("organization_name") or "") for o in org_rows}
    decisions = [
        d
        for d in decide_all(ws.connections(snapshot), config.connections)
        if d.facts.organization_id in names
    ]
    facts = {key: LedgerFact(o.status, o.code, o.updated_at) for key, o in outcomes(ws).items()}
    return plan_connections(decisions, names, facts)

"""``build_plan``: counts, reuse of what WorkOS already has, and every problem, table-driven."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stytch2workos.config import MigrationConfig
from stytch2workos.plan import Plan, Problem, TargetState, build_plan
from stytch2workos.transform.records import plan_person

ORG_A, ORG_B, ORG_C = "organization-test-a", "organization-test-b", "organization-test-c"
DIRECT = [{"type": "direct_assignment", "details": {}}]
ROLE_MAP = (("stytch_admin", "admin"), ("editor", "editor"), ("stytch_member", "member"))
ALL_ROLES = frozenset({"admin", "editor", "member"})


def org(org_id: str, name: str, domains: list[str] | None = None) -> dict[str, Any]:
    return {"organization_id": org_id, "organization_name": name, "email_allowed_domains": domains or []}


def member(n: int, email: str, org_id: str = ORG_A, status: str = "active", *extra: str) -> dict[str, Any]:
    return {
        "member_id": f"member-{n}",
        "organization_id": org_id,
        "email_address": email,
        "status": status,
        "created_at": f"2024-01-{n:02d}T00:00:00Z",
        "roles": [{"role_id": r, "sources": DIRECT} for r in ("stytch_member", *extra)],
    }


def target(
    roles: frozenset[str] = ALL_ROLES, orgs: dict[str, str] | None = None, users: dict[str, str] | None = None
) -> TargetState:
    return TargetState(roles, orgs or {}, users or {})


def make_plan(
    orgs: list[dict[str, Any]],
    members: list[dict[str, Any]],
    state: TargetState | None = None,
    **config: Any,
) -> Plan:
    cfg = MigrationConfig(**{"role_map": ROLE_MAP, **config})
    people: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        people.setdefault(m["email_address"].strip().lower(), []).append(m)
    return build_plan(orgs, [plan_person(g, cfg) for g in people.values()], cfg, state or target())


def problem(plan: Plan, code: str) -> Problem | None:
    return next((p for p in plan.problems if p.code == code), None)


TWO_ORGS = [org(ORG_A, "Acme"), org(ORG_B, "Beta")]


def test_counts_and_per_organization_rows() -> None:
    plan = make_plan(
        TWO_ORGS,
        [
            member(1, "ada@acme.example"),
            member(2, "Ada@Acme.example", ORG_B),
            member(3, "bob@acme.example", ORG_A, "invited"),
            member(4, "cy@acme.example", ORG_B, "pending"),
            member(5, "di@acme.example", ORG_B, "deleted"),
        ],
    )
    assert plan.organizations == {"create": 2}
    assert plan.users == {"create": 1}
    assert (plan.memberships, plan.invitations) == (2, 2)
    assert plan.skipped == {"deleted": 1}
    assert plan.per_organization[ORG_A] == {
        "organization_id": ORG_A,
        "name": "Acme",
        "action": "create",
        "memberships": 1,
        "invitations": 1,
        "skipped": 0,
    }
    assert plan.per_organization[ORG_B]["memberships"] == 1
    assert plan.per_organization[ORG_B]["invitations"] == 1
    assert plan.per_organization[ORG_B]["skipped"] == 1
    assert plan.blocking() == []
    doc = json.loads(json.dumps(plan.to_json()))
    assert doc["users"] == {"create": 1}
    assert [row["organization_id"] for row in doc["per_organization"]] == [ORG_A, ORG_B]


@pytest.mark.parametrize(
    ("invited", "pending", "memberships", "invitations", "skipped", "users"),
    [
        ("invite", "invite", 1, 2, {}, 1),
        ("import", "invite", 2, 1, {}, 2),
        ("import", "skip", 2, 0, {"pending_skipped": 1}, 2),
        ("skip", "skip", 1, 0, {"invited_skipped": 1, "pending_skipped": 1}, 1),
    ],
)
def test_status_policy_counts(
    invited: str, pending: str, memberships: int, invitations: int, skipped: dict[str, int], users: int
) -> None:
    plan = make_plan(
        TWO_ORGS,
        [
            member(1, "a@x.example"),
            member(2, "b@x.example", ORG_A, "invited"),
            member(3, "c@x.example", ORG_B, "pending"),
        ],
        invited=invited,
        pending=pending,
    )
    assert (plan.memberships, plan.invitations) == (memberships, invitations)
    assert plan.skipped == skipped
    assert plan.users == {"create": users}


def test_unmapped_role_blocks_until_accepted() -> None:
    plan = make_plan(
        TWO_ORGS,
        [
            member(1, "a@x.example", ORG_A, "active", "auditor"),
            member(2, "b@x.example", ORG_B, "invited", "auditor", "finance"),
        ],
    )
    found = problem(plan, "unmapped_role")
    assert found is not None and found.severity == "blocking"
    assert (found.count, found.examples) == (3, ["auditor", "finance"])
    assert [p.code for p in plan.blocking()] == ["unmapped_role"]
    assert plan.blocking(["unmapped_role"]) == []


def test_missing_role_blocks_with_the_slugs_workos_lacks() -> None:
    members = [
        member(1, "a@x.example", ORG_A, "active", "editor"),
        member(2, "b@x.example", ORG_B, "active", "editor", "stytch_admin"),
    ]
    plan = make_plan(TWO_ORGS, members, target(roles=frozenset({"member"})))
    found = problem(plan, "missing_role")
    assert found is not None and found.severity == "blocking"
    assert found.examples == ["admin", "editor"]
    assert found.count == 3  # uses: editor twice, admin once
    assert [p.code for p in plan.blocking(["unmapped_role"])] == ["missing_role"]
    assert plan.blocking(["missing_role"]) == []
    assert problem(make_plan(TWO_ORGS, members), "missing_role") is None


def test_missing_role_counts_only_the_role_an_invitation_sends() -> None:
    # An invitation carries one role (the highest); a missing lower one does not matter to it.
    plan = make_plan(
        TWO_ORGS,
        [member(1, "a@x.example", ORG_A, "invited", "stytch_admin")],
        target(roles=frozenset({"admin"})),
    )
    assert problem(plan, "missing_role") is None


@pytest.mark.parametrize(("state", "severity"), [("pending", "info"), ("verified", "warning")])
def test_shared_domain(state: str, severity: str) -> None:
    orgs = [
        org(ORG_A, "Acme", ["acme.example", "shared.example"]),
        org(ORG_B, "Beta", ["Shared.example"]),
        org(ORG_C, "Gamma", ["gamma.example", "GAMMA.example "]),
    ]
    plan = make_plan(orgs, [], domain_state=state)
    found = problem(plan, "shared_domain")
    assert found is not None and found.severity == severity
    # One organization spelling its own domain twice is not sharing it.
    assert (found.count, found.examples) == (1, ["shared.example (Acme, Beta)"])
    assert plan.blocking() == []


def test_email_case_variants() -> None:
    plan = make_plan(
        TWO_ORGS, [member(1, "Ada@X.example"), member(2, "ada@x.example", ORG_B), member(3, "b@x.example")]
    )
    found = problem(plan, "email_case_variants")
    assert found is not None and found.severity == "info"
    assert (found.count, found.examples) == (1, ["Ada@X.example / ada@x.example"])
    assert plan.users == {"create": 2}


def test_existing_users_and_organizations_are_reused() -> None:
    state = target(orgs={ORG_B: "org_01B", "someone-else": "org_01Z"}, users={"ada@x.example": "user_01A"})
    plan = make_plan(TWO_ORGS, [member(1, "ADA@x.example"), member(2, "b@x.example", ORG_B)], state)
    assert plan.organizations == {"create": 1, "reuse": 1}
    assert plan.per_organization[ORG_B]["action"] == "reuse"
    assert plan.per_organization[ORG_A]["action"] == "create"
    assert plan.users == {"create": 1, "reuse": 1}
    users = problem(plan, "existing_users")
    assert users is not None and users.severity == "info"
    assert (users.count, users.examples) == (1, ["ada@x.example"])
    orgs = problem(plan, "existing_organizations")
    assert orgs is not None and orgs.count == 1
    assert plan.blocking() == []


def test_existing_organizations_by_stytch_external_id() -> None:
    orgs = [{**org(ORG_A, "Acme"), "organization_external_id": "crm-1"}]
    by_crm = target(orgs={"crm-1": "org_01"})
    assert make_plan(orgs, [], by_crm).organizations == {"create": 1}
    assert make_plan(orgs, [], by_crm, org_external_id="organization_external_id").organizations == {
        "reuse": 1
    }


def test_invalid_email_is_a_warning_with_examples() -> None:
    plan = make_plan(TWO_ORGS, [member(1, "not-an-email"), member(2, "ok@x.example")])
    found = problem(plan, "invalid_email")
    assert found is not None and found.severity == "warning"
    assert (found.count, found.examples) == (1, ["not-an-email"])
    assert plan.skipped == {"invalid_email": 1}
    assert plan.per_organization[ORG_A]["skipped"] == 1
    assert plan.blocking() == []


def test_a_clean_plan_has_no_problems() -> None:
    plan = make_plan(
        TWO_ORGS, [member(1, "a@x.example"), member(2, "b@x.example", ORG_B, "active", "editor")]
    )
    assert plan.problems == []

"""The rollback planner (pure): which ledger rows are undone, in which order, what is kept."""

from __future__ import annotations

import pytest

from stytch2workos.plan_rollback import (
    KIND_ORDER,
    Activity,
    LedgerFact,
    Step,
    keep_reason,
    plan_rollback,
)


def fact(kind: str, source_id: str, status: str = "created", at: str = "2024-01-01T00:00:00Z") -> LedgerFact:
    return LedgerFact(kind, source_id, status, f"wid-{kind}-{source_id}", at)


def test_kinds_go_dependents_first_whatever_order_the_ledger_gives() -> None:
    rows = [fact(kind, "x") for kind in reversed(KIND_ORDER) if kind != "org_role"]
    rows += [fact("organization", "o"), fact("org_role", "o/support")]
    plan = plan_rollback(rows)
    kinds = [s.kind for s in plan.steps]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert kinds.index("membership") < kinds.index("user") < kinds.index("organization")
    assert kinds.index("org_role") < kinds.index("organization") < kinds.index("permission")
    assert kinds.index("invitation") < kinds.index("connection") < kinds.index("organization")


def test_newest_first_within_a_kind_ties_broken_by_id() -> None:
    rows = [
        fact("user", "a", at="2024-01-01T00:00:01Z"),
        fact("user", "c", at="2024-01-01T00:00:03Z"),
        fact("user", "b", at="2024-01-01T00:00:03Z"),
        fact("user", "d", at="2024-01-01T00:00:02Z"),
    ]
    assert [s.source_id for s in plan_rollback(rows).steps] == ["c", "b", "d", "a"]


@pytest.mark.parametrize(
    ("status", "undone"),
    [
        ("created", True),
        ("recovered", True),  # found after a lost answer: made by this migration
        ("reused", False),  # existed before: never touched
        ("failed", False),
        ("skipped", False),
        ("sending", False),  # unknown: reported, not guessed at
        ("rolled_back", False),
        ("deleted", False),  # sync already removed it
    ],
)
def test_only_what_this_migration_made_is_undone(status: str, undone: bool) -> None:
    plan = plan_rollback([fact("user", "a@example.com", status)])
    assert [s.target_id for s in plan.steps] == (["wid-user-a@example.com"] if undone else [])
    assert plan.untouched == ({"user": 1} if status == "reused" else {})
    assert [r.source_id for r in plan.in_flight] == (["a@example.com"] if status == "sending" else [])


def test_a_row_without_a_workos_id_is_not_a_step() -> None:
    assert plan_rollback([LedgerFact("user", "a", "created", None, "t")]).steps == ()


def test_an_organization_role_is_addressed_through_its_organization_even_a_reused_one() -> None:
    rows = [
        fact("organization", "o1", "reused"),
        fact("org_role", "o1/support"),
        fact("org_role", "o2/approver"),  # its organization has no WorkOS id in the ledger
    ]
    plan = plan_rollback(rows)
    assert plan.steps == (Step("org_role", "o1/support", "wid-org_role-o1/support", "wid-organization-o1"),)
    assert [r.source_id for r in plan.orphans] == ["o2/approver"]


def test_environment_roles_are_left_for_the_dashboard_and_other_kinds_ignored() -> None:
    plan = plan_rollback(
        [fact("role", "editor"), fact("password", "a@x"), fact("skip", "m"), fact("directory", "d")]
    )
    assert plan.steps == ()
    assert [(s.kind, s.source_id) for s in plan.manual] == [("role", "editor")]


def test_counts_and_examples_follow_the_plan() -> None:
    rows = [fact("membership", str(i), at=f"2024-01-01T00:00:{i:02d}Z") for i in range(8)] + [
        fact("user", "u")
    ]
    plan = plan_rollback(rows)
    assert plan.counts() == {"membership": 8, "user": 1}
    assert plan.examples(3) == {"membership": ["7", "6", "5"], "user": ["u"]}
    assert [s.action for s in plan_rollback([fact("invitation", "i"), fact("user", "u")]).steps] == [
        "revoke",
        "delete",
    ]


@pytest.mark.parametrize(
    ("kind", "activity", "force", "reason"),
    [
        ("user", Activity(), False, None),
        ("user", Activity(signed_in=True), False, "signed_in"),
        ("user", Activity(outside_memberships=2), False, "outside_memberships"),
        ("user", Activity(signed_in=True, outside_memberships=1), False, "signed_in"),
        ("user", Activity(signed_in=True, outside_memberships=1), True, None),
        ("organization", Activity(), False, None),
        ("organization", Activity(outside_memberships=1), False, "outside_members"),
        ("organization", Activity(outside_memberships=1), True, None),
    ],
)
def test_keep_reason(kind: str, activity: Activity, force: bool, reason: str | None) -> None:
    assert keep_reason(kind, activity, force) == reason

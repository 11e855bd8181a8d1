"""Verify after a rollback, pure: which check the ledgers call for, what must be gone, kept or
still there, which lists that takes, and the findings against a reading of WorkOS built by hand."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.destination.live import (
    LiveConnection,
    LiveInvitation,
    LiveMembership,
    LiveOrg,
    LiveRole,
    LiveState,
    LiveUser,
)
from stytch2workos.expected_rollback import (
    DASHBOARD,
    Entity,
    RollbackReads,
    RollbackState,
    UndoFact,
    decide_mode,
    expect_rollback,
    reads_for_rollback,
    unfinished_message,
)
from stytch2workos.plan_rollback import LedgerFact
from stytch2workos.verify import Report, summary
from stytch2workos.verify_rollback import compare_rollback

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"


def row(kind: str, source: str, status: str, target: str | None, at: str = T0) -> LedgerFact:
    return LedgerFact(kind, source, status, target, at)


def undo(
    kind: str, source: str, target: str, status: str = "deleted", at: str = T1, detail: str = ""
) -> UndoFact:
    return UndoFact(kind, source, target, status, None, detail or None, at)


# -- which check ------------------------------------------------------------------------------

ORG_UNDONE = row("organization", "o1", "rolled_back", "org_1", T1)
USER_UNDONE = row("user", "ada@x.example", "rolled_back", "user_1", T1)


@pytest.mark.parametrize(
    ("ledger", "undone", "mode", "outstanding"),
    [
        pytest.param(
            [row("user", "ada@x.example", "created", "user_1")], [], "migration", {}, id="never-rolled-back"
        ),
        pytest.param(
            [ORG_UNDONE, USER_UNDONE, row("user", "bob@x.example", "reused", "user_2")],
            [undo("organization", "o1", "org_1"), undo("user", "ada@x.example", "user_1", "gone")],
            "rollback",
            {},
            id="finished-reused-untouched",
        ),
        pytest.param(
            [ORG_UNDONE, row("user", "ada@x.example", "created", "user_1")],
            [undo("organization", "o1", "org_1"), undo("user", "ada@x.example", "user_1", "kept")],
            "rollback",
            {},
            id="kept-on-purpose-is-finished",
        ),
        pytest.param(
            [ORG_UNDONE, row("role", "admin", "created", "role_1")],
            [undo("organization", "o1", "org_1")],
            "rollback",
            {},
            id="environment-role-left-for-the-dashboard",
        ),
        pytest.param(
            [
                ORG_UNDONE,
                row("membership", "m1", "created", "om_1"),
                row("membership", "m2", "created", "om_2"),
            ],
            [undo("organization", "o1", "org_1")],
            "unfinished",
            {"membership": 2},
            id="stopped-before-some",
        ),
        pytest.param(
            [ORG_UNDONE, row("user", "ada@x.example", "created", "user_1")],
            [undo("organization", "o1", "org_1"), undo("user", "ada@x.example", "user_1", "failed")],
            "unfinished",
            {"user": 1},
            id="refused",
        ),
        pytest.param(
            [ORG_UNDONE, row("user", "ada@x.example", "created", "user_1")],
            [undo("organization", "o1", "org_1"), undo("user", "ada@x.example", "user_1", "sending")],
            "unfinished",
            {"user": 1},
            id="on-the-wire",
        ),
        pytest.param(
            [row("organization", "o1", "created", "org_9", T1), USER_UNDONE],
            [undo("organization", "o1", "org_1"), undo("user", "ada@x.example", "user_1")],
            "migration",
            {},
            id="re-imported-same-second",
        ),
        pytest.param(
            [ORG_UNDONE, row("organization", "o2", "created", "org_2", T2)],
            [undo("organization", "o1", "org_1")],
            "migration",
            {},
            id="new-record-after-the-rollback",
        ),
        pytest.param(
            [row("organization", "o1", "reused", "org_5", T2)],
            [undo("organization", "o1", "org_1")],
            "migration",
            {},
            id="reused-after-the-rollback",
        ),
    ],
)
def test_the_ledgers_decide_the_check(
    ledger: list[LedgerFact], undone: list[UndoFact], mode: str, outstanding: dict[str, int]
) -> None:
    decision = decide_mode(ledger, undone)
    assert decision.mode == mode
    assert dict(decision.outstanding) == outstanding


def test_the_unfinished_message_says_what_is_left_and_what_to_run() -> None:
    ledger = [row("user", f"u{i}@x.example", "created", f"user_{i}") for i in range(3)]
    ledger.append(row("organization", "o1", "created", "org_1"))
    undone = [undo("user", "u0@x.example", "user_0", "failed")]
    message = unfinished_message(decide_mode(ledger, undone))
    assert message == (
        "the last rollback did not finish (3 users, 1 organization still to undo, 1 of them refused "
        "by WorkOS last time); run `stytch2workos rollback --apply` again, then verify"
    )


# -- what must be gone, kept, still there -------------------------------------------------------


def test_expect_rollback_names_each_entity_with_its_organization_and_natural_key() -> None:
    ledger = [
        row("organization", "o1", "rolled_back", "org_1", T1),
        row("organization", "o2", "reused", "org_2"),
        row("user", "ada@x.example", "rolled_back", "user_1", T1),
        row("user", "bob@x.example", "created", "user_2"),
        row("membership", "m1", "rolled_back", "om_1", T1),
        row("membership", "m2", "rolled_back", "om_2", T1),
        row("org_role", "o2/approver", "rolled_back", "role_o2", T1),
        row("role", "auditor", "created", "role_env"),
        row("organization", "o3", "sending", None),
        row("password", "ada@x.example", "rolled_back", "user_1", T1),
    ]
    undone = [
        undo("organization", "o1", "org_1"),
        undo("user", "ada@x.example", "user_1"),
        undo("user", "bob@x.example", "user_2", "kept", detail="the user has signed in to WorkOS"),
        undo("membership", "m1", "om_1"),
        undo("membership", "m2", "om_2", "gone"),
        undo("org_role", "o2/approver", "role_o2"),
    ]
    state = expect_rollback(ledger, undone, {"o1": "ext-1", "o3": "ext-3"}, {"m1": "o1", "m2": "o2"})
    assert state.absent == (
        Entity("membership", "m1", "om_1", "org_1"),
        Entity("membership", "m2", "om_2", "org_2"),
        Entity("user", "ada@x.example", "user_1", natural="ada@x.example"),
        Entity("org_role", "o2/approver", "role_o2", "org_2"),
        Entity("organization", "o1", "org_1", natural="ext-1"),
        Entity(
            "organization",
            "o3",
            None,
            natural="ext-3",
            detail="its create was on the wire when import stopped",
        ),
        Entity("role", "auditor", "role_env", detail=DASHBOARD),
    )
    assert state.kept == (
        Entity(
            "user",
            "bob@x.example",
            "user_2",
            natural="bob@x.example",
            detail="the user has signed in to WorkOS",
        ),
    )
    assert state.present == (Entity("organization", "o2", "org_2"),)
    assert state.undone_orgs == frozenset({"org_1"})


def test_a_kept_row_the_import_ledger_no_longer_names_is_not_listed() -> None:
    # Kept by a rollback, then deleted by a forced one: the row is "deleted" now; kept again
    # under another id after a re-import is that id's row.
    ledger = [row("user", "ada@x.example", "created", "user_9")]
    state = expect_rollback(ledger, [undo("user", "ada@x.example", "user_1", "kept")], {}, {})
    assert state.kept == ()


@pytest.mark.parametrize(
    ("state", "reads"),
    [
        pytest.param(
            RollbackState(absent=(Entity("user", "ada@x.example", "user_1"),)),
            RollbackReads(False, True, False, (), (), False, False),
            id="users-only",
        ),
        pytest.param(
            RollbackState(
                absent=(
                    Entity("membership", "m1", "om_1", "org_1"),
                    Entity("membership", "m2", "om_2", "org_2"),
                    Entity("org_role", "o1/r", "role_1", "org_1"),
                ),
                undone_orgs=frozenset({"org_1"}),
            ),
            RollbackReads(True, False, False, ("org_2",), (), True, False),
            id="nothing-listed-inside-a-deleted-organization",
        ),
        pytest.param(
            RollbackState(
                absent=(Entity("invitation", "m3", "inv_1", "org_2"), Entity("connection", "c1", "conn_1")),
                present=(Entity("permission", "p1", "perm_1"),),
                kept=(Entity("organization", "o9", "org_9"),),
            ),
            RollbackReads(False, False, True, (), (), True, True),
            id="kept-ones-read-nothing",
        ),
    ],
)
def test_only_the_lists_the_checks_need_are_read(state: RollbackState, reads: RollbackReads) -> None:
    assert reads_for_rollback(state) == reads


# -- the findings ------------------------------------------------------------------------------


def live(**kw: Any) -> LiveState:
    state = LiveState(**kw)
    state.listed_orgs = frozenset(kw.get("listed_orgs", ()))
    return state


def org(oid: str, name: str = "Acme", external_id: str | None = None) -> LiveOrg:
    return LiveOrg(oid, name, external_id, (), ())


def user(uid: str, email: str) -> LiveUser:
    return LiveUser(uid, email, None, None, False, None, ())


ORG = Entity("organization", "o1", "org_1", natural="ext-1")
ADA = Entity("user", "ada@x.example", "user_1", natural="ada@x.example")
KEPT_ADA = Entity("user", "ada@x.example", "user_5", natural="ada@x.example", detail="signed in")
INVITE = Entity("invitation", "m3", "inv_1", "org_2")
CASCADED = Entity("membership", "m1", "om_1", "org_1")
MEMBERSHIP = Entity("membership", "m2", "om_2", "org_2")
PERMISSION = Entity("permission", "documents.read", "perm_1")
ENV_ROLE = Entity("role", "auditor", "role_env", detail=DASHBOARD)
ORG_ROLE = Entity("org_role", "o2/approver", "role_o2", "org_2")
CONNECTION = Entity("connection", "conn-stytch", "conn_1")


@pytest.mark.parametrize(
    ("state", "reading", "expected"),
    [
        pytest.param(RollbackState(absent=(ORG, ADA)), live(), [], id="clean"),
        pytest.param(
            RollbackState(absent=(ORG,)),
            live(organizations={"org_1": org("org_1")}),
            [("left", "organization", "o1", "org_1", "Acme")],
            id="delete-did-not-hold",
        ),
        pytest.param(
            RollbackState(absent=(ORG,)),
            live(organizations={"org_7": org("org_7", "Acme again", "ext-1")}),
            [("left", "organization", "o1", "org_7", "Acme again")],
            id="re-created-by-external-id",
        ),
        pytest.param(
            RollbackState(absent=(ADA,)),
            live(users={"user_7": user("user_7", "ADA@x.example")}),
            [("left", "user", "ada@x.example", "user_7", "ADA@x.example")],
            id="re-created-by-email",
        ),
        pytest.param(
            RollbackState(absent=(ADA,), kept=(KEPT_ADA,)),
            live(users={"user_5": user("user_5", "ada@x.example")}),
            [("kept", "user", "ada@x.example", "user_5", "")],
            id="the-kept-one-is-not-a-leftover",
        ),
        pytest.param(
            RollbackState(absent=(INVITE,)),
            live(invitations={"inv_1": LiveInvitation("inv_1", "c@x.example", "org_2", "revoked", None)}),
            [],
            id="revoked-invitation-is-gone",
        ),
        pytest.param(
            RollbackState(absent=(INVITE,)),
            live(invitations={"inv_1": LiveInvitation("inv_1", "c@x.example", "org_2", "pending", None)}),
            [("left", "invitation", "m3", "inv_1", "c@x.example")],
            id="pending-invitation-is-left",
        ),
        pytest.param(
            RollbackState(absent=(CASCADED, MEMBERSHIP), undone_orgs=frozenset({"org_1"})),
            live(
                memberships={
                    "om_1": LiveMembership("om_1", "user_1", "org_1", "active", ()),
                    "om_2": LiveMembership("om_2", "user_1", "org_2", "inactive", ()),
                },
                listed_orgs=("org_2",),
            ),
            [("left", "membership", "m2", "om_2", "inactive")],
            id="membership-in-a-kept-organization",
        ),
        pytest.param(
            RollbackState(absent=(PERMISSION, ENV_ROLE, ORG_ROLE, CONNECTION)),
            live(
                permissions={"documents.read": "perm_1"},
                roles={"auditor": LiveRole("role_env", "auditor", frozenset())},
                org_roles={"org_2": {"approver": LiveRole("role_o2", "approver", frozenset())}},
                connections={"conn_1": LiveConnection("conn_1", "org_2", "OIDC", "Entra", "active")},
            ),
            [
                ("left", "connection", "conn-stytch", "conn_1", "Entra"),
                ("left", "org_role", "o2/approver", "role_o2", "approver"),
                ("left", "permission", "documents.read", "perm_1", "documents.read"),
                ("left", "role", "auditor", "role_env", "auditor"),
            ],
            id="rbac-and-connections",
        ),
        pytest.param(
            RollbackState(
                present=(Entity("organization", "o2", "org_2"), Entity("user", "bob@x.example", "user_2"))
            ),
            live(users={"user_2": user("user_2", "bob@x.example")}),
            [("missing", "organization", "o2", "org_2", "(deleted)")],
            id="reused-organization-gone",
        ),
    ],
)
def test_findings_after_a_rollback(
    state: RollbackState, reading: LiveState, expected: list[tuple[str, str, str, str, str]]
) -> None:
    report = compare_rollback(state, reading)
    assert [(f.category, f.kind, f.key, f.workos_id, f.found) for f in report.findings] == expected
    assert report.exit_code == (1 if any(c in ("left", "missing") for c, *_ in expected) else 0)


def test_each_finding_says_why_and_what_to_do() -> None:
    state = RollbackState(absent=(ORG, ADA, ENV_ROLE), kept=(KEPT_ADA,))
    reading = live(
        organizations={"org_1": org("org_1")},
        users={"user_7": user("user_7", "ada@x.example")},
        roles={"auditor": LiveRole("role_env", "auditor", frozenset())},
    )
    details = {(f.kind, f.category): f.detail for f in compare_rollback(state, reading).findings}
    assert details == {
        (
            "organization",
            "left",
        ): "the rollback recorded it removed, yet WorkOS still has it: run rollback --apply again",
        ("user", "left"): "re-created since the rollback with the migration's email address",
        ("role", "left"): DASHBOARD,
        # Users were listed, and the kept one is not among them.
        ("user", "kept"): "kept by the rollback: signed in (no longer in WorkOS)",
    }


def test_the_summary_has_the_rollback_categories_and_kept_alone_passes() -> None:
    report = compare_rollback(RollbackState(kept=(KEPT_ADA,)), live())
    doc = summary(report)
    assert doc["ok"] is True and report.exit_code == 0
    assert doc["totals"] == {"left": 0, "missing": 0, "kept": 1}
    assert doc["by_kind"] == {"user": {"left": 0, "missing": 0, "kept": 1}}
    assert summary(Report())["totals"] == {"missing": 0, "different": 0, "unexpected": 0}

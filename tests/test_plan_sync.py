"""plan_sync: changes from baseline to desired, and conflicts given live values (pure, tables)."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import MigrationConfig
from stytch2workos.plan_sync import (
    ABSENT,
    Change,
    Desired,
    Values,
    desired_state,
    plan_changes,
    resolve,
)
from stytch2workos.transform.records import plan_person

CONFIG = MigrationConfig()


def user(
    email: str, first: str | None = "Ada", last: str | None = "Lovelace", verified: bool = True
) -> Values:
    return {"email": email, "first_name": first, "last_name": last, "email_verified": verified}


def membership(email: str, status: str = "active", roles: tuple[str, ...] = ("member",)) -> Values:
    return {"user": email, "organization": "o1", "status": status, "roles": list(roles)}


def desired(
    values: dict[tuple[str, str], Values], known: set[str], deleted: frozenset[str] = frozenset()
) -> Desired:
    return Desired(values, frozenset(known), frozenset(deleted))


A, B = "ada@x.example", "ada.new@x.example"

CASES: list[
    tuple[str, dict[tuple[str, str], Values], Desired, str, list[tuple[str, str, str, tuple[str, ...]]]]
] = [
    (
        "nothing changed",
        {("user", A): user(A), ("membership", "m1"): membership(A)},
        desired({("user", A): user(A), ("membership", "m1"): membership(A)}, {"m1"}),
        "deactivate",
        [],
    ),
    (
        "a name and a role",
        {("user", A): user(A), ("membership", "m1"): membership(A)},
        desired(
            {("user", A): user(A, "Augusta"), ("membership", "m1"): membership(A, roles=("admin", "member"))},
            {"m1"},
        ),
        "deactivate",
        [("membership", "m1", "update", ("roles",)), ("user", A, "update", ("first_name",))],
    ),
    (
        "a name WorkOS cannot clear is no change; role order is no change",
        {("user", A): user(A), ("membership", "m1"): membership(A, roles=("admin", "member"))},
        desired(
            {("user", A): user(A, None), ("membership", "m1"): membership(A, roles=("member", "admin"))},
            {"m1"},
        ),
        "deactivate",
        [],
    ),
    (
        "a deleted member is deactivated",
        {("membership", "m1"): membership(A)},
        desired({}, {"m1"}, frozenset({"m1"})),
        "deactivate",
        [("membership", "m1", "end", ("status",))],
    ),
    (
        "a member gone from Stytch is deleted by config",
        {("membership", "m1"): membership(A)},
        desired({}, set()),
        "delete",
        [("membership", "m1", "end", ("status",))],
    ),
    (
        "a member still there but skipped by config is left alone",
        {("membership", "m1"): membership(A)},
        desired({}, {"m1"}),
        "deactivate",
        [],
    ),
    (
        "already ended stays ended",
        {("membership", "m1"): membership(A, "inactive")},
        desired({}, set()),
        "deactivate",
        [],
    ),
    (
        "a member back in Stytch is reactivated",
        {("membership", "m1"): membership(A, "inactive")},
        desired({("membership", "m1"): membership(A)}, {"m1"}),
        "deactivate",
        [("membership", "m1", "update", ("status",))],
    ),
    (
        "the only member's new address renames the user",
        {("user", A): user(A), ("membership", "m1"): membership(A)},
        desired({("user", B): user(B, verified=False), ("membership", "m1"): membership(B)}, {"m1"}),
        "deactivate",
        [("user", A, "rename", ("email", "email_verified"))],
    ),
    (
        "a member leaving a person who keeps others moves",
        {("user", A): user(A), ("membership", "m1"): membership(A), ("membership", "m2"): membership(A)},
        desired(
            {
                ("user", A): user(A),
                ("user", B): user(B),
                ("membership", "m1"): membership(A),
                ("membership", "m2"): membership(B),
            },
            {"m1", "m2"},
        ),
        "deactivate",
        [("membership", "m2", "move", ("user",))],
    ),
    (
        "invited → active revokes the invitation; a pending one stays",
        {("invitation", "m1"): {"state": "pending"}, ("invitation", "m2"): {"state": "pending"}},
        desired(
            {("invitation", "m1"): {"state": "revoked"}, ("invitation", "m2"): {"state": "pending"}},
            {"m1", "m2"},
        ),
        "deactivate",
        [("invitation", "m1", "revoke", ("state",))],
    ),
    (
        "an invited member deleted in Stytch: the invitation is revoked",
        {("invitation", "m1"): {"state": "pending"}},
        desired({}, {"m1"}, frozenset({"m1"})),
        "deactivate",
        [("invitation", "m1", "revoke", ("state",))],
    ),
    (
        "an organization renamed with a new domain; entities without a baseline are not sync's",
        {("organization", "o1"): {"name": "Beta", "domains": [["b.example", "pending"]]}},
        desired(
            {
                ("organization", "o1"): {
                    "name": "Beta Corp",
                    "domains": [["b.example", "pending"], ["b.test", "pending"]],
                },
                ("organization", "o2"): {"name": "New", "domains": []},
            },
            set(),
        ),
        "deactivate",
        [("organization", "o1", "update", ("name", "domains"))],
    ),
]


@pytest.mark.parametrize(
    ("name", "baseline", "wanted", "deleted", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_plan_changes(
    name: str,
    baseline: dict[tuple[str, str], Values],
    wanted: Desired,
    deleted: str,
    expected: list[tuple[str, str, str, tuple[str, ...]]],
) -> None:
    got = [(c.kind, c.key, c.action, c.fields) for c in plan_changes(baseline, wanted, deleted)]
    assert got == expected


def test_an_ended_membership_gets_the_configured_status() -> None:
    for policy, status in (("deactivate", "inactive"), ("delete", "deleted")):
        (change,) = plan_changes({("membership", "m1"): membership(A)}, desired({}, set()), policy)
        assert change.after["status"] == status


ROLE_CHANGE = Change("membership", "m1", "update", ("roles",), membership(A), membership(A, roles=("admin",)))


@pytest.mark.parametrize(
    ("live", "policy", "send", "resolutions", "kept"),
    [
        ({"status": "active", "roles": ["member"]}, "report", {"roles": ["admin"]}, [], ["admin"]),
        ({"status": "active", "roles": ["admin"]}, "report", {}, [], ["admin"]),  # already there
        ({"status": "active", "roles": ["owner"]}, "report", {}, ["reported"], ["member"]),
        (
            {"status": "active", "roles": ["owner"]},
            "stytch",
            {"roles": ["admin"]},
            ["overwritten"],
            ["admin"],
        ),
        ({"status": "active", "roles": ["owner"]}, "workos", {}, ["accepted"], ["admin"]),
        ({"status": "active", "roles": ["owner"]}, "stop", {}, ["stopped"], ["admin"]),
        (None, "stytch", {}, ["reported"], ["member"]),  # gone from WorkOS: nothing to write to
    ],
)
def test_resolve_a_role_change(
    live: dict[str, Any] | None, policy: Any, send: dict[str, Any], resolutions: list[str], kept: list[str]
) -> None:
    result = resolve(ROLE_CHANGE, live, policy)
    assert result.send == send
    assert [c.resolution for c in result.conflicts] == resolutions
    assert result.baseline["roles"] == kept
    if live is None:
        assert result.conflicts[0].live == ABSENT


def test_ending_what_is_already_gone_is_done() -> None:
    end = Change("membership", "m1", "end", ("status",), membership(A), membership(A, "deleted"))
    assert resolve(end, None, "report").send == {}
    assert resolve(end, {"status": "active", "roles": ["member"]}, "report").send == {"status": "deleted"}


def _member(n: int, email: str, status: str = "active", **kw: Any) -> dict[str, Any]:
    return {
        "member_id": f"m{n}",
        "organization_id": "o1",
        "email_address": email,
        "status": status,
        "name": "Ada Lovelace",
        "roles": [],
        "email_address_verified": True,
        **kw,
    }


def test_desired_state_uses_imports_transforms() -> None:
    orgs = [{"organization_id": "o1", "organization_name": "Acme", "email_allowed_domains": ["Acme.example"]}]
    members = [_member(1, "Ada@x.example", is_admin=True), _member(2, "bo@x.example", "invited")]
    people = [plan_person([m], CONFIG) for m in members]
    got = desired_state(orgs, people, [("m1", "o1", "active"), ("m2", "o1", "invited")], CONFIG)
    assert got.get("organization", "o1") == {"name": "Acme", "domains": [["acme.example", "pending"]]}
    assert got.get("user", "ada@x.example") == user("ada@x.example")
    assert got.get("membership", "m1") == {
        "user": "ada@x.example",
        "organization": "o1",
        "status": "active",
        "roles": ["admin", "member"],
    }
    assert got.get("invitation", "m2") == {"state": "pending"}
    assert not got.gone("m1") and got.gone("m3")

"""The comparison behind `verify`, pure: expected values against a reading of WorkOS.

Expected states are built by :func:`build_expected` from Stytch-shaped records and ledger
rows (as the command builds them), live states by hand, as the list endpoints return them.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from stytch2workos.config import MigrationConfig, SyncConfig
from stytch2workos.destination.live import LiveInvitation, LiveMembership, LiveOrg, LiveState, LiveUser
from stytch2workos.expected import ExpectedState, Reads, build_expected, reads_for
from stytch2workos.plan import iter_people, scoped_organizations
from stytch2workos.transform.rbac import DesiredRbac
from stytch2workos.verify import Finding, compare, show
from stytch2workos.workspace.verify import LedgerRow

ORG = "organization-test-1"
ORG2 = "organization-test-2"


def org(org_id: str = ORG, **kw: Any) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "organization_name": f"Org {org_id[-1]}",
        "organization_slug": f"org-{org_id[-1]}",
        "created_at": f"2024-01-0{org_id[-1]}T00:00:00Z",
        "email_allowed_domains": ["acme.example"],
        **kw,
    }


def member(n: int, email: str, status: str = "active", org_id: str = ORG, **kw: Any) -> dict[str, Any]:
    return {
        "member_id": f"member-test-{n}",
        "organization_id": org_id,
        "email_address": email,
        "status": status,
        "name": f"Person {n}",
        "email_address_verified": status == "active",
        "created_at": f"2024-01-0{n}T00:00:00Z",
        "updated_at": f"2024-01-0{n}T00:00:00Z",
        "roles": [{"role_id": "stytch_member", "sources": [{"type": "direct_assignment"}]}],
        **kw,
    }


ADMIN = [
    {"role_id": "stytch_member", "sources": [{"type": "direct_assignment"}]},
    {"role_id": "stytch_admin", "sources": [{"type": "direct_assignment"}]},
]
MEMBERS = [
    member(1, "ada@acme.example", roles=ADMIN, external_id="ext-1"),
    member(2, "bob@acme.example"),
    member(3, "carol@acme.example", "invited"),
    member(4, "gone@acme.example", "deleted"),
]
LEDGER = {
    ("organization", ORG): LedgerRow("created", "org_1", None, None),
    ("user", "ada@acme.example"): LedgerRow("created", "user_1", None, None),
    ("user", "bob@acme.example"): LedgerRow("created", "user_2", None, None),
    ("membership", "member-test-1"): LedgerRow("created", "om_1", None, None),
    ("membership", "member-test-2"): LedgerRow("created", "om_2", None, None),
    ("invitation", "member-test-3"): LedgerRow("created", "inv_3", None, None),
}


def expected(
    members: list[dict[str, Any]] = MEMBERS,
    ledger: dict[tuple[str, str], LedgerRow] | None = None,
    config: MigrationConfig | None = None,
    scope: frozenset[str] | None = None,
    orgs: list[dict[str, Any]] | None = None,
) -> ExpectedState:
    config = config or MigrationConfig(domain_state="verified")
    rows = sorted(((m["email_address"].lower(), m) for m in members), key=lambda r: (r[0], r[1]["member_id"]))
    people = iter_people(((k, json.dumps(m)) for k, m in rows), config, None)
    statuses = [(m["member_id"], m["organization_id"], m["status"]) for m in members]
    return build_expected(
        scoped_organizations(orgs or [org()], None),
        people,
        statuses,
        config,
        LEDGER if ledger is None else ledger,
        DesiredRbac(),
        (),
        scope,
    )


# What import carries as metadata: the Stytch ids (transform/metadata.py).
ORG_META = (("stytch_organization_id", ORG), ("stytch_organization_slug", "org-1"))


def _meta(n: int) -> tuple[tuple[str, str], ...]:
    return (("stytch_member_id", f"member-test-{n}"),)


def live(**changes: Any) -> LiveState:
    """What WorkOS holds right after importing MEMBERS; ``changes`` replace whole maps."""
    state = LiveState(
        organizations={"org_1": LiveOrg("org_1", "Org 1", ORG, (("acme.example", "verified"),), ORG_META)},
        users={
            "user_1": LiveUser("user_1", "ada@acme.example", "Person", "1", True, "ext-1", _meta(1)),
            "user_2": LiveUser("user_2", "bob@acme.example", "Person", "2", True, None, _meta(2)),
        },
        memberships={
            "om_1": LiveMembership("om_1", "user_1", "org_1", "active", ("admin", "member")),
            "om_2": LiveMembership("om_2", "user_2", "org_1", "active", ("member",)),
        },
        invitations={"inv_3": LiveInvitation("inv_3", "carol@acme.example", "org_1", "pending", "member")},
        listed_orgs=frozenset({"org_1"}),
    )
    return dataclasses.replace(state, **changes)


def _user(user_id: str, **kw: Any) -> dict[str, LiveUser]:
    base = live().users
    return {**base, user_id: dataclasses.replace(base[user_id], **kw)}


def _om(om_id: str, **kw: Any) -> dict[str, LiveMembership]:
    base = live().memberships
    return {**base, om_id: dataclasses.replace(base[om_id], **kw)}


def test_what_import_wrote_has_no_findings() -> None:
    report = compare(expected(), live())
    assert report.findings == [] and report.exit_code == 0
    assert report.checked == {"organization": 1, "user": 2, "membership": 2, "invitation": 1}


def _org(**kw: Any) -> dict[str, LiveOrg]:
    return {"org_1": dataclasses.replace(live().organizations["org_1"], **kw)}


@pytest.mark.parametrize(
    ("changes", "finding"),
    [
        ({"organizations": _org(name="Renamed")}, ("different", "organization", "name", "Org 1", "Renamed")),
        (
            {"organizations": _org(domains=(("acme.example", "pending"),))},
            ("different", "organization", "domain acme.example", "verified", "pending"),
        ),
        (
            {"organizations": _org(domains=())},
            ("different", "organization", "domain acme.example", "verified", "(none)"),
        ),
        (
            {"users": _user("user_1", first_name="Augusta")},
            ("different", "user", "first_name", "Person", "Augusta"),
        ),
        (
            {"users": _user("user_1", email_verified=False)},
            ("different", "user", "email_verified", "true", "false"),
        ),
        (
            {"users": _user("user_2", external_id="x-9")},
            ("different", "user", "external_id", "(none)", "x-9"),
        ),
        (
            {"users": _user("user_2", metadata=())},
            ("different", "user", "metadata", '{"stytch_member_id": "member-test-2"}', "{}"),
        ),
        (
            {"memberships": _om("om_1", roles=("member",))},
            ("different", "membership", "roles", "admin, member", "member"),
        ),
        (
            {"memberships": _om("om_2", status="inactive")},
            ("different", "membership", "status", "active", "inactive"),
        ),
        (
            {"memberships": _om("om_2", user_id="user_1")},
            ("different", "membership", "user", "user_2", "user_1"),
        ),
        (
            {
                "invitations": {
                    "inv_3": LiveInvitation("inv_3", "carol@acme.example", "org_1", "expired", "member")
                }
            },
            ("different", "invitation", "state", "pending", "expired"),
        ),
        ({"users": {"user_2": live().users["user_2"]}}, ("missing", "user", "", "", "")),
        ({"invitations": {}}, ("missing", "invitation", "", "", "")),
    ],
    ids=[
        "org renamed",
        "domain unverified",
        "domain removed",
        "first name",
        "verification lost",
        "external id set",
        "metadata removed",
        "role removed",
        "membership deactivated",
        "membership moved",
        "invitation expired",
        "user deleted",
        "invitation gone",
    ],
)
def test_each_difference_is_one_finding(
    changes: dict[str, Any], finding: tuple[str, str, str, str, str]
) -> None:
    report = compare(expected(), live(**changes))
    (only,) = [f for f in report.findings if f.category != "unexpected"]
    assert (only.category, only.kind, only.field, only.expected, only.found) == finding
    assert report.exit_code == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"organizations": _org(domains=(("acme.example", "verified"),))},
        {"users": _user("user_2", email_verified=True)},
    ],
    ids=["pending domain verified since", "address verified since"],
)
def test_progress_in_workos_is_not_drift(changes: dict[str, Any]) -> None:
    # The migration left these pending / unverified; WorkOS moving them on is the intended next step.
    exp = expected(
        config=MigrationConfig(domain_state="pending"),
        members=[*MEMBERS[:1], member(2, "bob@acme.example", email_address_verified=False), *MEMBERS[2:]],
    )
    assert compare(exp, live(**changes)).findings == []


def test_an_external_id_another_user_holds_is_not_a_difference() -> None:
    # Import creates the user without it when WorkOS refuses it as already used.
    users = {
        **_user("user_1", external_id=None),
        "user_9": LiveUser("user_9", "x@y.example", None, None, True, "ext-1", ()),
    }
    report = compare(expected(), live(users=users))
    assert [(f.category, f.kind) for f in report.findings] == [("unexpected", "user")]
    assert report.exit_code == 0


def test_a_reused_user_and_organization_are_only_checked_for_presence() -> None:
    ledger = {**LEDGER, ("user", "ada@acme.example"): LedgerRow("reused", "user_1", None, None)}
    ledger[("organization", ORG)] = LedgerRow("reused", "org_1", None, None)
    changes = {
        "users": _user("user_1", first_name="Someone", metadata=(("a", "b"),)),
        "organizations": _org(name="Theirs"),
    }
    assert compare(expected(ledger=ledger), live(**changes)).findings == []


def test_a_narrowed_membership_expects_its_first_role() -> None:
    ledger = {
        **LEDGER,
        ("membership", "member-test-1"): LedgerRow("created", "om_1", "narrowed", "kept admin"),
    }
    assert compare(expected(ledger=ledger), live(memberships=_om("om_1", roles=("admin",)))).findings == []


@pytest.mark.parametrize(
    ("policy", "status", "finding"),
    [
        ("deactivate", "active", ("status", "inactive", "active")),
        ("deactivate", "inactive", None),
        ("deactivate", None, None),
        ("delete", "inactive", ("status", "(deleted)", "inactive")),
        ("delete", None, None),
    ],
)
def test_a_member_deleted_in_stytch(
    policy: str, status: str | None, finding: tuple[str, str, str] | None
) -> None:
    ledger = {**LEDGER, ("membership", "member-test-4"): LedgerRow("created", "om_4", None, None)}
    ledger[("user", "gone@acme.example")] = LedgerRow("created", "user_4", None, None)
    users = {
        **live().users,
        "user_4": LiveUser("user_4", "gone@acme.example", "Person", "4", True, None, _meta(4)),
    }
    memberships = dict(live().memberships)
    if status is not None:
        memberships["om_4"] = LiveMembership("om_4", "user_4", "org_1", status, ("member",))
    config = MigrationConfig(domain_state="verified", sync=SyncConfig(deleted_members=policy))  # type: ignore[arg-type]
    report = compare(expected(ledger=ledger, config=config), live(users=users, memberships=memberships))
    got = [(f.field, f.expected, f.found) for f in report.findings]
    # The person keeps their user (sync never deletes one): not unexpected, since the ledger made it.
    assert got == ([] if finding is None else [finding])


def test_an_invited_member_now_active_expects_the_invitation_revoked() -> None:
    members = [*MEMBERS[:2], member(3, "carol@acme.example"), MEMBERS[3]]
    ledger = {
        **LEDGER,
        ("user", "carol@acme.example"): LedgerRow("created", "user_3", None, None),
        ("membership", "member-test-3"): LedgerRow("created", "om_3", None, None),
    }
    users = {
        **live().users,
        "user_3": LiveUser("user_3", "carol@acme.example", "Person", "3", True, None, _meta(3)),
    }
    memberships = {
        **live().memberships,
        "om_3": LiveMembership("om_3", "user_3", "org_1", "active", ("member",)),
    }
    report = compare(expected(members, ledger), live(users=users, memberships=memberships))
    assert [(f.kind, f.field, f.expected, f.found) for f in report.findings] == [
        ("invitation", "state", "revoked", "pending")
    ]
    revoked = {"inv_3": dataclasses.replace(live().invitations["inv_3"], state="revoked")}
    assert (
        compare(
            expected(members, ledger), live(users=users, memberships=memberships, invitations=revoked)
        ).findings
        == []
    )


def test_not_imported_yet_is_missing_with_what_to_do() -> None:
    members = [*MEMBERS, member(5, "new@acme.example")]
    report = compare(expected(members), live())
    assert [(f.category, f.kind, f.key) for f in report.findings] == [
        ("missing", "membership", "member-test-5"),
        ("missing", "user", "new@acme.example"),
    ]
    assert all("not imported yet" in f.detail for f in report.findings)


def test_unexpected_records_are_reported_but_not_failures() -> None:
    stranger = LiveUser("user_x", "x@elsewhere.example", None, None, False, None, ())
    extra_om = LiveMembership("om_x", "user_x", "org_1", "active", ("member",))
    other_org = LiveOrg("org_x", "Other", None, (), ())
    pending = LiveInvitation("inv_x", "y@elsewhere.example", "org_1", "pending", None)
    state = live(
        users={**live().users, "user_x": stranger},
        memberships={**live().memberships, "om_x": extra_om},
        organizations={**live().organizations, "org_x": other_org},
        invitations={**live().invitations, "inv_x": pending},
    )
    report = compare(expected(), state)
    assert [(f.category, f.kind, f.key) for f in report.findings] == [
        ("unexpected", "invitation", "y@elsewhere.example"),
        ("unexpected", "membership", "x@elsewhere.example"),
        ("unexpected", "organization", "Other"),
        ("unexpected", "user", "x@elsewhere.example"),
    ]
    assert report.exit_code == 0
    # A pilot cannot attribute users and organizations outside it.
    scoped = compare(expected(scope=frozenset({ORG})), state)
    assert {f.kind for f in scoped.findings} == {"membership", "invitation"}


def test_a_pilot_judges_a_person_by_all_their_members() -> None:
    # Ada is also a member of a second organization, with a later name there: the user the full
    # import made carries that name, and a pilot of the first organization expects it too.
    members = [
        *MEMBERS,
        member(6, "ADA@acme.example", org_id=ORG2, name="Ada Lovelace", updated_at="2025-01-01T00:00:00Z"),
    ]
    exp = expected(members, scope=frozenset({ORG}), orgs=[org(), org(ORG2)])
    assert exp.users["ada@acme.example"].last_name == "Lovelace"
    assert set(exp.organizations) == {ORG} and "member-test-6" not in exp.memberships


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "(none)"),
        (True, "true"),
        (("b", "a"), "b, a"),
        (frozenset({"b", "a"}), "a, b"),
        ({"k": "v"}, '{"k": "v"}'),
        ((), "(none)"),
    ],
)
def test_values_are_shown_on_one_line(value: Any, text: str) -> None:
    assert show(value) == text


def test_a_finding_as_json() -> None:
    f = Finding("different", "user", "a@b.example", "user_1", "first_name", "A", "B")
    assert f.to_json()["field"] == "first_name" and set(f.to_json()) == {
        "category",
        "kind",
        "key",
        "workos_id",
        "field",
        "expected",
        "found",
        "detail",
    }


def test_what_to_list_is_known_from_the_ledger_alone() -> None:
    ledger = {
        **LEDGER,
        ("organization", ORG2): LedgerRow("created", "org_2", None, None),
        ("org_role", f"{ORG}/editor"): LedgerRow("created", "role_1", None, None),
        ("org_role", f"{ORG2}/viewer"): LedgerRow("reused", "role_0", "environment_role", None),
        ("connection", "saml-1"): LedgerRow("created", "conn_1", None, None),
    }
    assert reads_for(ledger) == Reads(("org_1", "org_2"), ("org_1",), True, True)
    assert reads_for(ledger, frozenset({ORG2})) == Reads(("org_2",), (), True, True)
    assert reads_for(LEDGER) == Reads(("org_1",), (), False, False)

"""Pure mapping of Stytch organizations and members onto WorkOS requests, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import MetadataConfig, MigrationConfig, StatusPolicy
from stytch2workos.transform.records import Access, Skip, map_roles, org_request, plan_person, slim_org

ORG_A = "organization-test-a"
ORG_B = "organization-test-b"
ORG_C = "organization-test-c"
DIRECT = {"type": "direct_assignment", "details": {}}
BY_EMAIL = {"type": "email_assignment", "details": {"email_domain": "acme.example"}}
BY_SSO_GROUP = {"type": "sso_connection_group", "details": {"connection_id": "c", "group": "g"}}
BY_SCIM_GROUP = {"type": "scim_connection_group", "details": {"connection_id": "c", "group_id": "g"}}
ROLE_MAP = (
    ("stytch_admin", "admin"),
    ("billing", "billing"),
    ("editor", "editor"),
    ("stytch_member", "member"),
)


def cfg(**kw: Any) -> MigrationConfig:
    return MigrationConfig(**{"role_map": ROLE_MAP, **kw})


def org(**kw: Any) -> dict[str, Any]:
    return {"organization_id": ORG_A, "organization_name": "Acme", "organization_slug": "acme", **kw}


def member(n: int, email: str = "ada@acme.example", **kw: Any) -> dict[str, Any]:
    data = {
        "member_id": f"member-test-{n}",
        "organization_id": ORG_A,
        "email_address": email,
        "status": "active",
        "name": "",
        "email_address_verified": False,
        "created_at": f"2024-01-{n:02d}T00:00:00Z",
        "updated_at": f"2024-01-{n:02d}T00:00:00Z",
        "roles": [{"role_id": "stytch_member", "sources": [DIRECT]}],
    }
    data.update(kw)
    return data


def roles(*pairs: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    held: dict[str, list[dict[str, Any]]] = {}
    for role_id, source in pairs:
        held.setdefault(role_id, []).append(source)
    return [{"role_id": r, "sources": s} for r, s in held.items()]


# -- organizations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "data", "external_id"),
    [
        ("organization_id", {"organization_external_id": "crm-1"}, ORG_A),
        ("organization_external_id", {"organization_external_id": "crm-1"}, "crm-1"),
        # Without one, the Stytch id: every created organization needs an external id.
        ("organization_external_id", {"organization_external_id": ""}, ORG_A),
        ("organization_external_id", {"organization_external_id": None}, ORG_A),
        ("organization_external_id", {}, ORG_A),
    ],
)
def test_org_external_id_choice(choice: Any, data: dict[str, Any], external_id: str) -> None:
    req = org_request(org(**data), cfg(org_external_id=choice))
    assert req.external_id == external_id
    assert req.source_id == ORG_A
    assert dict(req.metadata)["stytch_organization_id"] == ORG_A


@pytest.mark.parametrize(
    ("state", "domains", "expected"),
    [
        (
            "pending",
            ["Acme.example", " acme.example ", "", "ACME.io"],
            (("acme.example", "pending"), ("acme.io", "pending")),
        ),
        ("verified", ["acme.example"], (("acme.example", "verified"),)),
        ("verified", [], ()),
        ("pending", None, ()),
    ],
)
def test_org_domain_states(
    state: Any, domains: list[str] | None, expected: tuple[tuple[str, str], ...]
) -> None:
    assert org_request(org(email_allowed_domains=domains), cfg(domain_state=state)).domains == expected


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({}, "Acme"),
        ({"organization_name": ""}, "acme"),
        ({"organization_name": "", "organization_slug": ""}, ORG_A),
    ],
)
def test_org_name_fallback(data: dict[str, Any], name: str) -> None:
    assert org_request(org(**data), cfg()).name == name


# -- people ---------------------------------------------------------------------------


def test_one_user_per_email_case_insensitively() -> None:
    plan = plan_person(
        [
            member(2, " Ada@ACME.example", organization_id=ORG_B),
            member(1, "ada@acme.example"),
        ],
        cfg(),
    )
    assert plan.key == "ada@acme.example"
    assert plan.user is not None and plan.user.email == "ada@acme.example"
    assert [(a.member_id, a.organization_id, a.kind) for a in plan.access] == [
        ("member-test-1", ORG_A, "membership"),
        ("member-test-2", ORG_B, "membership"),
    ]
    assert plan.email_variants == ("Ada@ACME.example", "ada@acme.example")
    # The earliest member's record speaks for the person.
    assert dict(plan.user.metadata) == {"stytch_member_id": "member-test-1"}


@pytest.mark.parametrize(
    ("flags", "verified"),
    [
        ([("active", False), ("active", False)], False),
        ([("active", False), ("active", True)], True),
        ([("active", False), ("invited", True)], True),
        # A deleted member's verification says nothing about the person today.
        ([("active", False), ("deleted", True)], False),
    ],
)
def test_email_verified_if_any_member_verified(flags: list[tuple[str, bool]], verified: bool) -> None:
    members = [
        member(i + 1, organization_id=f"org-{i}", status=s, email_address_verified=v)
        for i, (s, v) in enumerate(flags)
    ]
    plan = plan_person(members, cfg())
    assert plan.user is not None and plan.user.email_verified is verified


@pytest.mark.parametrize(
    ("names", "first", "last"),
    [
        # (name, updated day): the most recently updated non-empty name wins.
        ([("Ada Lovelace", 1), ("Ada King", 3), ("", 9)], "Ada", "King"),
        ([("Ada Lovelace", 5), ("Ada King", 3)], "Ada", "Lovelace"),
        ([("", 1), ("   ", 2)], None, None),
        ([("Cher", 1)], "Cher", None),
        ([("José María de la Cruz", 1)], "José María", "de la Cruz"),
    ],
)
def test_name_choice(names: list[tuple[str, int]], first: str | None, last: str | None) -> None:
    members = [
        member(i + 1, organization_id=f"org-{i}", name=n, updated_at=f"2024-03-{d:02d}T00:00:00Z")
        for i, (n, d) in enumerate(names)
    ]
    plan = plan_person(members, cfg())
    assert plan.user is not None
    assert (plan.user.first_name, plan.user.last_name) == (first, last)


@pytest.mark.parametrize(
    ("external_ids", "expected"),
    [
        ([None, None], None),
        ([None, "hr-2"], "hr-2"),
        (["hr-1", "hr-2"], "hr-1"),  # the earliest member's
        (["", "hr-2"], "hr-2"),
    ],
)
def test_external_id_carry_over(external_ids: list[str | None], expected: str | None) -> None:
    members = [member(i + 1, organization_id=f"org-{i}", external_id=e) for i, e in enumerate(external_ids)]
    plan = plan_person(members, cfg())
    assert plan.user is not None and plan.user.external_id == expected


def test_a_deleted_members_external_id_is_not_carried() -> None:
    members = [member(1, status="deleted", external_id="hr-1"), member(2, organization_id=ORG_B)]
    plan = plan_person(members, cfg())
    assert plan.user is not None and plan.user.external_id is None


POLICIES: tuple[StatusPolicy, ...] = ("invite", "import", "skip")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("status", ["active", "invited", "pending", "deleted", "locked?"])
def test_every_status_under_every_policy(status: str, policy: StatusPolicy) -> None:
    # The policy under test applies to one status; the other status keeps its default.
    config = cfg(invited=policy) if status == "invited" else cfg(pending=policy)
    plan = plan_person([member(1, status=status)], config)
    effective = {"active": "import", "invited": policy, "pending": policy}.get(status)
    if status == "deleted":
        assert plan.skips == (Skip("member-test-1", ORG_A, "deleted", "member is deleted in Stytch"),)
        assert plan.access == () and plan.user is None
    elif status == "locked?":
        assert [s.reason for s in plan.skips] == ["unknown_status"]
        assert plan.access == () and plan.user is None
    elif effective == "skip":
        assert [s.reason for s in plan.skips] == [f"{status}_skipped"]
        assert plan.access == () and plan.user is None
    else:
        kind = "membership" if effective == "import" else "invitation"
        assert plan.access == (Access("member-test-1", ORG_A, kind, ("member",)),)
        assert plan.skips == ()
        # A user is only needed for a membership; an invitation makes its own on acceptance.
        assert (plan.user is not None) is (kind == "membership")


def test_pending_policy_does_not_touch_invited_members() -> None:
    members = [member(1, status="invited"), member(2, organization_id=ORG_B, status="pending")]
    plan = plan_person(members, cfg(invited="import", pending="skip"))
    assert [(a.member_id, a.kind) for a in plan.access] == [("member-test-1", "membership")]
    assert [(s.member_id, s.reason) for s in plan.skips] == [("member-test-2", "pending_skipped")]


def test_a_person_mixing_statuses() -> None:
    members = [
        member(1, status="active"),
        member(2, organization_id=ORG_B, status="invited"),
        member(3, organization_id=ORG_C, status="deleted"),
    ]
    plan = plan_person(members, cfg())
    assert [(a.organization_id, a.kind) for a in plan.access] == [
        (ORG_A, "membership"),
        (ORG_B, "invitation"),
    ]
    assert [(s.organization_id, s.reason) for s in plan.skips] == [(ORG_C, "deleted")]
    assert plan.user is not None


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@acme.example", "ada@acme", "a b@acme.example"])
def test_invalid_email_skips_every_member_with_a_reason(email: str) -> None:
    plan = plan_person([member(1, email), member(2, email, organization_id=ORG_B, status="invited")], cfg())
    assert plan.user is None and plan.access == ()
    assert [s.reason for s in plan.skips] == ["invalid_email", "invalid_email"]
    assert all(email.strip().lower() in s.detail for s in plan.skips)


@pytest.mark.parametrize(
    ("held", "explicit_only", "multiple", "slugs"),
    [
        ([("stytch_member", DIRECT)], False, True, ("member",)),
        # Map order is priority order, whatever order Stytch lists the roles in.
        (
            [("editor", DIRECT), ("stytch_member", DIRECT), ("stytch_admin", DIRECT)],
            False,
            True,
            ("admin", "editor", "member"),
        ),
        ([("editor", DIRECT), ("stytch_member", DIRECT), ("stytch_admin", DIRECT)], False, False, ("admin",)),
        ([("editor", BY_EMAIL), ("billing", DIRECT)], False, True, ("billing", "editor", "member")),
        ([("editor", BY_EMAIL), ("billing", DIRECT)], True, True, ("billing", "member")),
        ([("editor", BY_EMAIL), ("billing", DIRECT)], True, False, ("billing",)),
        ([("editor", BY_SSO_GROUP), ("editor", DIRECT)], True, True, ("editor", "member")),
        ([("editor", BY_SCIM_GROUP)], True, True, ("member",)),
        # stytch_member is everyone's, however (or whether) Stytch records it.
        ([], False, True, ("member",)),
        ([("stytch_member", BY_EMAIL)], True, True, ("member",)),
        # An admin grant from an SSO group is implicit: explicit_only leaves it out.
        ([("stytch_admin", BY_SSO_GROUP)], False, True, ("admin", "member")),
        ([("stytch_admin", BY_SSO_GROUP)], True, True, ("member",)),
    ],
)
def test_role_mapping(
    held: list[tuple[str, dict[str, Any]]], explicit_only: bool, multiple: bool, slugs: tuple[str, ...]
) -> None:
    config = cfg(explicit_roles_only=explicit_only, multiple_roles=multiple)
    m = member(1, roles=roles(*held), is_admin=any(r == "stytch_admin" for r, _ in held))
    assert map_roles(m, config) == (slugs, ())
    assert plan_person([m], config).access[0].role_slugs == slugs


def test_is_admin_stands_in_for_a_missing_roles_list() -> None:
    assert map_roles(member(1, roles=None, is_admin=True), cfg()) == (("admin", "member"), ())
    assert map_roles(member(1, roles=None, is_admin=False), cfg()) == (("member",), ())


def test_unmapped_roles_are_reported_and_dropped() -> None:
    m = member(1, roles=roles(("editor", DIRECT), ("auditor", DIRECT), ("ghost", BY_EMAIL)))
    slugs, unmapped = map_roles(m, cfg())
    assert slugs == ("editor", "member")
    assert unmapped == ("auditor", "ghost")
    # explicit_only: an implicit role nobody mapped is not lost, so not reported.
    assert map_roles(m, cfg(explicit_roles_only=True)) == (("editor", "member"), ("auditor",))
    plan = plan_person([m, member(2, organization_id=ORG_B, roles=roles(("zeta", DIRECT)))], cfg())
    assert plan.unmapped_roles == ("auditor", "ghost", "zeta")


def test_a_map_without_stytch_member_reports_it() -> None:
    config = cfg(role_map=(("editor", "editor"),))
    assert map_roles(member(1), config) == ((), ("stytch_member",))


def test_an_invitation_carries_the_highest_role_only() -> None:
    m = member(
        1, status="invited", roles=roles(("stytch_member", DIRECT), ("editor", DIRECT), ("billing", DIRECT))
    )
    assert plan_person([m], cfg()).access[0].role_slugs == ("billing",)


def test_scope_keeps_only_the_pilot_organizations() -> None:
    members = [member(1), member(2, organization_id=ORG_B, name="Ada B", external_id="hr-2")]
    plan = plan_person(members, cfg(), in_scope={ORG_B})
    assert [a.organization_id for a in plan.access] == [ORG_B]
    assert plan.user is not None and plan.user.external_id == "hr-2"
    assert plan.user.first_name == "Ada"
    empty = plan_person(members, cfg(), in_scope={ORG_C})
    assert empty.access == () and empty.skips == () and empty.user is None


# -- metadata and special members ---------------------------------------------------------------


def test_an_organizations_trusted_metadata_is_carried_and_what_does_not_fit_said() -> None:
    data = org(trusted_metadata={"tier": "gold", "seats": 12, "notes": "n" * 601})
    req = org_request(slim_org(data), cfg())  # plan and import hold organizations slimmed
    assert dict(req.metadata) == {
        "stytch_organization_id": ORG_A,
        "stytch_organization_slug": "acme",
        "tier": "gold",
        "seats": "12",
    }
    assert [(x.record_id, x.key, x.reason) for x in req.metadata_left_out] == [
        (ORG_A, "notes", "value_too_long")
    ]
    chosen = org_request(data, cfg(metadata=MetadataConfig(organization_keys=frozenset({"tier"}))))
    assert dict(chosen.metadata)["tier"] == "gold" and "seats" not in dict(chosen.metadata)


@pytest.mark.parametrize(
    ("statuses", "speaker"),
    [
        (["active", "active"], "member-test-1"),  # the earliest active member
        (["invited", "active"], "member-test-2"),  # an active one before an older invitation
    ],
)
def test_the_member_that_speaks_for_the_person_gives_the_metadata(statuses: list[str], speaker: str) -> None:
    members = [
        member(n, status=s, trusted_metadata={"site": f"site-{n}"}, untrusted_metadata={"theme": "dark"})
        for n, s in enumerate(statuses, start=1)
    ]
    plan = plan_person(members, cfg(invited="import"))
    assert plan.user is not None
    assert dict(plan.user.metadata) == {
        "stytch_member_id": speaker,
        "site": f"site-{speaker[-1]}",
        "untrusted_theme": "dark",
    }
    other = "member-test-1" if speaker.endswith("2") else "member-test-2"
    assert [(x.record_id, x.key, x.reason) for x in plan.user.metadata_left_out] == [
        (other, "site", "member_conflict")
    ]


def test_a_deleted_members_metadata_is_not_carried() -> None:
    members = [
        member(1, trusted_metadata={"a": "1"}),
        member(2, status="deleted", trusted_metadata={"b": "2"}),
    ]
    plan = plan_person(members, cfg())
    assert plan.user is not None and dict(plan.user.metadata) == {
        "stytch_member_id": "member-test-1",
        "a": "1",
    }


@pytest.mark.parametrize(
    ("extra", "status", "special"),
    [
        ({}, "active", []),
        ({"is_locked": True}, "active", [("locked", 1)]),
        ({"is_breakglass": True}, "active", [("breakglass", 1)]),
        ({"is_locked": "true", "is_breakglass": 1}, "active", []),  # only JSON true counts
        (
            {"retired_email_addresses": [{"email_address": "a@x"}, {"email_address": "b@x"}]},
            "active",
            [("retired_emails", 2)],
        ),
        ({"retired_email_addresses": []}, "active", []),
        ({"is_locked": True, "is_breakglass": True}, "invited", [("locked", 1), ("breakglass", 1)]),
        # Members that are not migrated are not listed.
        ({"is_locked": True, "is_breakglass": True}, "deleted", []),
    ],
)
def test_special_members(extra: dict[str, Any], status: str, special: list[tuple[str, int]]) -> None:
    plan = plan_person([member(1, status=status, **extra)], cfg())
    assert [(s.kind, s.count) for s in plan.special] == special
    assert all((s.member_id, s.organization_id) == ("member-test-1", ORG_A) for s in plan.special)


def test_special_members_skipped_by_config_are_not_listed() -> None:
    plan = plan_person([member(1, status="invited", is_locked=True)], cfg(invited="skip"))
    assert plan.special == ()

"""``build_plan``: counts, reuse of what WorkOS already has, and every problem, table-driven."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from stytch2workos.config import MetadataConfig, MigrationConfig
from stytch2workos.plan import Plan, Problem, TargetState, build_plan
from stytch2workos.transform.rbac import ImplicitRule, desired_rbac
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


@pytest.mark.parametrize(
    ("invited", "invited_before", "emails"),
    [
        ("invite", frozenset(), 2),
        ("invite", frozenset({"member-3"}), 1),  # sent by an earlier import: not sent again
        ("import", frozenset(), 1),  # invited members become memberships; pending still invited
    ],
)
def test_the_plan_counts_the_invitation_emails_workos_will_send(
    invited: str, invited_before: frozenset[str], emails: int
) -> None:
    members = [
        member(1, "ada@acme.example"),
        member(3, "bob@acme.example", ORG_A, "invited"),
        member(4, "cy@acme.example", ORG_B, "pending"),
    ]
    cfg = MigrationConfig(role_map=ROLE_MAP, invited=invited)
    people = [plan_person([m], cfg) for m in members]
    plan = build_plan(TWO_ORGS, people, cfg, target(), invited_before=invited_before)
    assert plan.invitation_emails == emails
    assert plan.to_json()["invitation_emails"] == emails
    found = problem(plan, "invitation_emails")
    assert found is not None and found.count == emails and "[statuses]" in found.message


# -- metadata that does not fit, and special members ---------------------------------------------


def test_metadata_over_the_limits_is_a_warning_with_counts_and_examples() -> None:
    orgs = [
        {**org(ORG_A, "Acme"), "trusted_metadata": {"notes": "n" * 601, "tier": "gold"}},
        {**org(ORG_B, "Beta"), "trusted_metadata": {"tier": "gold"}},
    ]
    members = [
        {**member(1, "ada@x.example"), "trusted_metadata": {"bio": "b" * 700, "k" * 41: "v"}},
        {**member(2, "bob@x.example", ORG_B), "untrusted_metadata": {"theme": "dark"}},
        # Only invited: no WorkOS user is created, so there is no metadata to send.
        {**member(3, "cy@x.example", ORG_B, "invited"), "trusted_metadata": {"bio": "c" * 700}},
    ]
    plan = make_plan(orgs, members)
    found = problem(plan, "metadata_not_carried")
    assert found is not None and found.severity == "warning"
    assert found.count == 2  # one organization, one user
    assert "key_too_long 1, value_too_long 2" in found.message
    assert "metadata-not-carried.csv" in found.message
    assert found.examples == [
        "Acme: notes (value_too_long)",
        "ada@x.example: bio (value_too_long)",
        "ada@x.example: " + "k" * 41 + " (key_too_long)",
    ]
    assert plan.blocking() == []
    assert problem(make_plan(TWO_ORGS, [members[1]]), "metadata_not_carried") is None


def test_a_key_of_any_length_is_clipped_in_the_examples() -> None:
    plan = make_plan(TWO_ORGS, [{**member(1, "a@x.example"), "trusted_metadata": {"k" * 5000: "v"}}])
    found = problem(plan, "metadata_not_carried")
    assert found is not None and found.examples == ["a@x.example: " + "k" * 60 + " (key_too_long)"]


@pytest.mark.parametrize(
    ("field", "value", "code", "severity", "words"),
    [
        ("is_locked", True, "locked_members", "info", "WorkOS has no per-user lock"),
        ("is_breakglass", True, "breakglass_members", "warning", "WorkOS has no such flag"),
        (
            "retired_email_addresses",
            [
                {"email_id": "e1", "email_address": "old@x.example"},
                {"email_id": "e2", "email_address": "o@x"},
            ],
            "retired_email_addresses",
            "info",
            "(4 addresses)",  # two members, two each
        ),
    ],
)
def test_special_members_are_listed_with_what_happens_to_them(
    field: str, value: Any, code: str, severity: str, words: str
) -> None:
    members = [
        {**member(1, "ada@x.example"), field: value},
        {**member(2, "bob@x.example", ORG_B, "invited"), field: value},
        {**member(3, "cy@x.example", ORG_B, "deleted"), field: value},  # not migrated: not listed
        member(4, "di@x.example"),
    ]
    plan = make_plan(TWO_ORGS, members)
    found = problem(plan, code)
    assert found is not None and found.severity == severity
    assert (found.count, found.examples) == (2, ["ada@x.example", "bob@x.example"])
    assert words in found.message
    assert plan.blocking() == []


@pytest.mark.parametrize(
    ("retired_emails", "words"),
    [(False, "left behind unless [metadata] retired_emails = true"), (True, "they are carried")],
)
def test_the_retired_addresses_problem_follows_the_config(retired_emails: bool, words: str) -> None:
    retired = [{"email_id": "e1", "email_address": "old@x.example"}]
    cfg = MigrationConfig(role_map=ROLE_MAP, metadata=MetadataConfig(retired_emails=retired_emails))
    person = plan_person([{**member(1, "ada@x.example"), "retired_email_addresses": retired}], cfg)
    plan = build_plan(TWO_ORGS, [person], cfg, target())
    found = problem(plan, "retired_email_addresses")
    assert found is not None and words in found.message
    assert person.user is not None
    assert ("stytch_retired_emails" in dict(person.user.metadata)) is retired_emails


# -- roles and permissions ------------------------------------------------------------------------

ORG_ROLE_MAP = (*ROLE_MAP[:2], ("support", "org-support"), ROLE_MAP[2])
POLICY: dict[str, Any] = {
    "roles": [
        {"role_id": "stytch_admin", "permissions": [{"resource_id": "stytch.member", "actions": ["*"]}]},
        {"role_id": "editor", "permissions": [{"resource_id": "documents", "actions": ["read", "write"]}]},
        {"role_id": "stytch_member", "permissions": [{"resource_id": "documents", "actions": ["read"]}]},
    ],
    "resources": [{"resource_id": "documents", "actions": ["read", "write"]}],
}
SUPPORT = {"role_id": "support", "permissions": [{"resource_id": "documents", "actions": ["read"]}]}


def role_plan(
    members: list[dict[str, Any]],
    state: TargetState,
    *,
    orgs: list[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    implicit: tuple[ImplicitRule, ...] = (),
    **config: Any,
) -> Plan:
    """A plan with the roles this migration creates: ``support`` is Acme's own role."""
    cfg = MigrationConfig(**{"role_map": ORG_ROLE_MAP, **config})
    full = orgs if orgs is not None else [{**TWO_ORGS[0], "custom_roles": [SUPPORT]}, TWO_ORGS[1]]
    wanted = desired_rbac(POLICY if policy is None else policy, full, cfg.role_map, cfg.permissions)
    people = [plan_person([m], cfg) for m in members]
    return build_plan(full, people, cfg, state, rbac=wanted, implicit=implicit)


FRESH = TargetState(frozenset({"admin", "member"}), {}, {})  # a new environment


def test_roles_this_migration_creates_are_not_missing() -> None:
    members = [
        member(1, "a@x.example", ORG_A, "active", "editor", "support"),
        member(2, "b@x.example", ORG_A, "invited", "support"),
    ]
    plan = role_plan(members, FRESH)
    assert problem(plan, "missing_role") is None
    assert plan.roles.permissions == {"create": 2}
    # admin and member hold no permissions in a new environment: they are given Stytch's.
    assert plan.roles.roles == {"reuse": 1, "create": 1, "update": 1}
    assert plan.roles.org_roles == {"create": 1}
    doc = plan.to_json()["roles"]
    assert doc["organization_roles"] == {"create": 1}
    assert doc["changes"] == [
        {
            "slug": "member",
            "organization_id": None,
            "action": "update",
            "adds": ["documents:read"],
            "removes": [],
        }
    ]
    assert [p.code for p in plan.blocking()] == []
    assert problem(plan, "stytch_permissions") is not None


@pytest.mark.parametrize(
    ("members", "missing"),
    [
        # Beta does not define Acme's own role: nobody creates it there.
        ([member(1, "a@x.example", ORG_B, "active", "support")], ["org-support"]),
        # A Stytch role the policy does not define: no permissions to create it from.
        ([member(1, "a@x.example", ORG_A, "active", "ghost")], ["ghost"]),
    ],
)
def test_a_slug_neither_in_workos_nor_created_is_missing(
    members: list[dict[str, Any]], missing: list[str]
) -> None:
    plan = role_plan(members, FRESH, role_map=(*ORG_ROLE_MAP, ("ghost", "ghost")))
    found = problem(plan, "missing_role")
    assert found is not None and found.severity == "blocking"
    assert (found.count, found.examples) == (1, missing)


def test_an_organization_already_in_workos_keeps_its_own_role() -> None:
    state = TargetState(
        frozenset({"admin", "member"}),
        {ORG_B: "org_01B"},
        {},
        org_roles={"org_01B": {"org-legacy": frozenset()}},
    )
    members = [member(1, "a@x.example", ORG_B, "active", "legacy")]
    plan = role_plan(members, state, role_map=(*ORG_ROLE_MAP, ("legacy", "org-legacy")))
    assert problem(plan, "missing_role") is None


@pytest.mark.parametrize(
    ("existing", "held", "action", "code", "severity"),
    [
        ("stop", frozenset({"billing:read"}), "stop", "role_permissions_differ", "blocking"),
        ("keep", frozenset({"billing:read"}), "keep", "roles_kept", "warning"),
        ("update", frozenset({"billing:read"}), "update", "roles_updated", "info"),
        ("stop", frozenset(), "update", "roles_updated", "info"),  # nothing to lose
        ("keep", frozenset(), "keep", "roles_kept", "warning"),
        ("stop", frozenset({"documents:read", "documents:write"}), "reuse", None, None),
    ],
)
def test_a_role_workos_holds_with_other_permissions(
    existing: str, held: frozenset[str], action: str, code: str | None, severity: str | None
) -> None:
    state = TargetState(
        frozenset({"admin", "member", "editor"}),
        {},
        {},
        frozenset({"documents:read"}),
        {"member": frozenset({"documents:read"}), "editor": held},
    )
    plan = role_plan([member(1, "a@x.example", ORG_A, "active", "editor")], state, existing_roles=existing)
    assert plan.roles.permissions == {"reuse": 1, "create": 1}
    assert plan.roles.roles == Counter({"reuse": 2}) + Counter({action: 1})  # admin, member: as they are
    changes = {c.slug: c for c in plan.roles.changes}
    if code is None:
        assert "editor" not in changes and plan.blocking() == []
        return
    found = problem(plan, code)
    assert found is not None and found.severity == severity
    assert changes["editor"].adds == tuple(p for p in ("documents:read", "documents:write") if p not in held)
    assert changes["editor"].removes == tuple(sorted(held))
    assert found.examples == [changes["editor"].describe()]
    if severity == "blocking":
        assert "[roles] existing" in found.message
        assert plan.blocking(["role_permissions_differ"]) == []


@pytest.mark.parametrize(
    ("role_map", "policy", "code", "example"),
    [
        (
            (("stytch_member", "member"), ("Editor", "editor"), ("editor", "editor")),
            {"roles": [{"role_id": "Editor"}, {"role_id": "editor"}]},
            "slug_collision",
            "editor ← Editor, editor",
        ),
        (
            (("stytch_member", "member"), ("editor", "org-editor")),
            {"roles": [{"role_id": "editor"}]},
            "invalid_slug",
            "org-editor (editor: 'org-' starts organization role slugs only)",
        ),
    ],
)
def test_slug_problems_block_before_any_write(
    role_map: tuple[tuple[str, str], ...], policy: dict[str, Any], code: str, example: str
) -> None:
    plan = role_plan([member(1, "a@x.example")], FRESH, policy=policy, orgs=TWO_ORGS, role_map=role_map)
    found = problem(plan, code)
    assert found is not None and found.severity == "blocking"
    assert found.examples == [example]


def test_an_environment_role_holding_an_organization_roles_slug_stands_in_for_it() -> None:
    state = TargetState(frozenset({"admin", "member", "org-support"}), {}, {})
    members = [member(1, "a@x.example", ORG_A, "active", "support")]
    plan = role_plan(members, state)
    found = problem(plan, "org_role_shadowed")
    assert found is not None and found.severity == "warning"
    assert found.examples == [f"org-support in {ORG_A}"]
    assert plan.roles.org_roles == {"shadowed": 1}
    assert problem(plan, "missing_role") is None and plan.blocking() == []


def test_implicit_role_rules_are_listed_as_information() -> None:
    rules = (
        ImplicitRule(ORG_A, "email_domain", "x.example", "editor"),
        ImplicitRule(ORG_A, "saml_group", "Finance", "editor"),
        ImplicitRule(ORG_B, "scim_group", "Engineering", "editor"),
    )
    plan = role_plan([member(1, "a@x.example")], FRESH, implicit=rules)
    found = problem(plan, "implicit_roles")
    assert found is not None and found.severity == "info" and found.count == 3
    assert "email domain 1, SAML group 1, SCIM group 1" in found.message
    assert f"{ORG_A}: email domain x.example → editor" in found.examples
    assert plan.blocking() == []

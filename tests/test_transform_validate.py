"""The record checks: every refusal and adjustment, table-driven, and the transform agreeing with them."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import MigrationConfig
from stytch2workos.transform import validate as v
from stytch2workos.transform.records import org_request, plan_person

ORG = "organization-test-00000001-0000-4000-8000-000000000000"
MEMBER = "member-test-00000001-0000-4000-8000-000000000000"


def org(**kw: Any) -> dict[str, Any]:
    base = {"organization_id": ORG, "organization_name": "Acme", "organization_slug": "acme"}
    return {k: val for k, val in {**base, **kw}.items() if val is not DROP}


def member(**kw: Any) -> dict[str, Any]:
    base = {
        "member_id": MEMBER,
        "organization_id": ORG,
        "email_address": "ada@acme.example",
        "status": "active",
        "name": "Ada Lovelace",
        "email_address_verified": True,
        "roles": [{"role_id": "stytch_member", "sources": [{"type": "direct_assignment"}]}],
    }
    return {k: val for k, val in {**base, **kw}.items() if val is not DROP}


DROP = object()  # a field left out of the record


def codes(findings: list[v.Finding]) -> list[tuple[str, bool]]:
    return [(f.code, f.refused) for f in findings]


# -- members -----------------------------------------------------------------------------

REFUSED = True
ADJUSTED = False


@pytest.mark.parametrize(
    ("record", "expected", "reason"),
    [
        (member(), [], ""),
        # The record as the Stytch API documents it: nulls where Stytch allows them.
        (member(external_id=None, name="", trusted_metadata={}, created_at=None), [], ""),
        ([member()], [(v.NOT_AN_OBJECT, REFUSED)], "must be an object, not a list"),
        ("member", [(v.NOT_AN_OBJECT, REFUSED)], "not a string"),
        (member(email_address=DROP), [(v.MISSING_FIELD, REFUSED)], "email_address is missing"),
        (member(email_address=None), [(v.MISSING_FIELD, REFUSED)], "email_address is missing"),
        (member(email_address=42), [(v.WRONG_TYPE, REFUSED)], "email_address is a number, not a string"),
        (member(email_address=["a@b.example"]), [(v.WRONG_TYPE, REFUSED)], "is a list"),
        (member(member_id=DROP), [(v.MISSING_FIELD, REFUSED)], "member_id is missing"),
        (member(member_id=7), [(v.WRONG_TYPE, REFUSED)], "member_id is a number"),
        (member(member_id=""), [(v.INVALID_ID, REFUSED)], "member_id is empty"),
        (member(member_id="m" * 601), [(v.INVALID_ID, REFUSED)], "at most 600"),
        (member(organization_id=DROP), [(v.MISSING_FIELD, REFUSED)], "organization_id is missing"),
        (member(organization_id=""), [(v.INVALID_ID, REFUSED)], "organization_id is empty"),
        (member(status=DROP), [(v.MISSING_FIELD, REFUSED)], "status is missing"),
        (member(status=1), [(v.WRONG_TYPE, REFUSED)], "status is a number, not a string"),
        (member(name=5), [(v.WRONG_TYPE, REFUSED)], "name is a number, not a string"),
        (member(name={"first": "Ada"}), [(v.WRONG_TYPE, REFUSED)], "name is an object"),
        (member(email_address_verified="yes"), [(v.WRONG_TYPE, REFUSED)], "not true/false"),
        (member(email_address_verified=1), [(v.WRONG_TYPE, REFUSED)], "is a number, not true/false"),
        (member(is_admin="true"), [(v.WRONG_TYPE, REFUSED)], "is_admin is a string"),
        (member(roles="stytch_admin"), [(v.WRONG_TYPE, REFUSED)], "roles is a string, not a list"),
        (member(roles=["stytch_admin"]), [(v.WRONG_TYPE, REFUSED)], "roles[0] is a string, not an object"),
        (member(roles=[{"role_id": 3}]), [(v.WRONG_TYPE, REFUSED)], "roles[0].role_id is a number"),
        (member(roles=[{"role_id": "r", "sources": "x"}]), [(v.WRONG_TYPE, REFUSED)], "roles[0].sources"),
        (member(roles=[{"role_id": "r", "sources": [1]}]), [(v.WRONG_TYPE, REFUSED)], "roles[0].sources[0]"),
        (member(oauth_registrations=[["google"]]), [(v.WRONG_TYPE, REFUSED)], "oauth_registrations[0]"),
        # Read only as present or not: any type does.
        (member(sso_registrations={}, member_password_id=1, mfa_phone_number=False), [], ""),
        (member(trusted_metadata=[]), [(v.WRONG_TYPE, REFUSED)], "trusted_metadata is a list, not an object"),
        (member(untrusted_metadata="{}"), [(v.WRONG_TYPE, REFUSED)], "untrusted_metadata is a string"),
        (member(external_id=12), [(v.WRONG_TYPE, REFUSED)], "external_id is a number"),
        (member(created_at=20240101), [(v.WRONG_TYPE, REFUSED)], "created_at is a number"),
        (member(email_address="a" * 250 + "@x.example"), [(v.EMAIL_TOO_LONG, REFUSED)], "at most 254"),
        # Every refusal is reported, not only the first.
        (
            member(email_address=DROP, status=2),
            [(v.MISSING_FIELD, REFUSED), (v.WRONG_TYPE, REFUSED)],
            "email_address is missing",
        ),
        (member(name="Ada " + "x" * 129), [(v.NAME_TOO_LONG, ADJUSTED)], "it is not sent to WorkOS"),
        (member(name="x" * 5 * 1024 * 1024), [(v.NAME_TOO_LONG, ADJUSTED)], "5,242,880 characters"),
        (member(external_id="e" * 129), [(v.EXTERNAL_ID_UNUSABLE, ADJUSTED)], "at most 128"),
        (member(external_id="hr-ü"), [(v.EXTERNAL_ID_UNUSABLE, ADJUSTED)], "not ASCII"),
    ],
)
def test_member_checks(record: Any, expected: list[tuple[str, bool]], reason: str) -> None:
    found = v.check_member(record)
    assert codes(found) == expected
    assert reason in "; ".join(f.reason for f in found)


def test_limits_are_the_boundaries_not_one_past_them() -> None:
    assert v.check_member(member(email_address="a" * 243 + "@x.example")) == []  # 254 characters
    assert v.check_member(member(member_id="m" * 600)) == []
    assert v.check_member(member(name="A" * 128 + " " + "B" * 128)) == []
    assert v.check_member(member(external_id="e" * 128)) == []
    assert v.check_organization(org(organization_name="n" * 128)) == []
    assert v.check_organization(org(organization_id="o" * 128)) == []


def test_reasons_never_quote_values() -> None:
    secretish = "hunter2-not-for-logs"
    records = [
        member(name=secretish * 20),
        member(external_id=secretish + "ü"),
        member(email_address=secretish + "@" + "x" * 300),
        member(trusted_metadata=[secretish]),
        member(roles=[secretish]),
    ]
    for record in records:
        found = v.check_member(record)
        assert found
        assert all(secretish not in f.reason for f in found)


# -- organizations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected", "reason"),
    [
        (org(), [], ""),
        (org(organization_external_id=None, trusted_metadata=None, email_allowed_domains=[]), [], ""),
        (7, [(v.NOT_AN_OBJECT, REFUSED)], "must be an object, not a number"),
        (org(organization_id=DROP), [(v.MISSING_FIELD, REFUSED)], "organization_id is missing"),
        (org(organization_id=5), [(v.WRONG_TYPE, REFUSED)], "organization_id is a number"),
        (org(organization_id=""), [(v.INVALID_ID, REFUSED)], "organization_id is empty"),
        # The organization id is the WorkOS organization's external id: 128 ASCII characters at most.
        (org(organization_id="o" * 129), [(v.INVALID_ID, REFUSED)], "at most 128"),
        (org(organization_id="organization-ü"), [(v.INVALID_ID, REFUSED)], "not ASCII"),
        (org(organization_name=12), [(v.WRONG_TYPE, REFUSED)], "organization_name is a number"),
        (org(organization_slug=["acme"]), [(v.WRONG_TYPE, REFUSED)], "organization_slug is a list"),
        (org(email_allowed_domains="acme.example"), [(v.WRONG_TYPE, REFUSED)], "is a string, not a list"),
        (org(email_allowed_domains=[1]), [(v.WRONG_TYPE, REFUSED)], "email_allowed_domains[0] is a number"),
        (org(custom_roles=[{"role_id": None}, "editor"]), [(v.WRONG_TYPE, REFUSED)], "custom_roles[1]"),
        (org(trusted_metadata="x"), [(v.WRONG_TYPE, REFUSED)], "trusted_metadata is a string"),
        (org(scim_active_connection=[]), [(v.WRONG_TYPE, REFUSED)], "scim_active_connection is a list"),
        (org(organization_name=DROP), [(v.MISSING_NAME, ADJUSTED)], "its slug is its WorkOS name"),
        (org(organization_name=None), [(v.MISSING_NAME, ADJUSTED)], "its slug"),
        (org(organization_name="   "), [(v.MISSING_NAME, ADJUSTED)], "its slug"),
        (
            org(organization_name="", organization_slug=""),
            [(v.MISSING_NAME, ADJUSTED)],
            "its organization_id is its WorkOS name",
        ),
        (org(organization_name="n" * 129), [(v.NAME_TOO_LONG, ADJUSTED)], "129 characters"),
        (org(organization_external_id="x" * 200), [(v.EXTERNAL_ID_UNUSABLE, ADJUSTED)], "at most 128"),
        (
            org(organization_name=DROP, organization_external_id="crm-é"),
            [(v.MISSING_NAME, ADJUSTED), (v.EXTERNAL_ID_UNUSABLE, ADJUSTED)],
            "not ASCII",
        ),
    ],
)
def test_organization_checks(record: Any, expected: list[tuple[str, bool]], reason: str) -> None:
    found = v.check_organization(record)
    assert codes(found) == expected
    assert reason in "; ".join(f.reason for f in found)


# -- the transform does what the findings say ----------------------------------------------


def cfg(**kw: Any) -> MigrationConfig:
    return MigrationConfig(role_map=(("stytch_member", "member"),), **kw)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({"organization_name": "n" * 129}, "acme"),
        ({"organization_name": "n" * 129, "organization_slug": "s" * 129}, ORG),
        ({"organization_name": "  "}, "acme"),
        ({"organization_name": None, "organization_slug": None}, ORG),
    ],
)
def test_the_organization_gets_the_stand_in_name_the_finding_names(data: dict[str, Any], name: str) -> None:
    assert org_request(org(**data), cfg()).name == name


def test_an_unusable_organization_external_id_gives_way_to_the_stytch_id() -> None:
    config = cfg(org_external_id="organization_external_id")
    assert org_request(org(organization_external_id="x" * 129), config).external_id == ORG
    assert org_request(org(organization_external_id="crm-7"), config).external_id == "crm-7"


def test_an_unusable_name_or_external_id_is_not_sent() -> None:
    long_name = member(name="x" * 200, external_id="é" * 3, updated_at="2024-02-02T00:00:00Z")
    plan = plan_person([long_name], cfg())
    assert plan.user is not None
    assert (plan.user.first_name, plan.user.last_name, plan.user.external_id) == (None, None, None)
    # Another member of the same person with a usable name and external id supplies them.
    other = member(
        member_id="member-test-2",
        organization_id="org-2",
        name="Ada King",
        external_id="hr-1",
        updated_at="2024-01-01T00:00:00Z",
    )
    plan = plan_person([long_name, other], cfg())
    assert plan.user is not None
    assert (plan.user.first_name, plan.user.last_name, plan.user.external_id) == ("Ada", "King", "hr-1")


def test_what_the_transform_sends_is_inside_the_metadata_limits() -> None:
    widest_org = org(organization_id="o" * v.EXTERNAL_ID_MAX, organization_slug="s" * 10_000)
    assert v.check_organization(widest_org) == []
    assert v.metadata_problem(dict(org_request(widest_org, cfg()).metadata)) is None
    widest = member(member_id="m" * v.METADATA_VALUE_MAX)
    plan = plan_person([widest], cfg())
    assert plan.user is not None and v.metadata_problem(dict(plan.user.metadata)) is None


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({}, None),
        ({f"k{i}": "v" for i in range(50)}, None),
        ({f"k{i}": "v" for i in range(51)}, "51 metadata keys"),
        ({"k" * 41: "v"}, "key of 41 characters"),
        ({"k": "v" * 601}, "k is 601 characters"),
    ],
)
def test_metadata_limits(metadata: dict[str, str], problem: str | None) -> None:
    found = v.metadata_problem(metadata)
    assert found == problem if problem is None else problem in (found or "")


# -- ids given to several records ----------------------------------------------------------


def test_repeated_ids_are_found_with_the_first_position() -> None:
    seen = v.DuplicateIds()
    assert seen.see("member", {"member_id": "m1"}, 10) is None
    assert seen.see("organization", {"organization_id": "m1"}, 20) is None  # another id space
    assert seen.see("member", {"member_id": "m2"}, 30) is None
    assert seen.see("member", {"member_id": "m1", "name": "other"}, 40) == 10
    assert seen.see("member", {"member_id": "m1"}, 50) == 10
    # Records without a usable id are not counted: they are refused for that.
    for no_id in ({"member_id": ""}, {"member_id": 1}, {}, "m1", None):
        assert seen.see("member", no_id, 60) is None
    assert seen.first_copies() == {("member", "m1"): (10, 40)}


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("member", {"member_id": "m"}, "m"),
        ("member", {"member_id": ""}, None),
        ("member", {"member_id": 5}, None),
        ("member", {"organization_id": "o"}, None),
        ("organization", {"organization_id": "o"}, "o"),
        ("organization", ["o"], None),
    ],
)
def test_record_id(kind: v.Entity, value: Any, expected: str | None) -> None:
    assert v.record_id(kind, value) == expected

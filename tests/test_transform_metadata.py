"""Stytch metadata → WorkOS metadata: what is carried, in which order, and why anything is left out."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import MetadataConfig
from stytch2workos.transform.metadata import (
    COLLISION,
    EMPTY_KEY,
    KEY_TOO_LONG,
    MEMBER_CONFLICT,
    RESERVED_KEY,
    TOO_MANY_KEYS,
    UNENCODABLE,
    VALUE_TOO_LONG,
    encode,
    org_metadata,
    user_metadata,
)

M1, M2 = "member-test-1", "member-test-2"


def member(member_id: str = M1, trusted: Any = None, untrusted: Any = None, **kw: Any) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "organization_id": "organization-test-a",
        "trusted_metadata": trusted if trusted is not None else {},
        "untrusted_metadata": untrusted if untrusted is not None else {},
        **kw,
    }


def deep(levels: int) -> Any:
    value: Any = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (42, "42"),
        (1.5, "1.5"),
        ([1, "a"], '[1,"a"]'),
        ({"a": {"b": None}}, '{"a":{"b":null}}'),
        ({"städte": "Zürich"}, '{"städte":"Zürich"}'),  # text stays text, not \\u escapes
        (deep(5000), None),
    ],
)
def test_encode(value: Any, expected: str | None) -> None:
    assert encode(value) == expected


@pytest.mark.parametrize(
    ("trusted", "carried", "reasons"),
    [
        ({}, {}, []),
        ({"plan": "gold", "seats": 5}, {"plan": "gold", "seats": "5"}, []),
        ({"k" * 40: "v"}, {"k" * 40: "v"}, []),
        ({"k" * 41: "v"}, {}, [("k" * 41, KEY_TOO_LONG)]),
        ({"bio": "x" * 600}, {"bio": "x" * 600}, []),
        ({"bio": "x" * 601}, {}, [("bio", VALUE_TOO_LONG)]),
        # 597 characters of text become 601 once quoted as JSON inside a list.
        ({"tags": ["y" * 597]}, {}, [("tags", VALUE_TOO_LONG)]),
        ({"tags": ["y" * 596]}, {"tags": '["' + "y" * 596 + '"]'}, []),
        ({"": "v", "ok": "v"}, {"ok": "v"}, [("", EMPTY_KEY)]),
        ({"stytch_member_id": "spoof"}, {}, [("stytch_member_id", RESERVED_KEY)]),
        ({"d": deep(5000), "ok": 1}, {"ok": "1"}, [("d", UNENCODABLE)]),
    ],
)
def test_one_member(trusted: dict[str, Any], carried: dict[str, str], reasons: list[tuple[str, str]]) -> None:
    result = user_metadata([member(trusted=trusted)], MetadataConfig())
    assert dict(result.metadata) == {"stytch_member_id": M1, **carried}
    assert [(x.key, x.reason) for x in result.left_out] == reasons
    assert all(x.record_id == M1 and x.source == "trusted_metadata" for x in result.left_out)


def test_the_tools_key_comes_first_and_fifty_keys_is_the_most() -> None:
    trusted = {f"t{i:02d}": str(i) for i in range(30)}
    untrusted = {f"u{i:02d}": str(i) for i in range(30)}
    result = user_metadata([member(trusted=trusted, untrusted=untrusted)], MetadataConfig())
    keys = [k for k, _ in result.metadata]
    assert len(keys) == 50
    assert keys[0] == "stytch_member_id"
    assert keys[1:31] == list(trusted)  # trusted before untrusted, in Stytch's order
    assert keys[31:] == [f"untrusted_u{i:02d}" for i in range(19)]
    assert [(x.key, x.reason) for x in result.left_out] == [
        (f"untrusted_u{i:02d}", TOO_MANY_KEYS) for i in range(19, 30)
    ]


@pytest.mark.parametrize(
    ("policy", "carried", "reasons"),
    [
        ("prefix", {"plan": "gold", "untrusted_plan": "free", "untrusted_theme": "dark"}, []),
        ("merge", {"plan": "gold", "theme": "dark"}, [("plan", COLLISION)]),
        ("skip", {"plan": "gold"}, []),
    ],
)
def test_untrusted_policy(policy: str, carried: dict[str, str], reasons: list[tuple[str, str]]) -> None:
    m = member(trusted={"plan": "gold"}, untrusted={"plan": "free", "theme": "dark"})
    result = user_metadata([m], MetadataConfig(untrusted=policy))  # type: ignore[arg-type]
    assert dict(result.metadata) == {"stytch_member_id": M1, **carried}
    assert [(x.key, x.reason) for x in result.left_out] == reasons
    assert all(x.source == "untrusted_metadata" for x in result.left_out)


@pytest.mark.parametrize(
    ("trusted", "untrusted", "reasons"),
    [
        # The prefix can push a key over the limit, or onto a trusted key of that name.
        ({}, {"k" * 31: "v"}, [("untrusted_" + "k" * 31, KEY_TOO_LONG)]),
        ({"untrusted_theme": "t"}, {"theme": "u"}, [("untrusted_theme", COLLISION)]),
    ],
)
def test_the_prefix_has_consequences(
    trusted: dict[str, Any], untrusted: dict[str, Any], reasons: list[tuple[str, str]]
) -> None:
    result = user_metadata([member(trusted=trusted, untrusted=untrusted)], MetadataConfig())
    assert [(x.key, x.reason) for x in result.left_out] == reasons


@pytest.mark.parametrize(
    ("keys", "carried"),
    [
        (None, {"plan": "gold", "dept": "ops", "untrusted_plan": "free"}),
        (frozenset(), {}),
        (frozenset({"plan"}), {"plan": "gold", "untrusted_plan": "free"}),
        (frozenset({"dept", "absent"}), {"dept": "ops"}),
    ],
)
def test_the_config_chooses_the_keys(keys: frozenset[str] | None, carried: dict[str, str]) -> None:
    m = member(trusted={"plan": "gold", "dept": "ops"}, untrusted={"plan": "free"})
    result = user_metadata([m], MetadataConfig(member_keys=keys))
    assert dict(result.metadata) == {"stytch_member_id": M1, **carried}
    assert result.left_out == ()  # a key the config leaves out is a choice, not a loss


def test_several_members_the_first_speaks_and_differences_are_reported() -> None:
    first = member(M1, trusted={"employee_id": "E1", "dept": "ops"}, untrusted={"theme": "dark"})
    second = member(
        M2, trusted={"employee_id": "E2", "dept": "ops", "site": "Oslo"}, untrusted={"theme": "x"}
    )
    result = user_metadata([first, second], MetadataConfig())
    assert dict(result.metadata) == {
        "stytch_member_id": M1,
        "employee_id": "E1",
        "dept": "ops",  # the same value twice loses nothing
        "site": "Oslo",
        "untrusted_theme": "dark",
    }
    assert [(x.record_id, x.key, x.reason) for x in result.left_out] == [
        (M2, "employee_id", MEMBER_CONFLICT),
        (M2, "untrusted_theme", MEMBER_CONFLICT),
    ]
    assert M1 in result.left_out[0].detail


def test_a_key_that_does_not_fit_from_one_member_may_come_from_another() -> None:
    first = member(M1, trusted={"bio": "x" * 700})
    second = member(M2, trusted={"bio": "short"})
    result = user_metadata([first, second], MetadataConfig())
    assert dict(result.metadata)["bio"] == "short"
    assert [(x.record_id, x.reason) for x in result.left_out] == [(M1, VALUE_TOO_LONG)]


@pytest.mark.parametrize(
    ("on", "retired", "carried"),
    [
        (False, [[{"email_id": "e1", "email_address": "ada.old@x.example"}]], None),
        (True, [[]], None),
        (True, [[{"email_id": "e1", "email_address": "ada.old@x.example"}]], '["ada.old@x.example"]'),
        (
            True,
            [
                [{"email_id": "e1", "email_address": "a@x.example"}, {"email_id": "e2"}],
                [
                    {"email_id": "e3", "email_address": "a@x.example"},
                    {"email_id": "e4", "email_address": "b@y"},
                ],
            ],
            '["a@x.example","b@y"]',
        ),
    ],
)
def test_retired_addresses(on: bool, retired: list[list[dict[str, str]]], carried: str | None) -> None:
    members = [
        member(f"member-test-{i}", {"plan": "gold"}, retired_email_addresses=r) for i, r in enumerate(retired)
    ]
    result = user_metadata(members, MetadataConfig(retired_emails=on))
    assert dict(result.metadata).get("stytch_retired_emails") == carried
    # Right after the tool's own key, before any Stytch metadata.
    expected = ["stytch_member_id", *(["stytch_retired_emails"] if carried else []), "plan"]
    assert [k for k, _ in result.metadata] == expected


def test_too_many_retired_addresses_are_reported_not_sent() -> None:
    retired = [{"email_id": f"e{i}", "email_address": f"someone.{i:03d}@example.com"} for i in range(40)]
    result = user_metadata([member(retired_email_addresses=retired)], MetadataConfig(retired_emails=True))
    assert "stytch_retired_emails" not in dict(result.metadata)
    (left,) = result.left_out
    assert (left.key, left.source, left.reason) == (
        "stytch_retired_emails",
        "retired_email_addresses",
        VALUE_TOO_LONG,
    )


@pytest.mark.parametrize(
    ("org", "keys", "carried", "reasons"),
    [
        ({"trusted_metadata": {"tier": "gold"}}, None, {"tier": "gold"}, []),
        ({"trusted_metadata": {"tier": "gold", "n": 3}}, frozenset({"n"}), {"n": "3"}, []),
        ({"trusted_metadata": {"notes": "n" * 601}}, None, {}, [("notes", VALUE_TOO_LONG)]),
        (
            {"trusted_metadata": {"stytch_organization_slug": "x"}},
            None,
            {},
            [("stytch_organization_slug", RESERVED_KEY)],
        ),
        ({"trusted_metadata": None}, None, {}, []),
        ({}, None, {}, []),
    ],
)
def test_organizations(
    org: dict[str, Any], keys: frozenset[str] | None, carried: dict[str, str], reasons: list[tuple[str, str]]
) -> None:
    record = {"organization_id": "organization-test-a", "organization_slug": "acme", **org}
    result = org_metadata(record, MetadataConfig(organization_keys=keys))
    assert dict(result.metadata) == {
        "stytch_organization_id": "organization-test-a",
        "stytch_organization_slug": "acme",
        **carried,
    }
    assert [(x.key, x.reason) for x in result.left_out] == reasons


def test_a_reason_never_quotes_the_value() -> None:
    secret = "s3cr3t-" * 100
    result = user_metadata([member(trusted={"token": secret, "t" * 45: secret})], MetadataConfig())
    assert len(result.left_out) == 2
    assert all("s3cr3t" not in x.detail for x in result.left_out)

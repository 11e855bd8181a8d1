"""``migration.toml``: parsing, validation errors that name the key, and the file ``init`` writes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from stytch2workos.config import (
    DEFAULT_ROLE_MAP,
    MetadataConfig,
    MigrationConfig,
    Pacing,
    load_config,
    parse_config,
)
from stytch2workos.config_text import propose_slug, render_config
from stytch2workos.errors import ConfigError


def test_an_empty_file_gives_the_defaults() -> None:
    config = parse_config({})
    assert config == MigrationConfig()
    assert config.roles == DEFAULT_ROLE_MAP
    assert config.invited == config.pending == "invite"
    assert config.multiple_roles and not config.explicit_roles_only
    assert config.pacing == Pacing(500, 1000, 6000, 0.97, 16, 30.0, 8)


def test_every_key_is_read() -> None:
    config = parse_config(
        {
            "organizations": {"external_id": "organization_external_id", "domain_state": "verified"},
            "roles": {"multiple": False, "explicit_only": True, "map": {"b": "x", "a": "y"}},
            "statuses": {"invited": "import", "pending": "skip"},
            "passwords": {"conflict_rule": "active_first"},
            "pacing": {
                "writes_per_10s": 100,
                "reads_per_10s": 200,
                "general_per_60s": 300,
                "safety": 0.5,
                "concurrency": 4,
                "timeout": 5,
                "max_attempts": 3,
            },
        }
    )
    assert config.org_external_id == "organization_external_id"
    assert config.domain_state == "verified"
    assert not config.multiple_roles and config.explicit_roles_only
    # The map keeps the file's order: it is the priority order.
    assert config.role_map == (("b", "x"), ("a", "y"))
    assert (config.invited, config.pending) == ("import", "skip")
    assert config.password_rule == "active_first"
    assert config.pacing == Pacing(100, 200, 300, 0.5, 4, 5.0, 3)
    assert isinstance(config.pacing.timeout, float)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"organization": {}}, "unknown section(s) [organization]"),
        ({"statuses": {"invite": "skip"}}, "[statuses] has unknown key(s) invite"),
        ({"roles": {"multiple_roles": True}}, "[roles] has unknown key(s) multiple_roles"),
        ({"pacing": {"writes": 5}}, "[pacing] has unknown key(s) writes"),
        ({"roles": []}, "[roles] must be a table"),
        ({"organizations": {"external_id": "id"}}, "[organizations] external_id must be one of"),
        ({"organizations": {"domain_state": "Verified"}}, "domain_state must be one of pending, verified"),
        ({"statuses": {"invited": "invite_all"}}, "[statuses] invited must be one of invite, import, skip"),
        ({"statuses": {"pending": True}}, "[statuses] pending must be one of"),
        ({"passwords": {"conflict_rule": "newest"}}, "conflict_rule must be one of"),
        ({"roles": {"multiple": "false"}}, "[roles] multiple must be true or false"),
        ({"roles": {"explicit_only": 1}}, "[roles] explicit_only must be true or false"),
        ({"roles": {"map": ["admin"]}}, "[roles.map] must be a table"),
        ({"roles": {"map": {"editor": "Editor"}}}, "[roles.map] editor = 'Editor'"),
        ({"roles": {"map": {"editor": ""}}}, "[roles.map] editor = ''"),
        ({"roles": {"map": {"editor": "-x"}}}, "a WorkOS slug is lower-case"),
        ({"roles": {"map": {"editor": 3}}}, "[roles.map] editor = 3"),
        ({"pacing": {"writes_per_10s": 0}}, "[pacing] writes_per_10s must be a positive whole number"),
        ({"pacing": {"concurrency": 2.5}}, "[pacing] concurrency must be a positive whole number"),
        ({"pacing": {"max_attempts": -1}}, "[pacing] max_attempts must be a positive whole number"),
        ({"pacing": {"reads_per_10s": True}}, "[pacing] reads_per_10s must be a positive whole number"),
        ({"pacing": {"timeout": "30"}}, "[pacing] timeout must be a positive number"),
        ({"pacing": {"safety": 1.5}}, "safety is a fraction of the budget, at most 1"),
        ({"roles": {"existing": "overwrite"}}, "[roles] existing must be one of stop, keep, update"),
        ({"roles": {"existing": True}}, "[roles] existing must be one of"),
        ({"permissions": {"maps": {}}}, "[permissions] has unknown key(s) maps"),
        ({"permissions": []}, "[permissions] must be a table"),
        ({"permissions": {"map": ["documents:read"]}}, "[permissions.map] must be a table"),
        (
            {"permissions": {"map": {"documents": "documents"}}},
            "'documents': a key is a Stytch \"resource:action\"",
        ),
        ({"permissions": {"map": {":read": "x"}}}, "a key is a Stytch"),
        ({"permissions": {"map": {"documents:": "x"}}}, "a key is a Stytch"),
        (
            {"permissions": {"map": {"documents:read": "Documents:Read"}}},
            "'documents:read' = 'Documents:Read'",
        ),
        ({"permissions": {"map": {"documents:read": "docs read"}}}, "a WorkOS permission slug is lower-case"),
        ({"permissions": {"map": {"documents:read": ""}}}, "'documents:read' = ''"),
        ({"permissions": {"map": {"documents:read": 7}}}, "'documents:read' = 7"),
    ],
)
def test_invalid_values_name_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("role_id", "slug"),
    [
        ("stytch_admin", "admin"),
        ("stytch_member", "member"),
        ("editor", "editor"),
        ("Billing Admin", "billing-admin"),
        ("__ops__", "ops"),
        ("role:read/write", "role-read-write"),
        ("data_team-2", "data_team-2"),
        ("管理者", "member"),
    ],
)
def test_propose_slug(role_id: str, slug: str) -> None:
    assert propose_slug(role_id) == slug
    assert parse_config({"roles": {"map": {role_id: propose_slug(role_id)}}}).roles == {role_id: slug}


def test_render_config_lists_every_role_by_priority_and_parses_back() -> None:
    counts = {"stytch_member": 40, "viewer": 7, "stytch_admin": 3, "editor": 9}
    descriptions = {"editor": "Edits\ndocuments", "stytch_admin": "Admins"}
    text = render_config(counts, descriptions)
    config = parse_config(tomllib.loads(text))
    assert config.role_map == (
        ("stytch_admin", "admin"),
        ("editor", "editor"),
        ("viewer", "viewer"),
        ("stytch_member", "member"),
    )
    # What init writes is the defaults, spelled out.
    assert config == MigrationConfig(role_map=config.role_map)
    assert "# 9 member(s); Edits documents" in text
    assert "# 3 member(s); Admins" in text


@pytest.mark.parametrize(
    "role_id",
    [
        'quote"d',
        "back\\slash",
        "new\nline",
        "tab\there",
        "ctl\x01\x7f",
        "Ünïcode rôle",
        "emoji 😀",
        "a = b # c",
    ],
)
def test_render_config_quotes_any_role_id(role_id: str) -> None:
    text = render_config({role_id: 1}, {role_id: 'line one\nrole = "injected"\n[statuses]'})
    config = parse_config(tomllib.loads(text))
    assert config.roles[role_id] == propose_slug(role_id)
    assert list(config.roles) == ["stytch_admin", role_id, "stytch_member"]


def test_load_config(tmp_path: Path) -> None:
    assert load_config(tmp_path) == MigrationConfig()
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path, tmp_path / "other.toml")
    (tmp_path / "migration.toml").write_text('[statuses]\npending = "skip"\n', encoding="utf-8")
    assert load_config(tmp_path).pending == "skip"
    broken = tmp_path / "broken.toml"
    broken.write_text("[statuses\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(tmp_path, broken)


# -- [metadata] ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({}, MetadataConfig()),
        ({"member_keys": ["*"], "organization_keys": ["*"]}, MetadataConfig()),
        ({"member_keys": []}, MetadataConfig(member_keys=frozenset())),
        (
            {"member_keys": ["plan", "dept"], "organization_keys": ["tier"]},
            MetadataConfig(member_keys=frozenset({"plan", "dept"}), organization_keys=frozenset({"tier"})),
        ),
        ({"untrusted": "merge"}, MetadataConfig(untrusted="merge")),
        ({"untrusted": "skip"}, MetadataConfig(untrusted="skip")),
        ({"retired_emails": True}, MetadataConfig(retired_emails=True)),
        ({"member_keys": ["k" * 40]}, MetadataConfig(member_keys=frozenset({"k" * 40}))),
    ],
)
def test_metadata_section(section: dict[str, Any], expected: MetadataConfig) -> None:
    assert parse_config({"metadata": section}).metadata == expected


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"keys": ["*"]}, "[metadata] has unknown key(s) keys"),
        ({"member_keys": "*"}, '[metadata] member_keys must be a list of key names, ["*"] for every key'),
        ({"member_keys": {"plan": True}}, "[metadata] member_keys must be a list"),
        ({"organization_keys": ["tier", 3]}, "[metadata] organization_keys must be a list"),
        ({"member_keys": ["*", "plan"]}, '[metadata] member_keys: "*" already means every key'),
        ({"member_keys": [""]}, "[metadata] member_keys: a key name cannot be empty"),
        ({"organization_keys": [" "]}, "[metadata] organization_keys: a key name cannot be empty"),
        ({"member_keys": ["k" * 41]}, "is 41 characters; a WorkOS metadata key takes at most 40"),
        ({"untrusted": "prefixed"}, "[metadata] untrusted must be one of prefix, merge, skip"),
        ({"untrusted": True}, "[metadata] untrusted must be one of"),
        ({"retired_emails": "true"}, "[metadata] retired_emails must be true or false"),
    ],
)
def test_metadata_section_errors_name_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"metadata": section})
    assert message in str(info.value)


def test_init_writes_the_metadata_section_with_its_defaults() -> None:
    text = render_config({"stytch_member": 1}, {})
    data = tomllib.loads(text)
    assert data["metadata"] == {
        "member_keys": ["*"],
        "organization_keys": ["*"],
        "untrusted": "prefix",
        "retired_emails": False,
    }
    assert parse_config(data).metadata == MetadataConfig()
    section = text[text.index("[metadata]") :].split("\n\n")[0]
    # Each choice is explained where it is made.
    for words in ("JSON text", "untrusted_<key>", "stytch_retired_emails", "`readiness`"):
        assert words in section


def test_role_and_permission_settings() -> None:
    defaults = parse_config({})
    # A role WorkOS already has with other permissions stops the plan unless told otherwise.
    assert (defaults.existing_roles, defaults.permission_map) == ("stop", ())
    config = parse_config(
        {
            "roles": {"existing": "update"},
            "permissions": {"map": {"documents:read": "docs:read", "billing:*": "billing:all"}},
        }
    )
    assert config.existing_roles == "update"
    assert config.permissions == {"documents:read": "docs:read", "billing:*": "billing:all"}
    # Length is the plan's to judge (invalid_slug): the file loads.
    long = "documents:" + "x" * 60
    assert parse_config({"permissions": {"map": {"documents:read": long}}}).permissions == {
        "documents:read": long
    }


@pytest.mark.parametrize(
    ("role_id", "slug"),
    [
        ("support_agent", "org-support_agent"),
        ("Regional Manager", "org-regional-manager"),
        ("org-x", "org-x"),
    ],
)
def test_organization_roles_get_org_slugs(role_id: str, slug: str) -> None:
    assert propose_slug(role_id, organization=True) == slug


def test_init_writes_org_slugs_permissions_and_the_existing_policy_and_it_parses_back() -> None:
    counts = {"stytch_member": 4, "editor": 2, "support_agent": 1}
    long = "reports:" + "e" * 45
    text = render_config(
        counts,
        {"support_agent": "Answers tickets"},
        org_roles={"support_agent"},
        permissions=["documents:read", "Reports:Export", long],
    )
    config = parse_config(tomllib.loads(text))
    assert config.roles == {
        "stytch_admin": "admin",
        "editor": "editor",
        "support_agent": "org-support_agent",
        "stytch_member": "member",
    }
    assert config.permissions == {
        "documents:read": "documents:read",
        "Reports:Export": "reports:export",
        long: long,
    }
    assert config.existing_roles == "stop"
    # The slug WorkOS would refuse is written as derived, with a note saying what to do.
    line = next(x for x in text.splitlines() if x.startswith(f'"{long}"'))
    assert "# rename: 53 characters; WorkOS allows at most 48" in line
    roles = text[text.index("[roles]") :].split("\n\n")[0]
    for words in ('"stop"', '"keep"', '"update"', "no permissions"):
        assert words in roles

"""Each Stytch organization policy → its WorkOS counterpart, or "no equivalent" and what follows, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from stytch2workos.config import MigrationConfig
from stytch2workos.readiness_policies import SETTINGS, Setting, allows_email_sign_in, organization_settings

PENDING, VERIFIED = MigrationConfig(), MigrationConfig(domain_state="verified")


def setting(org: dict[str, Any], name: str, config: MigrationConfig = PENDING) -> Setting:
    found = {s.setting: s for s in organization_settings({"organization_id": "o", **org}, config)}
    return found[name]


def test_every_organization_gets_every_setting_in_order() -> None:
    assert [s.setting for s in organization_settings({"organization_id": "o"}, PENDING)] == list(SETTINGS)


@pytest.mark.parametrize(
    ("org", "name", "stytch", "detail", "status", "words"),
    [
        # Stytch's defaults, when a record (from a file) leaves the field out.
        ({}, "auth_methods", "ALL_ALLOWED", "", "nothing_to_do", ""),
        ({}, "mfa_policy", "OPTIONAL", "", "nothing_to_do", ""),
        ({}, "mfa_methods", "ALL_ALLOWED", "sms_otp, totp", "no_equivalent", "passkeys"),
        ({}, "sso_jit_provisioning", "ALL_ALLOWED", "", "carried", ""),
        ({}, "email_jit_provisioning", "NOT_ALLOWED", "", "nothing_to_do", ""),
        ({}, "email_invites", "ALL_ALLOWED", "", "carried", ""),
        ({}, "oauth_tenant_jit_provisioning", "NOT_ALLOWED", "", "nothing_to_do", ""),
        ({}, "claimed_email_domains", "none", "", "nothing_to_do", ""),
        (
            {"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso", "password"]},
            "auth_methods",
            "RESTRICTED",
            "sso, password",
            "no_equivalent",
            "allow only the listed methods in your app",
        ),
        (
            {"mfa_policy": "REQUIRED_FOR_ALL"},
            "mfa_policy",
            "REQUIRED_FOR_ALL",
            "",
            "no_equivalent",
            "environment",
        ),
        (
            {"mfa_methods": "RESTRICTED", "allowed_mfa_methods": ["totp"]},
            "mfa_methods",
            "RESTRICTED",
            "totp",
            "carried",
            "",
        ),
        (
            {"mfa_methods": "RESTRICTED", "allowed_mfa_methods": ["sms_otp"]},
            "mfa_methods",
            "RESTRICTED",
            "sms_otp",
            "no_equivalent",
            "authenticator app",
        ),
        (
            {"sso_jit_provisioning": "RESTRICTED", "sso_jit_provisioning_allowed_connections": ["saml-1"]},
            "sso_jit_provisioning",
            "RESTRICTED",
            "saml-1",
            "no_equivalent",
            "not only from the listed ones",
        ),
        (
            {"sso_jit_provisioning": "NOT_ALLOWED"},
            "sso_jit_provisioning",
            "NOT_ALLOWED",
            "",
            "configure",
            "off",
        ),
        (
            {"email_jit_provisioning": "RESTRICTED", "email_allowed_domains": ["acme.example"]},
            "email_jit_provisioning",
            "RESTRICTED",
            "acme.example",
            "configure",
            "sent pending: verify them",
        ),
        (
            {"email_invites": "RESTRICTED", "email_allowed_domains": ["acme.example"]},
            "email_invites",
            "RESTRICTED",
            "acme.example",
            "no_equivalent",
            "allow only the listed domains",
        ),
        ({"email_invites": "NOT_ALLOWED"}, "email_invites", "NOT_ALLOWED", "", "no_equivalent", "refuse"),
        (
            {
                "oauth_tenant_jit_provisioning": "RESTRICTED",
                "allowed_oauth_tenants": {"slack": ["T1"], "github": []},
            },
            "oauth_tenant_jit_provisioning",
            "RESTRICTED",
            "slack: T1",
            "no_equivalent",
            "invite them",
        ),
        (
            {"claimed_email_domains": ["acme.example"], "email_allowed_domains": ["Acme.example"]},
            "claimed_email_domains",
            "claimed",
            "acme.example",
            "configure",
            "verify them",
        ),
        (
            {
                "claimed_email_domains": ["acme.example", "b.example"],
                "email_allowed_domains": ["acme.example"],
            },
            "claimed_email_domains",
            "claimed",
            "acme.example, b.example (not in email_allowed_domains: b.example)",
            "configure",
            "add the claimed domains missing there",
        ),
        # Values the tool does not know, of any type, are sent to a human, not guessed at.
        ({"auth_methods": "SOMETIMES"}, "auth_methods", "SOMETIMES", "", "unknown", "check it by hand"),
        ({"mfa_policy": 3}, "mfa_policy", "3", "", "unknown", "check it by hand"),
        ({"email_invites": ["x"]}, "email_invites", "['x']", "", "unknown", "check it by hand"),
        (
            {"allowed_auth_methods": "sso", "auth_methods": "RESTRICTED"},
            "auth_methods",
            "RESTRICTED",
            "",
            "no_equivalent",
            "",
        ),
    ],
)
def test_settings(org: dict[str, Any], name: str, stytch: str, detail: str, status: str, words: str) -> None:
    s = setting(org, name)
    assert (s.stytch, s.detail, s.status) == (stytch, detail, status)
    assert words in s.action
    assert bool(s.action) == (status not in ("carried", "nothing_to_do"))
    assert s.workos


@pytest.mark.parametrize(
    ("org", "config", "status"),
    [
        # Email JIT needs verified domains in WorkOS; with them, people join on their own.
        (
            {"email_jit_provisioning": "RESTRICTED", "email_allowed_domains": ["a.example"]},
            VERIFIED,
            "carried",
        ),
        (
            {"email_jit_provisioning": "NOT_ALLOWED", "email_allowed_domains": ["a.example"]},
            VERIFIED,
            "configure",
        ),
        (
            {"email_jit_provisioning": "NOT_ALLOWED", "email_allowed_domains": ["a.example"]},
            PENDING,
            "nothing_to_do",
        ),
        ({"email_jit_provisioning": "NOT_ALLOWED"}, VERIFIED, "nothing_to_do"),
    ],
)
def test_email_jit_depends_on_the_domain_state(
    org: dict[str, Any], config: MigrationConfig, status: str
) -> None:
    assert setting(org, "email_jit_provisioning", config).status == status


def test_claimed_domains_sent_verified_are_carried() -> None:
    org = {"claimed_email_domains": ["a.example"], "email_allowed_domains": ["a.example"]}
    assert setting(org, "claimed_email_domains", VERIFIED).status == "carried"


def test_an_action_is_the_same_for_every_organization_with_the_value() -> None:
    # Lists differ from organization to organization; the words to act on do not, so they group.
    a = setting({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso"]}, "auth_methods")
    b = setting({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["password"]}, "auth_methods")
    assert a.action == b.action and a.detail != b.detail


@pytest.mark.parametrize(
    ("org", "allowed"),
    [
        ({}, True),
        ({"auth_methods": "ALL_ALLOWED", "allowed_auth_methods": []}, True),
        ({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso"]}, False),
        ({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["sso", "magic_link"]}, True),
        ({"auth_methods": "RESTRICTED", "allowed_auth_methods": ["email_otp"]}, True),
        ({"auth_methods": "RESTRICTED", "allowed_auth_methods": None}, False),
    ],
)
def test_allows_email_sign_in(org: dict[str, Any], allowed: bool) -> None:
    assert allows_email_sign_in(org) is allowed

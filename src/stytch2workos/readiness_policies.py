"""Each Stytch organization policy next to the WorkOS setting that recreates it, or the lack of one.

Pure: an organization record and the config in, rows out. The pairs are
reference/handoff-and-access-api.md §8: most Stytch organization policies become
environment-wide settings in WorkOS (Dashboard), some have no counterpart at all;
each row says what happens then, and what to do. Values missing from a record
(a JSON file may leave them out) take Stytch's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stytch2workos.config import MigrationConfig

Status = Literal["carried", "configure", "no_equivalent", "nothing_to_do", "unknown"]
STATUSES: tuple[Status, ...] = ("no_equivalent", "configure", "unknown", "carried", "nothing_to_do")

SETTINGS = (
    "auth_methods",
    "mfa_policy",
    "mfa_methods",
    "sso_jit_provisioning",
    "email_jit_provisioning",
    "email_invites",
    "oauth_tenant_jit_provisioning",
    "claimed_email_domains",
)


@dataclass(frozen=True)
class Setting:
    """One organization policy: Stytch's value, WorkOS's counterpart, and what to do."""

    setting: str
    stytch: str  # the policy's value, shared by many organizations (grouped on)
    detail: str  # this organization's lists: methods, domains, connections, tenants
    status: Status
    workos: str
    # What to do before cutover, or what happens without it ("" when nothing); the same words
    # for every organization with this value, so that organizations group: lists go in ``detail``.
    action: str


def _value(org: Mapping[str, Any], key: str, default: str) -> str:
    value = org.get(key)
    if value is None or value == "":
        return default
    return value if isinstance(value, str) else repr(value)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _unknown(setting: str, value: str, detail: str = "") -> Setting:
    return Setting(
        setting, value, detail, "unknown", "—", "a value this tool does not know: check it by hand"
    )


def _auth_methods(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "auth_methods", "ALL_ALLOWED")
    allowed = ", ".join(_strings(org.get("allowed_auth_methods")))
    if value == "ALL_ALLOWED":
        return Setting(
            "auth_methods",
            value,
            "",
            "nothing_to_do",
            "the environment's sign-in methods (Dashboard → Authentication)",
            "",
        )
    if value != "RESTRICTED":
        return _unknown("auth_methods", value, allowed)
    return Setting(
        "auth_methods",
        value,
        allowed,
        "no_equivalent",
        "sign-in methods are set for the whole environment; no API sets a per-organization policy",
        "members could use every method the environment allows: set the organization's policy in the "
        "Dashboard, or allow only the listed methods in your app",
    )


def _mfa_policy(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "mfa_policy", "OPTIONAL")
    if value == "OPTIONAL":
        return Setting("mfa_policy", value, "", "nothing_to_do", "MFA as the environment sets it", "")
    if value != "REQUIRED_FOR_ALL":
        return _unknown("mfa_policy", value)
    return Setting(
        "mfa_policy",
        value,
        "",
        "no_equivalent",
        "AuthKit MFA is one switch for the whole environment: TOTP only, not applied to SSO users",
        "turn MFA on for the environment (every organization) or require it in your app for this one",
    )


def _mfa_methods(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "mfa_methods", "ALL_ALLOWED")
    listed = _strings(org.get("allowed_mfa_methods"))
    if value not in ("ALL_ALLOWED", "RESTRICTED"):
        return _unknown("mfa_methods", value, ", ".join(listed))
    methods = ["sms_otp", "totp"] if value == "ALL_ALLOWED" else listed
    detail = ", ".join(methods)
    if "sms_otp" not in methods:
        return Setting("mfa_methods", value, detail, "carried", "TOTP", "")
    return Setting(
        "mfa_methods",
        value,
        detail,
        "no_equivalent",
        "TOTP only: AuthKit has no SMS codes",
        "members who use SMS codes move to an authenticator app (TOTP), Magic Auth or passkeys",
    )


def _sso_jit(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "sso_jit_provisioning", "ALL_ALLOWED")
    connections = _strings(org.get("sso_jit_provisioning_allowed_connections"))
    detail = ", ".join(connections)
    if value == "ALL_ALLOWED":
        return Setting(
            "sso_jit_provisioning", value, "", "carried", "SSO JIT provisioning, on by default", ""
        )
    if value == "RESTRICTED":
        return Setting(
            "sso_jit_provisioning",
            value,
            detail,
            "no_equivalent",
            "no per-connection restriction: JIT is on or off for the whole environment",
            "people from every SSO connection of the organization join at their first sign-in, not "
            "only from the listed ones: check membership in your app, or turn SSO JIT off",
        )
    if value != "NOT_ALLOWED":
        return _unknown("sso_jit_provisioning", value, detail)
    return Setting(
        "sso_jit_provisioning",
        value,
        "",
        "configure",
        "SSO JIT off: a Dashboard switch for the whole environment",
        "turn SSO JIT provisioning off in the Dashboard (every organization), or refuse unknown "
        "people in your app: otherwise anyone the IdP lets in joins",
    )


def _email_jit(org: Mapping[str, Any], config: MigrationConfig) -> Setting:
    value = _value(org, "email_jit_provisioning", "NOT_ALLOWED")
    domains = _strings(org.get("email_allowed_domains"))
    detail = ", ".join(domains)
    verified = config.domain_state == "verified"
    workos = "membership by a verified domain of the organization, on by default"
    if value == "RESTRICTED":
        if verified:
            return Setting("email_jit_provisioning", value, detail, "carried", workos, "")
        return Setting(
            "email_jit_provisioning",
            value,
            detail,
            "configure",
            workos,
            'the domains are sent pending: verify them in WorkOS, or send them verified ([organizations] domain_state = "verified") once you have',
        )
    if value != "NOT_ALLOWED":
        return _unknown("email_jit_provisioning", value, detail)
    if domains and verified:
        return Setting(
            "email_jit_provisioning",
            value,
            detail,
            "configure",
            workos,
            "the domains are sent verified, so people with those addresses would join on their own: "
            "turn automatic membership off in the Dashboard, or send the domains pending",
        )
    return Setting(
        "email_jit_provisioning",
        value,
        detail,
        "nothing_to_do",
        "no automatic membership: the domains are sent pending",
        "",
    )


def _email_invites(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "email_invites", "ALL_ALLOWED")
    domains = ", ".join(_strings(org.get("email_allowed_domains")))
    if value == "ALL_ALLOWED":
        return Setting("email_invites", value, "", "carried", "invitations to any address", "")
    if value == "RESTRICTED":
        return Setting(
            "email_invites",
            value,
            domains,
            "no_equivalent",
            "invitations are not limited by domain",
            "WorkOS invites any address: allow only the listed domains in your app",
        )
    if value != "NOT_ALLOWED":
        return _unknown("email_invites", value, domains)
    return Setting(
        "email_invites",
        value,
        "",
        "no_equivalent",
        "invitations cannot be turned off per organization",
        "refuse invitations to this organization in your app",
    )


def _oauth_tenants(org: Mapping[str, Any]) -> Setting:
    value = _value(org, "oauth_tenant_jit_provisioning", "NOT_ALLOWED")
    tenants = org.get("allowed_oauth_tenants")
    pairs = (
        [f"{p}: {', '.join(_strings(t))}" for p, t in tenants.items() if _strings(t)]
        if isinstance(tenants, Mapping)
        else []
    )
    detail = "; ".join(pairs)
    if value == "NOT_ALLOWED":
        return Setting("oauth_tenant_jit_provisioning", value, "", "nothing_to_do", "none", "")
    if value != "RESTRICTED":
        return _unknown("oauth_tenant_jit_provisioning", value, detail)
    return Setting(
        "oauth_tenant_jit_provisioning",
        value,
        detail,
        "no_equivalent",
        "none",
        "people from these OAuth tenants no longer join on their first sign-in: invite them, or add "
        "them from your app",
    )


def _claimed(org: Mapping[str, Any], config: MigrationConfig) -> Setting:
    claimed = _strings(org.get("claimed_email_domains"))
    if not claimed:
        return Setting("claimed_email_domains", "none", "", "nothing_to_do", "—", "")
    allowed = {d.strip().lower() for d in _strings(org.get("email_allowed_domains"))}
    missing = [d for d in claimed if d.strip().lower() not in allowed]
    workos = "a verified domain of the organization (domain_data)"
    detail = ", ".join(claimed)
    if not missing and config.domain_state == "verified":
        return Setting("claimed_email_domains", "claimed", detail, "carried", workos, "")
    if not missing:
        return Setting(
            "claimed_email_domains", "claimed", detail, "configure", workos, "verify them in WorkOS"
        )
    return Setting(
        "claimed_email_domains",
        "claimed",
        f"{detail} (not in email_allowed_domains: {', '.join(missing)})",
        "configure",
        workos,
        "import sends email_allowed_domains only: add the claimed domains missing there, and verify them, in WorkOS",
    )


def organization_settings(org: Mapping[str, Any], config: MigrationConfig) -> list[Setting]:
    """Every policy of one Stytch organization, in :data:`SETTINGS` order."""
    return [
        _auth_methods(org),
        _mfa_policy(org),
        _mfa_methods(org),
        _sso_jit(org),
        _email_jit(org, config),
        _email_invites(org),
        _oauth_tenants(org),
        _claimed(org, config),
    ]


def allows_email_sign_in(org: Mapping[str, Any]) -> bool:
    """Whether members may sign in by magic link or email code (Stytch's email factors)."""
    if _value(org, "auth_methods", "ALL_ALLOWED") != "RESTRICTED":
        return True
    return bool({"magic_link", "email_otp"} & set(_strings(org.get("allowed_auth_methods"))))

"""Sign-in readiness: what the team must do before cutover, and what each person must be told.

Pure: member records with their summary tags in, values out. A member's sign-in
methods are the tags ``export`` stores beside it (``auth:password``, ``auth:sso``,
``auth:oauth``, ``oauth:<provider>``, ``auth:totp_mfa``, ``auth:sms_mfa``), counted
over members that are not deleted exactly as the export's summary counts them, so
the two reports agree. Three kinds are derived here:

* *password, no importable hash*: people who will reset their password: those the
  password load could not give a usable hash, or, before any load, everyone with a
  password;
* *SSO only*: members whose one registered sign-in is SSO;
* *magic link / email code*: active members with no password, SSO or OAuth in an
  organization that allows Stytch's email sign-in: they have been using links or codes.

Each person gets one :class:`Action` per thing to tell them (what to do, and why),
with the organizations it concerns. Organization policies are in
``readiness_policies``; the files and the workspace reads in ``readiness_report``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stytch2workos.readiness_policies import STATUSES, Setting

# Stytch OAuth providers → WorkOS connection types; HubSpot has none
# (reference/handoff-and-access-api.md §8).
WORKOS_OAUTH = {
    "google": "GoogleOAuth",
    "microsoft": "MicrosoftOAuth",
    "github": "GitHubOAuth",
    "slack": "SlackOAuth",
}
_PROVIDER = {
    "google": "Google",
    "microsoft": "Microsoft",
    "github": "GitHub",
    "slack": "Slack",
    "hubspot": "HubSpot",
}


def provider_name(provider: str) -> str:
    return _PROVIDER.get(provider, provider)


@dataclass(frozen=True)
class MemberView:
    """What readiness reads of one member."""

    member_id: str
    organization_id: str
    status: str
    tags: frozenset[str]  # the export's summary tags

    @property
    def live(self) -> bool:
        return self.status != "deleted"

    def has(self, method: str) -> bool:
        return f"auth:{method}" in self.tags

    @property
    def providers(self) -> list[str]:
        return sorted(t[len("oauth:") :] for t in self.tags if t.startswith("oauth:"))


def member_view(member: Mapping[str, Any], facets: str) -> MemberView:
    return MemberView(
        str(member["member_id"]),
        str(member["organization_id"]),
        str(member.get("status") or ""),
        frozenset(facets.split()),
    )


@dataclass(frozen=True)
class Action:
    """One thing to tell one person: a row of the campaign list."""

    email: str
    organizations: str  # names, "; "-separated
    action: str
    what_to_do: str
    why: str


# Action codes, in the order a person's rows are listed.
RESET_PASSWORD = "reset_password"
REENROLL_TOTP = "reenroll_totp"
REPLACE_SMS_MFA = "replace_sms_mfa"
USE_MAGIC_AUTH = "use_magic_auth"
SIGN_IN_WITH_SSO = "sign_in_with_sso"


def _oauth_action(provider: str) -> tuple[str, str, str]:
    name = provider_name(provider)
    if provider in WORKOS_OAUTH:
        return (
            f"sign_in_with_{provider}",
            f"Keep signing in with {name}, with the same email address",
            f"{name} sign-in moves to WorkOS ({WORKOS_OAUTH[provider]})",
        )
    return (
        f"replace_{provider}_sign_in",
        "Sign in another way: with a code sent by email (Magic Auth), or set a password",
        f"WorkOS has no {name} sign-in",
    )


def _reset_why(email: str, resets: Mapping[str, str | None] | None) -> str:
    if resets is None:
        return "Stytch's password hashes have not been loaded yet (stytch2workos passwords load)"
    code = resets[email]
    if code is None:
        return "Stytch's password hash export has no password for you"
    return f"your password could not be carried over ({code})"


def person_actions(
    email: str,
    members: Sequence[MemberView],
    org_names: Mapping[str, str],
    email_sign_in_orgs: frozenset[str],
    resets: Mapping[str, str | None] | None,
) -> list[Action]:
    """What to tell the person with these members (one email address).

    ``resets`` holds the people the password load left without a usable hash, with the
    refusal's code (None: not in the export); None when no password load has run.
    """
    live = [m for m in members if m.live]

    def orgs(chosen: Sequence[MemberView]) -> str:
        ids = dict.fromkeys(m.organization_id for m in chosen)
        return "; ".join(org_names.get(o, o) for o in ids)

    found: list[Action] = []
    passwords = [m for m in live if m.has("password")]
    needs_reset = email in resets if resets is not None else bool(passwords)
    if needs_reset:
        found.append(
            Action(
                email,
                orgs(passwords or live),
                RESET_PASSWORD,
                "Set a new password at your first sign-in after the move (Forgot password)",
                _reset_why(email, resets),
            )
        )
    for method, code, what, why in (
        (
            "totp_mfa",
            REENROLL_TOTP,
            "Set up your authenticator app again at your next sign-in",
            "authenticator app secrets cannot be exported from Stytch",
        ),
        (
            "sms_mfa",
            REPLACE_SMS_MFA,
            "Choose another second factor at your next sign-in: an authenticator app, a code by "
            "email (Magic Auth) or a passkey",
            "WorkOS has no SMS codes",
        ),
    ):
        chosen = [m for m in live if m.has(method)]
        if chosen:
            found.append(Action(email, orgs(chosen), code, what, why))
    for provider in sorted({p for m in live for p in m.providers}):
        code, what, why = _oauth_action(provider)
        chosen = [m for m in live if provider in m.providers]
        found.append(Action(email, orgs(chosen), code, what, why))
    sso_only = [m for m in live if m.has("sso") and not m.has("password") and not m.has("oauth")]
    if sso_only:
        found.append(
            Action(
                email,
                orgs(sso_only),
                SIGN_IN_WITH_SSO,
                "Nothing: keep signing in through your company's single sign-on",
                "your company's SSO connection moves to WorkOS; its IT administrator updates the identity provider",
            )
        )
    by_email = [m for m in live if is_email_only(m) and m.organization_id in email_sign_in_orgs]
    if by_email:
        found.append(
            Action(
                email,
                orgs(by_email),
                USE_MAGIC_AUTH,
                "Sign in with the code WorkOS emails you (Magic Auth)",
                "Stytch's email sign-in links and codes become WorkOS Magic Auth codes",
            )
        )
    return found


def is_email_only(member: MemberView) -> bool:
    """An active member with no password, SSO or OAuth: signing in by magic link or email code."""
    return member.status == "active" and not any(member.has(m) for m in ("password", "sso", "oauth"))


@dataclass
class SettingGroup:
    """Organizations sharing one policy value."""

    setting: Setting
    organizations: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """Counts over the whole snapshot, gathered person by person and organization by organization."""

    members: Counter[str] = field(default_factory=Counter)  # tag → live members
    people: Counter[str] = field(default_factory=Counter)  # tag → people with a live member with it
    action_people: Counter[str] = field(default_factory=Counter)
    sso_only_members: int = 0
    email_only_members: int = 0
    settings: dict[tuple[str, str, str, str], SettingGroup] = field(default_factory=dict)

    def add_person(
        self, members: Sequence[MemberView], actions: Sequence[Action], email_sign_in_orgs: frozenset[str]
    ) -> None:
        tags: set[str] = set()
        for m in members:
            if m.live:
                self.members.update(m.tags)
                tags.update(m.tags)
                self.sso_only_members += m.has("sso") and not m.has("password") and not m.has("oauth")
                self.email_only_members += is_email_only(m) and m.organization_id in email_sign_in_orgs
        self.people.update(tags)
        self.action_people.update(a.action for a in actions)

    def add_organization(self, name: str, settings: Sequence[Setting]) -> None:
        for s in settings:
            group = self.settings.setdefault(
                (s.setting, s.stytch, s.status, s.action),
                SettingGroup(Setting(s.setting, s.stytch, "", s.status, s.workos, s.action)),
            )
            group.organizations += 1
            if len(group.examples) < 3:
                group.examples.append(name)


@dataclass(frozen=True)
class MethodRow:
    method: str
    members: int | None  # None: counted in people only
    people: int
    workos: str
    what_to_do: str


def sign_in_methods(tally: Tally, passwords_loaded: bool) -> list[MethodRow]:
    """One row per sign-in method found, with its WorkOS counterpart and the team's to-do."""
    m, p = tally.members, tally.people
    resets = tally.action_people[RESET_PASSWORD]
    rows = [
        MethodRow(
            "password",
            m["auth:password"],
            p["auth:password"],
            "password hash import",
            (f"{resets:,} people have no importable hash: they reset at first sign-in")
            if passwords_loaded
            else "load Stytch's hash export (stytch2workos passwords load) before import, or every one resets",
        ),
        MethodRow(
            "password_reset",
            None,
            resets,
            "password reset at first sign-in",
            "tell them (readiness-people.csv, action reset_password)",
        ),
        MethodRow(
            "sso",
            m["auth:sso"],
            p["auth:sso"],
            "the organization's recreated SSO connection",
            "each customer's IdP administrator updates the ACS URL (SAML) or allows WorkOS's redirect URI (OIDC)",
        ),
        MethodRow(
            "sso_only",
            tally.sso_only_members,
            tally.action_people[SIGN_IN_WITH_SSO],
            "the recreated SSO connection",
            "nothing for them to do once the connection works",
        ),
        MethodRow(
            "oauth", m["auth:oauth"], p["auth:oauth"], "social sign-in connections", "see each provider"
        ),
    ]
    for tag in sorted(t for t in m if t.startswith("oauth:")):
        provider = tag[len("oauth:") :]
        name = provider_name(provider)
        if provider in WORKOS_OAUTH:
            todo = (
                f"configure {WORKOS_OAUTH[provider]} in WorkOS with your {name} OAuth client, and add the "
                f"redirect URI WorkOS gives for it to that client (Stytch's stops being used)"
            )
            workos = WORKOS_OAUTH[provider]
        else:
            todo = "no WorkOS equivalent: these people sign in another way (Magic Auth, a password)"
            workos = "none"
        rows.append(MethodRow(tag, m[tag], p[tag], workos, todo))
    rows += [
        MethodRow(
            "totp_mfa",
            m["auth:totp_mfa"],
            p["auth:totp_mfa"],
            "AuthKit MFA (TOTP), environment-wide",
            "turn MFA on; they re-enrol at their next sign-in (Stytch cannot export TOTP secrets)",
        ),
        MethodRow(
            "sms_mfa",
            m["auth:sms_mfa"],
            p["auth:sms_mfa"],
            "none: AuthKit has no SMS",
            "they move to TOTP, Magic Auth or passkeys",
        ),
        MethodRow(
            "magic_link",
            tally.email_only_members,
            tally.action_people[USE_MAGIC_AUTH],
            "Magic Auth (a code sent by email)",
            "enable Magic Auth in the WorkOS environment",
        ),
    ]
    return rows


def setting_groups(tally: Tally) -> list[SettingGroup]:
    """Policy groups, most in need of attention first."""
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(
        tally.settings.values(),
        key=lambda g: (order[g.setting.status], g.setting.setting, -g.organizations, g.setting.stytch),
    )

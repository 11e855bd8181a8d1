"""What each person is told, and the counts per sign-in method, from members and their summary tags."""

from __future__ import annotations

import pytest

from stytch2workos.readiness import (
    MemberView,
    Tally,
    member_view,
    person_actions,
    sign_in_methods,
)
from stytch2workos.readiness_policies import Setting

EMAIL = "ada@acme.example"
NAMES = {"org-a": "Acme", "org-b": "Beta"}
EMAIL_ORGS = frozenset({"org-a", "org-b"})


def view(tags: str, org: str = "org-a", status: str = "active", n: int = 1) -> MemberView:
    return member_view({"member_id": f"m{n}", "organization_id": org, "status": status}, tags)


@pytest.mark.parametrize(
    ("tags", "status", "actions"),
    [
        ("auth:password", "active", ["reset_password"]),
        ("auth:totp_mfa", "active", ["reenroll_totp", "use_magic_auth"]),
        ("auth:sms_mfa auth:password", "active", ["reset_password", "replace_sms_mfa"]),
        ("auth:oauth oauth:google", "active", ["sign_in_with_google"]),
        ("auth:oauth oauth:hubspot oauth:slack", "active", ["replace_hubspot_sign_in", "sign_in_with_slack"]),
        ("auth:sso", "active", ["sign_in_with_sso"]),
        ("auth:sso auth:password", "active", ["reset_password"]),  # has a password: not SSO-only
        ("auth:sso auth:oauth oauth:github", "active", ["sign_in_with_github"]),
        ("", "active", ["use_magic_auth"]),  # no registered factor: links or codes by email
        ("", "invited", []),  # has never signed in
        ("role:stytch_member", "pending", []),
        ("auth:password auth:totp_mfa", "deleted", []),  # deleted members are not told anything
        ("auth:totp_mfa", "invited", ["reenroll_totp"]),
    ],
)
def test_what_one_member_is_told(tags: str, status: str, actions: list[str]) -> None:
    found = person_actions(EMAIL, [view(tags, status=status)], NAMES, EMAIL_ORGS, None)
    assert [a.action for a in found] == actions
    assert all(a.email == EMAIL and a.organizations == "Acme" and a.what_to_do and a.why for a in found)


def test_one_row_per_action_naming_every_organization_it_concerns() -> None:
    members = [
        view("auth:totp_mfa auth:password", "org-a", n=1),
        view("auth:totp_mfa auth:sso", "org-b", n=2),
        view("auth:sso", "org-gone", n=3),  # an organization missing from the snapshot: its id
    ]
    found = {a.action: a.organizations for a in person_actions(EMAIL, members, NAMES, EMAIL_ORGS, None)}
    assert found == {
        "reset_password": "Acme",
        "reenroll_totp": "Acme; Beta",
        "sign_in_with_sso": "Beta; org-gone",
    }


@pytest.mark.parametrize(
    ("resets", "reset", "why"),
    [
        (None, True, "have not been loaded yet"),  # no load: everyone with a password
        ({EMAIL: "unsupported_hash_method"}, True, "could not be carried over (unsupported_hash_method)"),
        ({EMAIL: None}, True, "has no password for you"),
        ({"someone@else.example": None}, False, ""),  # the load gave this person a usable hash
    ],
)
def test_the_reset_list_follows_the_password_load(
    resets: dict[str, str | None] | None, reset: bool, why: str
) -> None:
    found = person_actions(EMAIL, [view("auth:password")], NAMES, EMAIL_ORGS, resets)
    rows = [a for a in found if a.action == "reset_password"]
    assert bool(rows) is reset
    if rows:
        assert why in rows[0].why


def test_a_load_can_list_a_person_the_snapshot_shows_without_a_password() -> None:
    # The export's member record and the hash file disagree: the load's word is the one acted on.
    found = person_actions(EMAIL, [view("auth:sso")], NAMES, EMAIL_ORGS, {EMAIL: None})
    assert [a.action for a in found] == ["reset_password", "sign_in_with_sso"]


def test_email_sign_in_only_where_the_organization_allows_it() -> None:
    members = [view("", "org-a", n=1), view("", "org-b", n=2)]
    found = person_actions(EMAIL, members, NAMES, frozenset({"org-b"}), None)
    assert [(a.action, a.organizations) for a in found] == [("use_magic_auth", "Beta")]


def test_the_tally_counts_members_and_people_as_the_export_summary_does() -> None:
    tally = Tally()
    people = {
        "a@x": [view("auth:password auth:totp_mfa", "org-a", n=1), view("auth:password", "org-b", n=2)],
        "b@x": [
            view("auth:oauth oauth:google auth:sms_mfa", n=3),
            view("auth:password", status="deleted", n=4),
        ],
        "c@x": [view("auth:sso", n=5)],
        "d@x": [view("", n=6), view("", status="invited", n=7)],
    }
    for email, members in people.items():
        tally.add_person(members, person_actions(email, members, NAMES, EMAIL_ORGS, None), EMAIL_ORGS)
    rows = {r.method: (r.members, r.people) for r in sign_in_methods(tally, passwords_loaded=False)}
    assert rows == {
        "password": (2, 1),  # the deleted member is not counted
        "password_reset": (None, 1),
        "sso": (1, 1),
        "sso_only": (1, 1),
        "oauth": (1, 1),
        "oauth:google": (1, 1),
        "totp_mfa": (1, 1),
        "sms_mfa": (1, 1),
        "magic_link": (1, 1),
    }
    assert tally.action_people == {
        "reset_password": 1,
        "reenroll_totp": 1,
        "replace_sms_mfa": 1,
        "sign_in_with_google": 1,
        "sign_in_with_sso": 1,
        "use_magic_auth": 1,
    }


@pytest.mark.parametrize(
    ("provider", "workos", "words"),
    [
        ("google", "GoogleOAuth", "redirect URI"),
        ("microsoft", "MicrosoftOAuth", "redirect URI"),
        ("github", "GitHubOAuth", "redirect URI"),
        ("slack", "SlackOAuth", "redirect URI"),
        ("hubspot", "none", "no WorkOS equivalent"),
        ("apple", "none", "no WorkOS equivalent"),
    ],
)
def test_each_oauth_provider_and_its_workos_counterpart(provider: str, workos: str, words: str) -> None:
    tally = Tally()
    members = [view(f"auth:oauth oauth:{provider}")]
    tally.add_person(members, person_actions(EMAIL, members, NAMES, EMAIL_ORGS, None), EMAIL_ORGS)
    row = next(r for r in sign_in_methods(tally, True) if r.method == f"oauth:{provider}")
    assert (row.members, row.people, row.workos) == (1, 1, workos)
    assert words in row.what_to_do


def test_organizations_group_by_setting_value_and_action() -> None:
    tally = Tally()
    restricted = Setting("auth_methods", "RESTRICTED", "sso", "no_equivalent", "w", "act")
    tally.add_organization("Acme", [restricted])
    tally.add_organization(
        "Beta", [Setting("auth_methods", "RESTRICTED", "password", "no_equivalent", "w", "act")]
    )
    tally.add_organization("Gamma", [Setting("auth_methods", "ALL_ALLOWED", "", "nothing_to_do", "w", "")])
    groups = {
        (k[0], k[1]): (g.organizations, g.examples, g.setting.detail) for k, g in tally.settings.items()
    }
    assert groups == {
        ("auth_methods", "RESTRICTED"): (2, ["Acme", "Beta"], ""),  # lists stay per organization
        ("auth_methods", "ALL_ALLOWED"): (1, ["Gamma"], ""),
    }

"""The text of a starting ``migration.toml``: every key with its default and why, and a
WorkOS slug proposed for each Stytch role (``init`` and ``migrate`` write it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from stytch2workos.config import DEFAULT_ROLE_MAP
from stytch2workos.stytch_pace import StytchPace
from stytch2workos.transform.rbac import (
    permission_slug_problem,
    propose_org_role_slug,
    propose_permission_slug,
    propose_role_slug,
)


def propose_slug(role_id: str, *, organization: bool = False) -> str:
    """A WorkOS slug for a Stytch role id (``stytch_admin`` → ``admin``; custom roles ``org-…``)."""
    if organization:
        return propose_org_role_slug(role_id)
    if role_id in DEFAULT_ROLE_MAP:
        return DEFAULT_ROLE_MAP[role_id]
    return propose_role_slug(role_id)


def render_config(
    role_counts: Mapping[str, int],
    descriptions: Mapping[str, str],
    org_roles: Collection[str] = (),
    permissions: Sequence[str] = (),
) -> str:
    """The text of a starting ``migration.toml`` for the roles found in a snapshot.

    ``org_roles`` are the role ids only organizations define (``custom_roles``, not in the
    project policy): they get ``org-`` slugs. ``permissions`` are the ``resource:action``
    names the roles grant.
    """
    org_only = set(org_roles)
    stytch = StytchPace()
    ordered = ["stytch_admin", *sorted(r for r in role_counts if r not in DEFAULT_ROLE_MAP), "stytch_member"]
    lines = [
        "# stytch2workos migration settings. Every key is optional; these are the defaults.",
        "",
        "[organizations]",
        '# WorkOS external_id: "organization_id" (the Stytch id your app already stores)',
        '# or "organization_external_id".',
        'external_id = "organization_id"',
        '# "verified" only if you have verified these domains yourself.',
        'domain_state = "pending"',
        "",
        "[roles]",
        "# Send several role slugs per membership (WorkOS multiple roles must be enabled).",
        "multiple = true",
        "# Only roles assigned explicitly in Stytch (not via email domain, SSO or SCIM groups).",
        "explicit_only = false",
        "# Import creates every role below (and its permissions) that WorkOS does not have yet.",
        '# A role WorkOS already has with other permissions than Stytch\'s: "stop" (plan stops and',
        '# shows the difference), "keep" (WorkOS\'s stay) or "update" (set to Stytch\'s). Either',
        "# change alters what people already in WorkOS may do, so the default asks you first.",
        '# Unless it is "keep", a role WorkOS holds with no permissions at all (as a new',
        "# environment's admin and member) gets Stytch's: nobody loses a permission it never had.",
        'existing = "stop"',
        "",
        "[roles.map]",
        "# Stytch role id = WorkOS role slug, highest priority first. Organization custom roles",
        "# take an org- slug and are created in each organization that defines them.",
    ]
    for role in ordered:
        # A description is free text: one line, or it would end the comment.
        note = " ".join(descriptions.get(role, "").split())
        count = role_counts.get(role, 0)
        comment = f"  # {count:,} member(s)" + (f"; {note[:60]}" if note else "")
        slug = propose_slug(role, organization=role in org_only)
        lines.append(f'{_toml_key(role)} = "{slug}"{comment}')
    lines += [
        "",
        "[permissions.map]",
        '# Stytch "resource:action" = WorkOS permission slug, one for each a migrated role grants.',
        "# Stytch's own stytch.* resources have no WorkOS counterpart and are not listed.",
    ]
    for key in permissions:
        slug = propose_permission_slug(key)
        # Written as derived, even when WorkOS would refuse it: the plan then says so.
        problem = permission_slug_problem(slug)
        note = f"  # rename: {problem}" if problem else ""
        lines.append(f'{_toml_key(key)} = "{slug}"{note}')
    lines += [
        "",
        "[statuses]",
        '# For invited and pending members: "invite" (send a WorkOS invitation), "import", or "skip".',
        "# Every invitation is an email WorkOS sends to the person: `plan` says how many.",
        'invited = "invite"',
        'pending = "invite"',
        "",
        "[passwords]",
        "# A person with different passwords in several organizations keeps the one chosen by:",
        '# "most_recent" (last updated member), "first_org" or "active_first".',
        'conflict_rule = "most_recent"',
        "",
        "[metadata]",
        '# Stytch trusted_metadata / untrusted_metadata keys carried into WorkOS metadata: ["*"] every',
        "# key that fits (50 keys, keys of 40 and values of 600 characters at most), [] none, or names.",
        "# What does not fit is listed by `plan` and, key by key, by `readiness`. Values that are not",
        "# strings (numbers, true/false, lists, objects) are carried as JSON text.",
        'member_keys = ["*"]',
        'organization_keys = ["*"]',
        '# Members\' untrusted_metadata, which they can change themselves in Stytch: "prefix" carries',
        '# each key as untrusted_<key>, "merge" as it is (a trusted key of the same name wins), "skip"',
        "# leaves it out.",
        'untrusted = "prefix"',
        "# Retired email addresses (WorkOS keeps one per user), as a JSON list in stytch_retired_emails.",
        "retired_emails = false",
        "",
        "[connections]",
        '# Which SSO connections import recreates in WorkOS: "active" (active SAML and OIDC ones),',
        '# "all" (pending ones too, as drafts the customer finishes) or "none" (every customer sets',
        "# theirs up again through a setup link). The rest are reported with a reason.",
        'recreate = "active"',
        "",
        "[handoff]",
        "# The packets for your customers' IT admins (`stytch2workos packets`): who they contact,",
        "# and the name they know your product by.",
        'contact = "your account manager"',
        'app_name = "our application"',
        "",
        "[sync]",
        "# `stytch2workos sync` keeps WorkOS in step with Stytch until the switch. A member deleted",
        '# in Stytch: its WorkOS membership is "deactivate"d (reversible) or "delete"d; the user stays.',
        'deleted_members = "deactivate"',
        "# A value changed in WorkOS after the migration wrote it (an admin changed a role there):",
        '# "report" (and leave it), "stytch" (overwrite it), "workos" (keep it) or "stop" (exit 1).',
        'conflicts = "report"',
        "",
        "[pacing]",
        "# WorkOS budgets; the tool stays at `safety` of each.",
        "writes_per_10s = 500",
        "reads_per_10s = 1000",
        "general_per_60s = 6000",
        "safety = 0.97",
        "concurrency = 16",
        "# Attempts per request (429, 5xx, network errors) before the run stops.",
        "max_attempts = 8",
        "# Stytch's pace, for export, sync and migrate; a flag (--searches-per-minute...) wins.",
        "# Remove the # to set one. Stytch documents 100 requests per minute for each search",
        "# endpoint: lower it when your application shares the project's budget. Other reads",
        "# (connections, RBAC) per second: Stytch documents no limit. Then the seconds before a",
        "# request is abandoned and retried, and the attempts per request before the run stops.",
        f"# stytch_searches_per_minute = {stytch.searches_per_minute}",
        f"# stytch_reads_per_second = {stytch.reads_per_second:g}",
        f"# stytch_timeout = {stytch.timeout:g}",
        f"# stytch_max_attempts = {stytch.max_attempts}",
        "",
    ]
    return "\n".join(lines)


def _toml_key(key: str) -> str:
    # Role ids are free text: quote anything beyond a bare key, escaping what TOML requires.
    if re.match(r"^[A-Za-z0-9_-]+$", key):
        return key
    escaped = "".join(
        "\\" + c if c in '"\\' else f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in key
    )
    return f'"{escaped}"'

"""Handoff packets: for each customer organization with SSO or SCIM, a page for its IT admin.

Pure: :func:`build_packet` takes what the migration knows about the organization's
connections and returns a :class:`Packet`; :func:`render_markdown` and
:func:`render_text` turn it into the two files ``stytch2workos packets`` writes.

Written for an administrator who has never heard of either identity vendor: it
names their own identity provider, the one field that changes with its new value,
what stays the same, how to test, and who to contact. Values come from the
connection's public facts and WorkOS's create answer (URLs, public certificates);
a secret never reaches a packet because none is ever passed in.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stytch2workos.transform.connections import (
    NOTE_ENCRYPTION,
    NOTE_PROXIED_ACS,
    Facts,
    RoleRule,
)

IDP_NAMES = {
    "okta": "Okta",
    "microsoft-entra": "Microsoft Entra ID",
    "google-workspace": "Google Workspace",
    "onelogin": "OneLogin",
    "jumpcloud": "JumpCloud",
    "pingfederate": "PingFederate",
    "cyberark": "CyberArk",
    "duo": "Duo",
    "keycloak": "Keycloak",
    "miniorange": "miniOrange",
    "rippling": "Rippling",
    "salesforce": "Salesforce",
    "classlink": "ClassLink",
    "shibboleth": "Shibboleth",
}
# What each identity provider's admin screens call the fields (their own documentation's words).
_ACS = {
    "okta": "Single sign-on URL",
    "microsoft-entra": "Reply URL (Assertion Consumer Service URL)",
    "google-workspace": "ACS URL",
    "onelogin": "ACS (Consumer) URL",
    "jumpcloud": "ACS URL",
}
_AUDIENCE = {
    "okta": "Audience URI (SP Entity ID)",
    "microsoft-entra": "Identifier (Entity ID)",
    "google-workspace": "Entity ID",
    "onelogin": "Audience (EntityID)",
    "jumpcloud": "SP Entity ID",
}
_REDIRECT = {"okta": "Sign-in redirect URIs", "microsoft-entra": "Redirect URI (Web platform)"}
_SCIM = {
    "okta": ("SCIM connector base URL", "API token"),
    "microsoft-entra": ("Tenant URL", "Secret token"),
}


@dataclass(frozen=True)
class Item:
    """One connection of the organization: its facts and what the migration did with it."""

    facts: Facts
    status: str  # the ledger's: created, recovered, reused, handoff, skipped, failed
    reason: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # WorkOS's answer (public)


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Steps:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Fields:
    rows: tuple[tuple[str, str], ...]  # (label, value): values are printed as code


@dataclass(frozen=True)
class Block:
    text: str  # a certificate, printed as it is


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Para | Steps | Fields | Block, ...]


@dataclass(frozen=True)
class Packet:
    organization_id: str
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Context:
    """What every packet shares: the product's name, the contact, role names, organization names."""

    app_name: str
    contact: str
    roles: Mapping[str, str]  # Stytch role id → the role's name in the new setup
    organization_names: Mapping[str, str]


def idp_name(facts: Facts) -> str:
    return IDP_NAMES.get(facts.identity_provider) or facts.display_name or "your identity provider"


def _done(item: Item) -> bool:
    return item.status in ("created", "recovered", "reused")


def _ask_for_link(ctx: Context, what: str) -> str:
    return (
        f"When you are ready, ask {ctx.contact} for a setup link for {what}. It opens a guided setup "
        "page and works for five minutes after it is made, so ask for it when you can use it."
    )


def _test_steps(ctx: Context, how: str) -> Steps:
    return Steps(
        (
            how,
            f"If it fails, note the error message and the time, and contact {ctx.contact}.",
        )
    )


def _rules(rules: Sequence[RoleRule], ctx: Context, through: str) -> tuple[Para | Fields, ...]:
    if not rules:
        return ()
    rows = tuple(
        (
            f"Members of the group “{r.group}”" if r.group else f"Everyone who signs in through {through}",
            f"role {ctx.roles.get(r.role_id, r.role_id)}",
        )
        for r in rules
    )
    return (
        Para(
            f"These rules gave people a role in {ctx.app_name} automatically. They are not carried over "
            f"by themselves: check that they are still right, and we will set them up again with you."
        ),
        Fields(rows),
    )


def _saml(item: Item, ctx: Context) -> Section:
    f, d = item.facts, item.details
    name = idp_name(f)
    acs_label = _ACS.get(f.identity_provider, "Assertion Consumer Service (ACS) URL")
    audience_label = _AUDIENCE.get(f.identity_provider, "Audience / SP Entity ID")
    new_acs = str(d.get("acs_url") or d.get("callback_url") or "")
    blocks: list[Para | Steps | Fields | Block] = []
    if NOTE_PROXIED_ACS in f.notes:
        blocks.append(
            Para(
                f"Nothing changes in {name} for this connection: it keeps sending sign-ins to the same address."
            )
        )
    else:
        blocks += [
            Para(f"In your {name} application for {ctx.app_name}, change one setting:"),
            Fields(((acs_label, new_acs or f"(ask {ctx.contact})"), (f"{acs_label}, today", f.idp_target))),
            Para(
                f"If {name} takes more than one such URL (Okta: “Other Requestable SSO URLs”; Microsoft "
                "Entra ID: several Reply URLs), add the new one now and remove the old one after the "
                f"switch-over date. Otherwise change it at the switch-over time agreed with {ctx.contact}."
            ),
        ]
    encryption = [c for c in d.get("sp_encryption_certs") or [] if isinstance(c, str)]
    if NOTE_ENCRYPTION in f.notes and encryption:
        blocks += [
            Para(f"{name} encrypts its answers: replace the encryption certificate with this one."),
            Block(encryption[0]),
        ]
    blocks.append(Para("These stay as they are:"))
    blocks.append(
        Fields(
            (
                (audience_label, f.audience),
                ("Your signing certificate", "unchanged"),
                ("Attribute mappings (email, names, groups)", "unchanged"),
            )
        )
    )
    signing = d.get("sp_signing_cert")
    if isinstance(signing, str) and signing:
        blocks += [
            Para(
                f"Only if your {name} application checks the signature of sign-in requests (most do not): "
                "replace that certificate with this one."
            ),
            Block(signing),
        ]
    blocks.append(
        _test_steps(
            ctx, f"After the change, sign in to {ctx.app_name} through single sign-on with a test account."
        )
    )
    blocks += _rules(f.role_rules, ctx, name)
    return Section(f"Single sign-on through {name} (SAML)", tuple(blocks))


def _oidc(item: Item, ctx: Context) -> Section:
    f, d = item.facts, item.details
    name = idp_name(f)
    label = _REDIRECT.get(f.identity_provider, "Redirect URI")
    new_uri = str(d.get("redirect_uri") or d.get("callback_url") or "")
    blocks: tuple[Para | Steps | Fields | Block, ...] = (
        Para(
            f"In your {name} application for {ctx.app_name} (client ID {f.client_id}), add one redirect URI:"
        ),
        Fields(((label, new_uri or f"(ask {ctx.contact})"), (f"{label}, today", f.idp_target))),
        Para(
            f"{name} accepts several redirect URIs: add the new one now, and remove the old one after the "
            "switch-over date. The client ID, the client secret and the scopes stay as they are."
        ),
        _test_steps(
            ctx,
            f"After the switch-over, sign in to {ctx.app_name} through single sign-on with a test account.",
        ),
        *_rules(f.role_rules, ctx, name),
    )
    return Section(f"Single sign-on through {name} (OpenID Connect)", blocks)


def _setup_again(item: Item, ctx: Context) -> Section:
    f = item.facts
    name = idp_name(f)
    before: list[Para | Steps | Fields | Block] = []
    if f.shared_from:
        other = ctx.organization_names.get(f.shared_from) or "another organization"
        before.append(Para(f"Until now your users signed in through the single sign-on set up for {other}."))
    blocks = (
        *before,
        Para(f"Single sign-on for {ctx.app_name} needs to be set up once more, on a guided page."),
        Steps(
            (
                _ask_for_link(ctx, "single sign-on"),
                f"Follow the page: choose {name if f.identity_provider else 'your identity provider'}, and "
                "copy the values it shows into your identity provider.",
                f"Sign in to {ctx.app_name} through single sign-on with a test account.",
            )
        ),
        *_rules(f.role_rules, ctx, name),
    )
    return Section(f"Single sign-on through {name}: set up again", tuple(blocks))


def _directory(item: Item, ctx: Context) -> Section:
    f = item.facts
    name = idp_name(f)
    url_label, token_label = _SCIM.get(f.identity_provider, ("SCIM base URL", "Bearer token"))
    today = f"the token ending in {f.token_last_four}" if f.token_last_four else "today's token"
    blocks = (
        Para(
            f"{name} sends user and group changes to {ctx.app_name} (SCIM provisioning). The address and "
            "the token it uses change, so provisioning is set up once more."
        ),
        Steps(
            (
                _ask_for_link(ctx, "directory sync"),
                f"The page shows a new endpoint URL and token. In {name}'s provisioning settings, replace "
                f"the {url_label} and the {token_label} with them.",
                "Assign a test user in your identity provider and check with us that it arrived.",
            )
        ),
        Fields(((f"{url_label}, today", f.idp_target), (f"{token_label}, today", today))),
        *_rules(f.role_rules, ctx, name),
    )
    return Section(f"User provisioning from {name} (SCIM)", tuple(blocks))


def build_packet(organization_id: str, organization_name: str, items: Sequence[Item], ctx: Context) -> Packet:
    """The packet of one organization (skipped connections are left out)."""
    sections: list[Section] = [
        Section(
            "",
            (
                Para(
                    f"For the IT administrator of {organization_name}. The sign-in service behind "
                    f"{ctx.app_name} is moving to a new provider. This page lists, for each connection between your identity "
                    f"provider and {ctx.app_name}, what changes and what stays the same. Questions: {ctx.contact}."
                ),
            ),
        )
    ]
    for item in items:
        kind = item.facts.kind
        if item.status == "skipped":
            continue
        if kind == "scim":
            sections.append(_directory(item, ctx))
        elif _done(item) and kind == "saml":
            sections.append(_saml(item, ctx))
        elif _done(item) and kind == "oidc":
            sections.append(_oidc(item, ctx))
        else:
            sections.append(_setup_again(item, ctx))
    return Packet(organization_id, f"Single sign-on changes for {organization_name}", tuple(sections))


# -- rendering ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}" if value else "—"


def render_markdown(packet: Packet) -> str:
    lines = [f"# {_md(packet.title)}", ""]
    for section in packet.sections:
        if section.heading:
            lines += [f"## {_md(section.heading)}", ""]
        for block in section.blocks:
            if isinstance(block, Para):
                lines += [_md(block.text), ""]
            elif isinstance(block, Steps):
                lines += [f"{n}. {_md(step)}" for n, step in enumerate(block.items, 1)] + [""]
            elif isinstance(block, Fields):
                lines += ["| Setting | Value |", "|---|---|"]
                lines += [f"| {_md(label)} | {_code(value)} |" for label, value in block.rows] + [""]
            else:
                lines += ["```", block.text.strip(), "```", ""]
    return "\n".join(lines)


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(
        text,
        78,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_text(packet: Packet) -> str:
    lines = [packet.title, "=" * len(packet.title), ""]
    for section in packet.sections:
        if section.heading:
            lines += [section.heading, "-" * len(section.heading), ""]
        for block in section.blocks:
            if isinstance(block, Para):
                lines += [*_wrap(block.text), ""]
            elif isinstance(block, Steps):
                for n, step in enumerate(block.items, 1):
                    wrapped = _wrap(step, "     ")
                    lines.append(f"  {n}. " + wrapped[0].lstrip())
                    lines += wrapped[1:]
                lines.append("")
            elif isinstance(block, Fields):
                for label, value in block.rows:
                    lines += [f"  {label}:", f"      {value or '—'}"]
                lines.append("")
            else:
                lines += ["    " + line for line in block.text.strip().splitlines()] + [""]
    return "\n".join(lines)


def file_stem(slug: str, organization_id: str, taken: set[str]) -> str:
    """A file name for an organization's packet: its slug, made safe and unique."""
    stem = re.sub(r"[^a-z0-9_-]+", "-", slug.lower()).strip("-_")[:60] or organization_id
    if stem in taken:
        stem = f"{stem}-{organization_id[-12:]}"
    taken.add(stem)
    return stem

"""``migration.toml``: how Stytch records map onto WorkOS, as one frozen value.

Pure: :func:`parse_config` takes the TOML text's parsed mapping. Every key is
optional; the defaults are what most migrations want. ``stytch2workos init``
writes a file listing every role found in the snapshot with a proposed slug.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from stytch2workos.errors import ConfigError
from stytch2workos.transform.passwords import PICK_RULES, PickRule

CONFIG_NAME = "migration.toml"

StatusPolicy = Literal["invite", "import", "skip"]
DomainState = Literal["pending", "verified"]
OrgExternalId = Literal["organization_id", "organization_external_id"]
STATUS_POLICIES: tuple[StatusPolicy, ...] = ("invite", "import", "skip")
DOMAIN_STATES: tuple[DomainState, ...] = ("pending", "verified")
ORG_EXTERNAL_IDS: tuple[OrgExternalId, ...] = ("organization_id", "organization_external_id")
Choice = TypeVar("Choice", bound=str)

DEFAULT_ROLE_MAP: dict[str, str] = {"stytch_admin": "admin", "stytch_member": "member"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Pacing:
    # WorkOS's published budgets (per environment / API key).
    writes_per_10s: int = 500
    reads_per_10s: int = 1000
    general_per_60s: int = 6000
    safety: float = 0.97
    concurrency: int = 16
    timeout: float = 30.0
    # Attempts per request before a run gives up (exit 3); 429s and 5xx count alike.
    max_attempts: int = 8


@dataclass(frozen=True)
class MigrationConfig:
    org_external_id: OrgExternalId = "organization_id"
    domain_state: DomainState = "pending"
    # Stytch role id → WorkOS slug, in priority order (first wins when one role is sent).
    role_map: tuple[tuple[str, str], ...] = tuple(DEFAULT_ROLE_MAP.items())
    explicit_roles_only: bool = False
    multiple_roles: bool = True
    invited: StatusPolicy = "invite"
    pending: StatusPolicy = "invite"
    password_rule: PickRule = "most_recent"
    pacing: Pacing = field(default_factory=Pacing)

    @property
    def roles(self) -> dict[str, str]:
        return dict(self.role_map)


_SECTIONS: dict[str, frozenset[str]] = {
    "organizations": frozenset({"external_id", "domain_state"}),
    "roles": frozenset({"map", "multiple", "explicit_only"}),
    "statuses": frozenset({"invited", "pending"}),
    "passwords": frozenset({"conflict_rule"}),
    "pacing": frozenset(
        {
            "writes_per_10s",
            "reads_per_10s",
            "general_per_60s",
            "safety",
            "concurrency",
            "timeout",
            "max_attempts",
        }
    ),
}
_INT_PACING = ("writes_per_10s", "reads_per_10s", "general_per_60s", "concurrency", "max_attempts")
_FLOAT_PACING = ("safety", "timeout")


def _choice(
    section: Mapping[str, Any], name: str, key: str, allowed: tuple[Choice, ...], default: Choice
) -> Choice:
    value = section.get(key, default)
    if value not in allowed:
        raise ConfigError(f"[{name}] {key} must be one of {', '.join(allowed)}; got {value!r}")
    return allowed[allowed.index(value)]


def _flag(section: Mapping[str, Any], name: str, key: str, default: bool) -> bool:
    value = section.get(key, default)
    # bool("false") is True: a quoted value must not silently mean the opposite.
    if not isinstance(value, bool):
        raise ConfigError(f"[{name}] {key} must be true or false (unquoted); got {value!r}")
    return value


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] must be a table")
    unknown = sorted(set(value) - _SECTIONS[name])
    if unknown:
        raise ConfigError(
            f"[{name}] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_SECTIONS[name]))}"
        )
    return value


def _pacing(section: Mapping[str, Any]) -> Pacing:
    kwargs: dict[str, Any] = {}
    for key in (*_INT_PACING, *_FLOAT_PACING):
        if key not in section:
            continue
        value = section[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or value <= 0 or (key in _INT_PACING and not isinstance(value, int)):
            kind = "whole number" if key in _INT_PACING else "number"
            raise ConfigError(f"[pacing] {key} must be a positive {kind}; got {value!r}")
        kwargs[key] = value if key in _INT_PACING else float(value)
    if kwargs.get("safety", 0.5) > 1:
        raise ConfigError("[pacing] safety is a fraction of the budget, at most 1")
    return Pacing(**kwargs)


def parse_config(data: Mapping[str, Any]) -> MigrationConfig:
    """Validate a parsed ``migration.toml``; a :class:`ConfigError` names the offending key."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ConfigError(
            f"unknown section(s) {', '.join(f'[{u}]' for u in unknown)}; known: "
            + ", ".join(f"[{s}]" for s in _SECTIONS)
        )
    orgs = _section(data, "organizations")
    roles = _section(data, "roles")
    statuses = _section(data, "statuses")
    passwords = _section(data, "passwords")
    role_map = roles.get("map", DEFAULT_ROLE_MAP)
    if not isinstance(role_map, Mapping):
        raise ConfigError("[roles.map] must be a table of Stytch role id = WorkOS slug")
    for role_id, slug in role_map.items():
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise ConfigError(
                f"[roles.map] {role_id} = {slug!r}: a WorkOS slug is lower-case a-z, 0-9, _ and -"
            )
    return MigrationConfig(
        org_external_id=_choice(orgs, "organizations", "external_id", ORG_EXTERNAL_IDS, "organization_id"),
        domain_state=_choice(orgs, "organizations", "domain_state", DOMAIN_STATES, "pending"),
        role_map=tuple((str(k), str(v)) for k, v in role_map.items()),
        explicit_roles_only=_flag(roles, "roles", "explicit_only", False),
        multiple_roles=_flag(roles, "roles", "multiple", True),
        invited=_choice(statuses, "statuses", "invited", STATUS_POLICIES, "invite"),
        pending=_choice(statuses, "statuses", "pending", STATUS_POLICIES, "invite"),
        password_rule=_choice(passwords, "passwords", "conflict_rule", PICK_RULES, "most_recent"),
        pacing=_pacing(_section(data, "pacing")),
    )


def load_config(workspace: Path, path: Path | None = None) -> MigrationConfig:
    """The workspace's ``migration.toml`` (or ``path``); defaults when there is none."""
    target = path or workspace / CONFIG_NAME
    if not target.exists():
        if path is not None:
            raise ConfigError(f"{path} does not exist")
        return MigrationConfig()
    try:
        return parse_config(tomllib.loads(target.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: {exc}") from None


def propose_slug(role_id: str) -> str:
    """A WorkOS slug for a Stytch role id (``stytch_admin`` → ``admin``)."""
    if role_id in DEFAULT_ROLE_MAP:
        return DEFAULT_ROLE_MAP[role_id]
    slug = re.sub(r"[^a-z0-9_-]+", "-", role_id.lower()).strip("-_")
    return slug or "member"


def render_config(role_counts: Mapping[str, int], descriptions: Mapping[str, str]) -> str:
    """The text of a starting ``migration.toml`` for the roles found in a snapshot."""
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
        "",
        "[roles.map]",
        "# Stytch role id = WorkOS role slug, highest priority first. Every slug must exist in WorkOS.",
    ]
    for role in ordered:
        # A description is free text: one line, or it would end the comment.
        note = " ".join(descriptions.get(role, "").split())
        count = role_counts.get(role, 0)
        comment = f"  # {count:,} member(s)" + (f"; {note[:60]}" if note else "")
        lines.append(f'{_toml_key(role)} = "{propose_slug(role)}"{comment}')
    lines += [
        "",
        "[statuses]",
        '# For invited and pending members: "invite" (send a WorkOS invitation), "import", or "skip".',
        'invited = "invite"',
        'pending = "invite"',
        "",
        "[passwords]",
        "# A person with different passwords in several organizations keeps the one chosen by:",
        '# "most_recent" (last updated member), "first_org" or "active_first".',
        'conflict_rule = "most_recent"',
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

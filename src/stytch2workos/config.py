"""``migration.toml``: how Stytch records map onto WorkOS, as one frozen value.

Pure: :func:`parse_config` takes the TOML text's parsed mapping. Every key is
optional; the defaults are what most migrations want. ``stytch2workos init``
writes a file listing every role found in the snapshot with a proposed slug.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from stytch2workos.errors import ConfigError
from stytch2workos.stytch_pace import CONFIG_KEYS as STYTCH_PACE_KEYS
from stytch2workos.stytch_pace import PaceSettings, too_low
from stytch2workos.transform.passwords import PICK_RULES, PickRule
from stytch2workos.transform.rbac import (
    permission_slug_chars,
)
from stytch2workos.transform.validate import METADATA_KEY_MAX

CONFIG_NAME = "migration.toml"

StatusPolicy = Literal["invite", "import", "skip"]
DomainState = Literal["pending", "verified"]
OrgExternalId = Literal["organization_id", "organization_external_id"]
ExistingRoles = Literal["stop", "keep", "update"]
STATUS_POLICIES: tuple[StatusPolicy, ...] = ("invite", "import", "skip")
DOMAIN_STATES: tuple[DomainState, ...] = ("pending", "verified")
ORG_EXTERNAL_IDS: tuple[OrgExternalId, ...] = ("organization_id", "organization_external_id")
EXISTING_ROLES: tuple[ExistingRoles, ...] = ("stop", "keep", "update")
UntrustedPolicy = Literal["prefix", "merge", "skip"]
UNTRUSTED_POLICIES: tuple[UntrustedPolicy, ...] = ("prefix", "merge", "skip")
Choice = TypeVar("Choice", bound=str)
Parsed = TypeVar("Parsed")

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
    # Stytch's pace (the stytch_* keys): only what the file sets; a flag wins over it, and
    # what neither sets takes stytch_pace.py's defaults (see resolve_pace).
    stytch: PaceSettings = field(default_factory=PaceSettings)


@dataclass(frozen=True)
class MetadataConfig:
    """``[metadata]``: which Stytch metadata keys go to WorkOS ``metadata`` (see transform/metadata.py)."""

    member_keys: frozenset[str] | None = None  # None: every key
    organization_keys: frozenset[str] | None = None
    # Members' untrusted_metadata: "prefix" (as untrusted_<key>), "merge" (as is; trusted wins), "skip".
    untrusted: UntrustedPolicy = "prefix"
    retired_emails: bool = False


ConnectionRecreate = Literal["active", "all", "none"]
CONNECTION_RECREATE: tuple[ConnectionRecreate, ...] = ("active", "all", "none")
# A packet line is one line of text: a newline or a control character would break its layout.
_ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class ConnectionsConfig:
    """``[connections]``: which Stytch SSO connections import recreates (transform/connections.py)."""

    # "active": active SAML and OIDC ones; "all": pending ones too, as drafts the customer
    # finishes; "none": every connection is handed to the customer's admin instead.
    recreate: ConnectionRecreate = "active"


@dataclass(frozen=True)
class HandoffConfig:
    """``[handoff]``: what the packets for customers' IT admins say (packets.py)."""

    contact: str = "your account manager"
    app_name: str = "our application"


DeletedMembers = Literal["deactivate", "delete"]
DELETED_MEMBERS: tuple[DeletedMembers, ...] = ("deactivate", "delete")
SyncConflicts = Literal["report", "stytch", "workos", "stop"]
SYNC_CONFLICTS: tuple[SyncConflicts, ...] = ("report", "stytch", "workos", "stop")


@dataclass(frozen=True)
class SyncConfig:
    """``[sync]``: how ``sync`` treats members gone from Stytch and values changed in WorkOS."""

    # A member deleted in (or gone from) Stytch: its WorkOS membership is deactivated
    # (reversible) or deleted. The user stays either way.
    deleted_members: DeletedMembers = "deactivate"
    # A field WorkOS changed after the migration wrote it: "report" (and skip it), "stytch"
    # (overwrite), "workos" (keep WorkOS's, recorded as accepted) or "stop" (exit 1 at once).
    conflicts: SyncConflicts = "report"


@dataclass(frozen=True)
class MigrationConfig:
    org_external_id: OrgExternalId = "organization_id"
    domain_state: DomainState = "pending"
    # Stytch role id → WorkOS slug, in priority order (first wins when one role is sent).
    role_map: tuple[tuple[str, str], ...] = tuple(DEFAULT_ROLE_MAP.items())
    explicit_roles_only: bool = False
    multiple_roles: bool = True
    # A role WorkOS already holds with other permissions than Stytch's (see render_config).
    existing_roles: ExistingRoles = "stop"
    # Stytch "resource:action" → WorkOS permission slug; a name not listed gets a derived slug.
    permission_map: tuple[tuple[str, str], ...] = ()
    invited: StatusPolicy = "invite"
    pending: StatusPolicy = "invite"
    password_rule: PickRule = "most_recent"
    pacing: Pacing = field(default_factory=Pacing)
    metadata: MetadataConfig = field(default_factory=MetadataConfig)
    connections: ConnectionsConfig = field(default_factory=ConnectionsConfig)
    handoff: HandoffConfig = field(default_factory=HandoffConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)

    @property
    def roles(self) -> dict[str, str]:
        return dict(self.role_map)

    @property
    def permissions(self) -> dict[str, str]:
        return dict(self.permission_map)


_SECTIONS: dict[str, frozenset[str]] = {
    "organizations": frozenset({"external_id", "domain_state"}),
    "roles": frozenset({"map", "multiple", "explicit_only", "existing"}),
    "permissions": frozenset({"map"}),
    "statuses": frozenset({"invited", "pending"}),
    "passwords": frozenset({"conflict_rule"}),
    "metadata": frozenset({"member_keys", "organization_keys", "untrusted", "retired_emails"}),
    "connections": frozenset({"recreate"}),
    "handoff": frozenset({"contact", "app_name"}),
    "sync": frozenset({"deleted_members", "conflicts"}),
    "pacing": frozenset(
        {
            "writes_per_10s",
            "reads_per_10s",
            "general_per_60s",
            "safety",
            "concurrency",
            "timeout",
            "max_attempts",
            *STYTCH_PACE_KEYS.values(),
        }
    ),
}
_INT_PACING = (
    "writes_per_10s",
    "reads_per_10s",
    "general_per_60s",
    "concurrency",
    "max_attempts",
    "stytch_searches_per_minute",
    "stytch_max_attempts",
)
_FLOAT_PACING = ("safety", "timeout", "stytch_reads_per_second", "stytch_timeout")


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
        # TOML has nan and inf: numbers that pace nothing.
        if (
            not number
            or not math.isfinite(value)
            or value <= 0
            or (key in _INT_PACING and not isinstance(value, int))
        ):
            kind = "whole number" if key in _INT_PACING else "number"
            raise ConfigError(f"[pacing] {key} must be a positive {kind}; got {value!r}")
        kwargs[key] = value if key in _INT_PACING else float(value)
    if kwargs.get("safety", 0.5) > 1:
        raise ConfigError("[pacing] safety is a fraction of the budget, at most 1")
    stytch: dict[str, Any] = {}
    for name, key in STYTCH_PACE_KEYS.items():
        if key in kwargs:
            stytch[name] = kwargs.pop(key)
            if too_low(name, stytch[name]):  # the same floor as the flag (a rate below 1 per second)
                raise ConfigError(f"[pacing] {key} must be at least 1; got {section[key]!r}")
    return Pacing(**kwargs, stytch=PaceSettings(**stytch))


def _metadata_keys(section: Mapping[str, Any], key: str) -> frozenset[str] | None:
    value = section.get(key, ["*"])
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ConfigError(
            f'[metadata] {key} must be a list of key names, ["*"] for every key or [] for none; got {value!r}'
        )
    if "*" in value:
        if len(value) > 1:
            raise ConfigError(f'[metadata] {key}: "*" already means every key; list names without it')
        return None
    for name in value:
        if not name.strip():
            raise ConfigError(f"[metadata] {key}: a key name cannot be empty")
        if len(name) > METADATA_KEY_MAX:
            raise ConfigError(
                f"[metadata] {key}: {name[:50]!r} is {len(name)} characters; a WorkOS metadata key "
                f"takes at most {METADATA_KEY_MAX}"
            )
    return frozenset(value)


def _metadata(section: Mapping[str, Any]) -> MetadataConfig:
    return MetadataConfig(
        member_keys=_metadata_keys(section, "member_keys"),
        organization_keys=_metadata_keys(section, "organization_keys"),
        untrusted=_choice(section, "metadata", "untrusted", UNTRUSTED_POLICIES, "prefix"),
        retired_emails=_flag(section, "metadata", "retired_emails", False),
    )


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
    permission_map = _permission_map(_section(data, "permissions"))
    return MigrationConfig(
        org_external_id=_choice(orgs, "organizations", "external_id", ORG_EXTERNAL_IDS, "organization_id"),
        domain_state=_choice(orgs, "organizations", "domain_state", DOMAIN_STATES, "pending"),
        role_map=tuple((str(k), str(v)) for k, v in role_map.items()),
        explicit_roles_only=_flag(roles, "roles", "explicit_only", False),
        multiple_roles=_flag(roles, "roles", "multiple", True),
        existing_roles=_choice(roles, "roles", "existing", EXISTING_ROLES, "stop"),
        permission_map=permission_map,
        invited=_choice(statuses, "statuses", "invited", STATUS_POLICIES, "invite"),
        pending=_choice(statuses, "statuses", "pending", STATUS_POLICIES, "invite"),
        password_rule=_choice(passwords, "passwords", "conflict_rule", PICK_RULES, "most_recent"),
        pacing=_pacing(_section(data, "pacing")),
        metadata=_metadata(_section(data, "metadata")),
        connections=ConnectionsConfig(
            _choice(_section(data, "connections"), "connections", "recreate", CONNECTION_RECREATE, "active")
        ),
        handoff=_handoff(_section(data, "handoff")),
        sync=_sync(_section(data, "sync")),
    )


def _sync(section: Mapping[str, Any]) -> SyncConfig:
    return SyncConfig(
        deleted_members=_choice(section, "sync", "deleted_members", DELETED_MEMBERS, "deactivate"),
        conflicts=_choice(section, "sync", "conflicts", SYNC_CONFLICTS, "report"),
    )


def _handoff(section: Mapping[str, Any]) -> HandoffConfig:
    values: dict[str, str] = {}
    for key in ("contact", "app_name"):
        if key not in section:
            continue
        value = section[key]
        if not isinstance(value, str) or not _ONE_LINE.match(value.strip()):
            raise ConfigError(f"[handoff] {key} must be one line of text (at most 200 characters)")
        values[key] = value.strip()
    return HandoffConfig(**values)


def _permission_map(section: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    value = section.get("map", {})
    if not isinstance(value, Mapping):
        raise ConfigError('[permissions.map] must be a table of "resource:action" = WorkOS permission slug')
    found = []
    for key, slug in value.items():
        resource, _, action = str(key).partition(":")
        if not resource or not action:
            raise ConfigError(f'[permissions.map] {key!r}: a key is a Stytch "resource:action"')
        # Length is the plan's to judge (invalid_slug): init writes over-long derived slugs as
        # they are, for a person to shorten, and a file init wrote must still load.
        if not isinstance(slug, str) or not permission_slug_chars(slug):
            raise ConfigError(
                f"[permissions.map] {key!r} = {slug!r}: a WorkOS permission slug is lower-case "
                "a-z, 0-9 and - _ : . *"
            )
        found.append((str(key), str(slug)))
    return tuple(found)


def load_config(workspace: Path, path: Path | None = None) -> MigrationConfig:
    """The workspace's ``migration.toml`` (or ``path``); defaults when there is none."""
    target = path or workspace / CONFIG_NAME
    if not target.exists():
        if path is not None:
            raise ConfigError(f"{path} does not exist")
        return MigrationConfig()
    return _parsed(target, parse_config)


def load_pacing(workspace: Path, path: Path | None = None) -> Pacing:
    """Only ``[pacing]`` of the workspace's ``migration.toml`` (or ``path``); defaults when there is none.

    For ``export``, which needs nothing else from the file: a mistake elsewhere in it
    (a role map being edited) is the plan's to report, not a reason to stop an export.
    """
    target = path or workspace / CONFIG_NAME
    if not target.exists():
        if path is not None:
            raise ConfigError(f"{path} does not exist")
        return Pacing()
    return _parsed(target, lambda data: _pacing(_section(data, "pacing")))


def _parsed(target: Path, parse: Callable[[Mapping[str, Any]], Parsed]) -> Parsed:
    """``parse`` applied to the TOML in ``target``; every problem one :class:`ConfigError`."""
    try:
        text = target.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError(f"{target} is a directory, not a {CONFIG_NAME} file") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{target} is not UTF-8 text (line {line}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {target}: {exc.strerror}") from None
    if not text.strip():
        # Most likely a save that went wrong: running on every default instead would be a guess.
        raise ConfigError(
            f"{target} is empty; delete it to use the defaults, or write one with `stytch2workos init --force`"
        )
    try:
        return parse(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: {exc}") from None
    except ConfigError as exc:
        # The key alone is not enough when --config points elsewhere: name the file too.
        raise ConfigError(f"{exc} (in {target})") from None

"""Stytch metadata → WorkOS ``metadata``: within WorkOS's limits, and what does not fit said, not dropped.

WorkOS takes at most 50 keys per user or organization, each key at most 40
characters, and only string values of at most 600 characters; anything else is
a 400 ``invalid_metadata`` for the whole record (reference/workos-api.md §3.2,
§4.2). Stytch's ``trusted_metadata`` and ``untrusted_metadata`` hold any JSON.

Keys are taken first come, first kept:

1. the tool's own keys (``stytch_member_id``; ``stytch_organization_id`` and
   ``stytch_organization_slug``): the way back to Stytch, always sent;
2. retired email addresses, when ``[metadata] retired_emails`` is on, as one key;
3. ``trusted_metadata``, key by key in Stytch's order: for a person with several
   members, the member that speaks for the person (the first active one) first,
   then the others, oldest first;
4. members' ``untrusted_metadata`` the same way, each key prefixed ``untrusted_``
   unless ``[metadata] untrusted`` says ``merge`` or ``skip``: members can change
   it themselves in Stytch, while only the API key can write WorkOS metadata, so
   by default the app can still tell the two apart.

A string value is carried as it is; any other value (a number, true/false, null,
a list, an object) as its compact JSON text: ``true``, ``42``, ``{"a":1}``. An app
that stored a non-string value parses it back with a JSON parser.

Every key left out is a :class:`LeftOut` naming the key, the record it came from
and why, with sizes but never the value: metadata may hold anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stytch2workos.config import MetadataConfig
from stytch2workos.transform.validate import (
    METADATA_KEY_MAX,
    METADATA_MAX_KEYS,
    METADATA_VALUE_MAX,
    member_metadata,
    organization_metadata,
)

RETIRED_KEY = "stytch_retired_emails"
UNTRUSTED_PREFIX = "untrusted_"

TRUSTED = "trusted_metadata"
UNTRUSTED = "untrusted_metadata"
RETIRED = "retired_email_addresses"

# Why a key was left out.
RESERVED_KEY = "reserved_key"  # the name of one of the tool's own keys
EMPTY_KEY = "empty_key"
KEY_TOO_LONG = "key_too_long"
VALUE_TOO_LONG = "value_too_long"
UNENCODABLE = "unencodable"  # a value JSON cannot write back (nested past Python's recursion limit)
TOO_MANY_KEYS = "too_many_keys"
COLLISION = "collision"  # the same key in trusted and untrusted metadata
MEMBER_CONFLICT = "member_conflict"  # another member of the same person has another value
REASONS = (
    RESERVED_KEY,
    EMPTY_KEY,
    KEY_TOO_LONG,
    VALUE_TOO_LONG,
    UNENCODABLE,
    TOO_MANY_KEYS,
    COLLISION,
    MEMBER_CONFLICT,
)

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LeftOut:
    """One metadata key that does not go to WorkOS, and why."""

    record_id: str  # the Stytch member or organization it came from
    key: str  # as WorkOS would have got it (with the untrusted prefix)
    source: str  # trusted_metadata, untrusted_metadata or retired_email_addresses
    reason: str  # one of REASONS
    detail: str  # sizes and names, never the value


@dataclass(frozen=True)
class Candidate:
    """A key offered for a record's metadata, before the limits are applied."""

    record_id: str
    source: str
    key: str
    value: Any


@dataclass(frozen=True)
class Carried:
    metadata: Pairs
    left_out: tuple[LeftOut, ...]


def encode(value: Any) -> str | None:
    """The WorkOS value for a Stytch value: strings as they are, anything else as JSON text."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (RecursionError, ValueError, TypeError):
        return None


def _selected(metadata: Any, keys: frozenset[str] | None) -> list[tuple[str, Any]]:
    if not isinstance(metadata, Mapping):
        return []  # the export refuses a record whose metadata is not an object
    return [(str(k), v) for k, v in metadata.items() if keys is None or k in keys]


def fit(fixed: Mapping[str, str], candidates: Iterable[Candidate]) -> Carried:
    """The metadata WorkOS takes: ``fixed`` first, then each candidate while it fits."""
    out: dict[str, str] = dict(fixed)
    origin: dict[str, Candidate] = {}
    left: list[LeftOut] = []

    def leave(c: Candidate, reason: str, detail: str) -> None:
        left.append(LeftOut(c.record_id, c.key, c.source, reason, detail))

    for c in candidates:
        key = c.key
        if not key:
            leave(c, EMPTY_KEY, "an empty key name")
            continue
        if key in fixed:
            leave(c, RESERVED_KEY, f"{key} is the tool's own key, pointing back to Stytch")
            continue
        value = encode(c.value)
        if value is None:
            leave(c, UNENCODABLE, "the value is nested too deeply to write as JSON text")
            continue
        if key in out:
            first = origin[key]
            if first.source != c.source:
                leave(c, COLLISION, f"{first.source} has the same key; its value is carried")
            elif out[key] != value:
                leave(c, MEMBER_CONFLICT, f"member {first.record_id} has another value, which is carried")
            continue  # the same value from another member: nothing is lost
        if len(key) > METADATA_KEY_MAX:
            leave(
                c,
                KEY_TOO_LONG,
                f"the key is {len(key):,} characters; WorkOS takes at most {METADATA_KEY_MAX}",
            )
        elif len(value) > METADATA_VALUE_MAX:
            leave(
                c,
                VALUE_TOO_LONG,
                f"the value is {len(value):,} characters{'' if isinstance(c.value, str) else ' as JSON text'}; "
                f"WorkOS takes at most {METADATA_VALUE_MAX}",
            )
        elif len(out) >= METADATA_MAX_KEYS:
            leave(
                c, TOO_MANY_KEYS, f"WorkOS takes at most {METADATA_MAX_KEYS} keys and {len(out)} came first"
            )
        else:
            out[key] = value
            origin[key] = c
    return Carried(tuple(out.items()), tuple(left))


def _member_candidates(members: Sequence[Mapping[str, Any]], config: MetadataConfig) -> list[Candidate]:
    found: list[Candidate] = []
    if config.retired_emails:
        addresses: dict[str, str] = {}  # address → the member it came from, in order
        for m in members:
            for retired in m.get("retired_email_addresses") or []:
                address = retired.get("email_address") if isinstance(retired, Mapping) else None
                if isinstance(address, str) and address:
                    addresses.setdefault(address, str(m["member_id"]))
        if addresses:
            first = next(iter(addresses.values()))
            found.append(Candidate(first, RETIRED, RETIRED_KEY, list(addresses)))
    for m in members:
        found += [
            Candidate(str(m["member_id"]), TRUSTED, k, v)
            for k, v in _selected(m.get("trusted_metadata"), config.member_keys)
        ]
    if config.untrusted != "skip":
        prefix = UNTRUSTED_PREFIX if config.untrusted == "prefix" else ""
        for m in members:
            found += [
                Candidate(str(m["member_id"]), UNTRUSTED, prefix + k, v)
                for k, v in _selected(m.get("untrusted_metadata"), config.member_keys)
            ]
    return found


def user_metadata(members: Sequence[Mapping[str, Any]], config: MetadataConfig) -> Carried:
    """A WorkOS user's metadata from a person's members, the one that speaks for them first."""
    return fit(member_metadata(members[0]), _member_candidates(members, config))


def org_metadata(org: Mapping[str, Any], config: MetadataConfig) -> Carried:
    """A WorkOS organization's metadata (Stytch organizations have trusted metadata only)."""
    org_id = str(org["organization_id"])
    candidates = (
        Candidate(org_id, TRUSTED, k, v)
        for k, v in _selected(org.get("trusted_metadata"), config.organization_keys)
    )
    return fit(organization_metadata(org), candidates)

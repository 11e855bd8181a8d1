"""Checks of Stytch organization and member records before they enter the snapshot.

Pure: a record in, findings out. A finding either *refuses* the record (it stays
out of the snapshot, stored apart with its reason, and the rest of the migration
goes on) or *adjusts* it (the record is kept, and one field WorkOS would refuse is
left out or replaced on the way there). The transform calls the functions below
(:func:`organization_name`, :func:`person_name`, :func:`usable_external_id`), so
what a finding says is what import does.

Records arrive from a JSON file or from the Stytch API and are checked the same
way: every field the pipeline reads must have the type Stytch documents
(reference/stytch-b2b-api.md §3.2, §4.2); ``null`` counts as absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from stytch2workos.transform.identity import email_key, split_name

Entity = Literal["organization", "member"]

# -- limits, in one place -------------------------------------------------------------
# Documented by WorkOS (reference/workos-api.md §3.2 and §4.2; OpenAPI v0.61.0,
# CreateOrganizationDto and CreateUserlandUserDto):
EXTERNAL_ID_MAX = 128  # external_id: maxLength 128, ASCII only (pattern ^[\x00-\x7F]+$)
METADATA_MAX_KEYS = 50  # metadata: maxProperties 50
METADATA_KEY_MAX = 40  # metadata: propertyNames maxLength 40
METADATA_VALUE_MAX = 600  # metadata: values are strings, maxLength 600
# Not stated anywhere in the WorkOS reference, so chosen conservatively:
# - an organization name: 128, Stytch's own limit for organization_name (1–128), so no
#   name Stytch accepted is ever replaced;
ORGANIZATION_NAME_MAX = 128
# - a user's first or last name: 128 each (no common identity store takes less);
PERSON_NAME_MAX = 128
# - an email address: 254, RFC 5321's 256-octet path limit less its two angle brackets.
EMAIL_MAX = 254

# Codes of refused records.
NOT_AN_OBJECT = "not_an_object"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
INVALID_ID = "invalid_id"
EMAIL_TOO_LONG = "email_too_long"
DUPLICATE_ID = "duplicate_id"
ORGANIZATION_REFUSED = "organization_refused"
# Codes of adjusted records (kept; one field left out or replaced).
MISSING_NAME = "missing_name"
NAME_TOO_LONG = "name_too_long"
EXTERNAL_ID_UNUSABLE = "external_id_unusable"


@dataclass(frozen=True)
class Finding:
    code: str
    reason: str  # names fields and sizes, never a value: records may hold anything
    refused: bool


@dataclass(frozen=True)
class IssueTally:
    """Findings of one kind over a snapshot, as plan and the summaries report them."""

    entity: str
    code: str
    refused: bool
    count: int
    examples: tuple[str, ...] = ()  # record ids


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - JSON has no other types


_KIND = {str: "a string", bool: "true/false", list: "a list", dict: "an object"}

# The fields the pipeline reads (transform, summaries, init), with the type Stytch gives them.
# Fields read only as present-or-not (member_password_id, sso_registrations, ...) take any
# type and are not checked: this runs for every record of a large file.
_ORGANIZATION_FIELDS: dict[str, type] = {
    "organization_name": str,
    "organization_slug": str,
    "organization_external_id": str,
    "email_allowed_domains": list,
    "custom_roles": list,
    "sso_active_connections": list,
    "scim_active_connection": dict,
    "trusted_metadata": dict,
    "created_at": str,
    "updated_at": str,
}
# (member_id, organization_id, email_address and status are required: checked apart.)
_MEMBER_FIELDS: dict[str, type] = {
    "name": str,
    "email_address_verified": bool,
    "is_admin": bool,
    "external_id": str,
    "roles": list,
    "oauth_registrations": list,
    "trusted_metadata": dict,
    "untrusted_metadata": dict,
    "created_at": str,
    "updated_at": str,
}
# List fields whose items the pipeline reads: item type, and the item's own typed fields.
_ITEMS: dict[str, tuple[type, dict[str, type]]] = {
    "email_allowed_domains": (str, {}),
    "custom_roles": (dict, {"role_id": str}),
    "roles": (dict, {"role_id": str, "sources": list}),
    "oauth_registrations": (dict, {"provider_type": str}),
}


def _wrong(path: str, expected: type, value: Any) -> Finding:
    return Finding(WRONG_TYPE, f"{path} is {json_type(value)}, not {_KIND[expected]}", True)


def _is(value: Any, expected: type) -> bool:
    # A function, not isinstance() inline: mypy would narrow the value to `object`.
    return isinstance(value, expected)


def _typed(record: Mapping[str, Any], fields: dict[str, type]) -> list[Finding]:
    # Run for every record of a large file, so the common case (a value of exactly the
    # expected type, or none) costs one comparison; only a mismatch takes the long way.
    found: list[Finding] = []
    get = record.get
    for name, expected in fields.items():
        value = get(name)
        if value is None:
            continue
        if value.__class__ is not expected and not _is(value, expected):
            found.append(_wrong(name, expected, value))
        elif value and name in _ITEMS:
            found.extend(_items(name, record[name]))
    return found


def _items(name: str, items: list[Any]) -> list[Finding]:
    item_type, item_fields = _ITEMS[name]
    found: list[Finding] = []
    for i, item in enumerate(items):
        if item.__class__ is not item_type and not _is(item, item_type):
            found.append(_wrong(f"{name}[{i}]", item_type, item))
            continue
        for sub, sub_type in item_fields.items():
            value = item.get(sub)
            if value is None:
                continue
            if value.__class__ is not sub_type and not _is(value, sub_type):
                found.append(_wrong(f"{name}[{i}].{sub}", sub_type, value))
            elif sub == "sources":
                for j, source in enumerate(item[sub]):
                    if source.__class__ is not dict and not isinstance(source, dict):
                        found.append(_wrong(f"{name}[{i}].sources[{j}]", dict, source))
    return found


def _required_string(record: Mapping[str, Any], name: str) -> Finding | None:
    value = record.get(name)
    if value is None:
        return Finding(MISSING_FIELD, f"{name} is missing", True)
    if not isinstance(value, str):
        return _wrong(name, str, value)
    return None


def usable_external_id(value: Any) -> str | None:
    """``value`` if WorkOS takes it as an external id, else None (not sent)."""
    if isinstance(value, str) and value and len(value) <= EXTERNAL_ID_MAX and value.isascii():
        return value
    return None


def _external_id_problem(value: str) -> str:
    if len(value) > EXTERNAL_ID_MAX:
        return f"is {len(value):,} characters; WorkOS takes at most {EXTERNAL_ID_MAX}"
    return "is not ASCII, which WorkOS requires"


def _usable_org_name(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= ORGANIZATION_NAME_MAX:
        return value
    return None


def organization_name(org: Mapping[str, Any]) -> str:
    """The WorkOS name of an organization: its name, else its slug, else its id."""
    return (
        _usable_org_name(org.get("organization_name"))
        or _usable_org_name(org.get("organization_slug"))
        or str(org["organization_id"])
    )


def person_name(value: Any) -> tuple[str | None, str | None]:
    """WorkOS first and last names from Stytch's one ``name``; (None, None) if unusable."""
    if not isinstance(value, str):
        return None, None
    first, last = split_name(value)
    if any(part is not None and len(part) > PERSON_NAME_MAX for part in (first, last)):
        return None, None
    return first, last


def metadata_problem(metadata: Mapping[str, str]) -> str | None:
    """Why WorkOS would refuse this metadata, or None."""
    if len(metadata) > METADATA_MAX_KEYS:
        return f"{len(metadata)} metadata keys; WorkOS takes at most {METADATA_MAX_KEYS}"
    for key, value in metadata.items():
        if len(key) > METADATA_KEY_MAX:
            return f"metadata key of {len(key)} characters; WorkOS takes at most {METADATA_KEY_MAX}"
        if len(value) > METADATA_VALUE_MAX:
            return f"{key} is {len(value):,} characters; WorkOS metadata values take at most {METADATA_VALUE_MAX}"
    return None


def organization_metadata(org: Mapping[str, Any]) -> dict[str, str]:
    """What the WorkOS organization carries back to Stytch."""
    # A slug is at most 128 characters in Stytch; a longer one (from a file) is cut, not refused.
    slug = str(org.get("organization_slug") or "")[:METADATA_VALUE_MAX]
    return {"stytch_organization_id": str(org["organization_id"]), "stytch_organization_slug": slug}


def member_metadata(member: Mapping[str, Any]) -> dict[str, str]:
    """What the WorkOS user carries back to Stytch (from the member that speaks for the person)."""
    return {"stytch_member_id": str(member["member_id"])}


_ID_FIELD: dict[str, str] = {"organization": "organization_id", "member": "member_id"}


def record_id(kind: Entity, value: Any) -> str | None:
    """The record's id if it has a usable one (a non-empty string), else None."""
    if not isinstance(value, dict):
        return None
    found = value.get(_ID_FIELD[kind])
    return found if isinstance(found, str) and found else None


def check_organization(org: Any) -> list[Finding]:
    """Everything wrong with one organization record."""
    if not isinstance(org, dict):
        return [Finding(NOT_AN_OBJECT, f"an organization must be an object, not {json_type(org)}", True)]
    found: list[Finding] = []
    problem = _required_string(org, "organization_id")
    if problem is not None:
        return [problem]
    org_id: str = org["organization_id"]
    # The organization id is the WorkOS organization's external id (unless migration.toml
    # picks Stytch's external ids, where it is the fallback).
    if not org_id or not org_id.isascii() or len(org_id) > EXTERNAL_ID_MAX:
        found.append(
            Finding(
                INVALID_ID,
                f"organization_id {_external_id_problem(org_id) if org_id else 'is empty'}",
                True,
            )
        )
    found.extend(_typed(org, _ORGANIZATION_FIELDS))
    if any(f.refused for f in found):
        return found
    standin = "its slug" if _usable_org_name(org.get("organization_slug")) else "its organization_id"
    name = org.get("organization_name")
    if not isinstance(name, str) or not name.strip():
        found.append(Finding(MISSING_NAME, f"no organization_name: {standin} is its WorkOS name", False))
    elif len(name) > ORGANIZATION_NAME_MAX:
        found.append(
            Finding(
                NAME_TOO_LONG,
                f"organization_name is {len(name):,} characters, over the {ORGANIZATION_NAME_MAX} "
                f"this tool sends: {standin} is its WorkOS name",
                False,
            )
        )
    external = org.get("organization_external_id")
    if external and usable_external_id(external) is None:
        found.append(
            Finding(
                EXTERNAL_ID_UNUSABLE,
                f"organization_external_id {_external_id_problem(external)}: the Stytch "
                "organization_id stands in if migration.toml asks for external ids",
                False,
            )
        )
    return found


def check_member(member: Any) -> list[Finding]:
    """Everything wrong with one member record."""
    if not isinstance(member, dict):
        return [Finding(NOT_AN_OBJECT, f"a member must be an object, not {json_type(member)}", True)]
    found: list[Finding] = []
    for required in ("member_id", "organization_id", "email_address", "status"):
        value = member.get(required)
        if value.__class__ is not str:
            problem = _required_string(member, required)
            if problem is not None:
                found.append(problem)
        elif not value and required in ("member_id", "organization_id"):
            found.append(Finding(INVALID_ID, f"{required} is empty", True))
    member_id = member.get("member_id")
    if isinstance(member_id, str) and len(member_id) > METADATA_VALUE_MAX:
        found.append(Finding(INVALID_ID, metadata_problem(member_metadata(member)) or "", True))
    email = member.get("email_address")
    if isinstance(email, str) and len(email) > EMAIL_MAX and len(email_key(email)) > EMAIL_MAX:
        found.append(
            Finding(
                EMAIL_TOO_LONG,
                f"email_address is {len(email_key(email)):,} characters; an address has at most {EMAIL_MAX}",
                True,
            )
        )
    found.extend(_typed(member, _MEMBER_FIELDS))
    if found and any(f.refused for f in found):
        return found
    name = member.get("name")
    # Only a long name can have a part over the limit: most are never split here.
    if name and len(name) > PERSON_NAME_MAX and person_name(name) == (None, None):
        found.append(
            Finding(
                NAME_TOO_LONG,
                f"name is {len(name):,} characters, over the {PERSON_NAME_MAX} per first or last "
                "name this tool sends: it is not sent to WorkOS",
                False,
            )
        )
    external = member.get("external_id")
    if external and usable_external_id(external) is None:
        found.append(
            Finding(
                EXTERNAL_ID_UNUSABLE,
                f"external_id {_external_id_problem(external)}: it is not sent to WorkOS",
                False,
            )
        )
    return found


def check(kind: Entity, value: Any) -> list[Finding]:
    return check_organization(value) if kind == "organization" else check_member(value)


@dataclass(frozen=True)
class Copy:
    """A record whose id an earlier record in the same file already had."""

    kind: Entity
    record_id: str
    first_position: int
    position: int


@dataclass
class DuplicateIds:
    """Remembers each id's first position in a file, to find ids given to several records.

    A file must not hold two records with one id: which of them is the member is
    anybody's guess, so every copy is refused (an ambiguous person is never merged).
    """

    first: dict[str, dict[str, int]] = field(default_factory=lambda: {"organization": {}, "member": {}})
    copies: list[Copy] = field(default_factory=list)

    def see(self, kind: Entity, value: Any, position: int) -> int | None:
        """Note one record; the first position of its id if an earlier record had it."""
        found = value.get(_ID_FIELD[kind]) if value.__class__ is dict else None
        if found.__class__ is not str or not found:
            return None  # no usable id: refused as such
        first: int = self.first[kind].setdefault(found, position)
        if first == position:
            return None
        self.copies.append(Copy(kind, found, first, position))
        return first

    def first_copies(self) -> dict[tuple[Entity, str], tuple[int, int]]:
        """(kind, id) → (first position, the next copy's position), once per repeated id."""
        result: dict[tuple[Entity, str], tuple[int, int]] = {}
        for copy in self.copies:
            result.setdefault((copy.kind, copy.record_id), (copy.first_position, copy.position))
        return result

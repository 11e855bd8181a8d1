"""The query language of Stytch's two B2B search endpoints, and their cursors.

A request's ``query`` (``{operator, operands[{filter_name, filter_value}]}``) is
validated into a :class:`Query` whose ``match`` tests one record. Error types
follow Stytch's ``organization_search_*`` / ``member_search_*`` families.

Cursors are keyset cursors: the sort key (created_at, id) of the last record
returned, plus a fingerprint of the query and organization scope. A page is then
a binary search into the sorted match list, so paging stays cheap however deep
it goes, and records created meanwhile sort after the cursor instead of shifting
every later page. A cursor replayed against a different query is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from stytch2workos_emulators.stytch.errors import ApiError
from stytch2workos_emulators.stytch.records import MEMBER_STATUSES, Record, SortKey

Kind = Literal["organization", "member"]
Predicate = Callable[[Record], bool]
ValueKind = Literal["strings", "string", "fuzzy", "bool"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FUZZY_MIN = 3


class SearchError(ApiError):
    """A 400 for a malformed search request."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(400, error_type, message)


class OrgLookups(Protocol):
    """What organization filters over members need from the store."""

    def orgs_with_member_emails(self, emails: set[str]) -> set[str]: ...
    def orgs_with_member_email_like(self, fragment: str) -> set[str]: ...


@dataclass(frozen=True)
class Query:
    kind: Kind
    match: Predicate
    fingerprint: str
    include_deleted: bool


@dataclass(frozen=True)
class Page:
    keys: list[SortKey]
    total: int
    next_cursor: str | None


Builder = Callable[[Any, OrgLookups | None], Predicate]


def _field_in(field: str, *, lower: bool = False) -> Builder:
    def build(values: list[str], _: OrgLookups | None) -> Predicate:
        wanted = {v.lower() for v in values} if lower else set(values)
        if lower:
            return lambda r: str(r.get(field) or "").lower() in wanted
        return lambda r: r.get(field) in wanted

    return build


def _field_like(field: str) -> Builder:
    def build(fragment: str, _: OrgLookups | None) -> Predicate:
        needle = fragment.lower()
        return lambda r: needle in str(r.get(field) or "").lower()

    return build


def _list_overlaps(field: str, *, like: bool = False) -> Builder:
    def build(value: Any, _: OrgLookups | None) -> Predicate:
        if like:
            needle = str(value).lower()
            return lambda r: any(needle in str(v).lower() for v in r.get(field) or [])
        wanted = {str(v).lower() for v in value}
        return lambda r: any(str(v).lower() in wanted for v in r.get(field) or [])

    return build


def _flag(test: Callable[[Record], bool]) -> Builder:
    def build(value: bool, _: OrgLookups | None) -> Predicate:
        return lambda r: test(r) is value

    return build


def _orgs_with_emails(values: list[str], lookups: OrgLookups | None) -> Predicate:
    assert lookups is not None
    orgs = lookups.orgs_with_member_emails({v.lower() for v in values})
    return lambda r: r["organization_id"] in orgs


def _orgs_with_email_like(fragment: str, lookups: OrgLookups | None) -> Predicate:
    assert lookups is not None
    orgs = lookups.orgs_with_member_email_like(fragment.lower())
    return lambda r: r["organization_id"] in orgs


def _sso_connection(connection_id: str, _: OrgLookups | None) -> Predicate:
    return lambda r: (
        r.get("sso_default_connection_id") == connection_id
        or any(c.get("connection_id") == connection_id for c in r.get("sso_active_connections") or [])
    )


def _member_ids(values: list[str], _: OrgLookups | None) -> Predicate:
    internal = [v.startswith("member-") for v in values]
    if any(internal) and not all(internal):
        raise SearchError(
            "member_search_cannot_mix_internal_and_external_member_ids",
            "member_ids must be all member_ids or all external_ids.",
        )
    wanted = set(values)
    field = "member_id" if all(internal) else "external_id"
    return lambda r: r.get(field) in wanted


def _statuses(values: list[str], _: OrgLookups | None) -> Predicate:
    unknown = [v for v in values if v not in MEMBER_STATUSES]
    if unknown:
        raise SearchError(
            "search_invalid_status_filter",
            f"Invalid status filter {unknown[0]!r}; use one of {', '.join(MEMBER_STATUSES)}.",
        )
    wanted = set(values)
    return lambda r: r["status"] in wanted


def _has_role(values: list[str], _: OrgLookups | None) -> Predicate:
    wanted = set(values)
    return lambda r: any(role.get("role_id") in wanted for role in r.get("roles") or [])


FILTERS: dict[Kind, dict[str, tuple[ValueKind, Builder]]] = {
    "organization": {
        "organization_ids": ("strings", _field_in("organization_id")),
        "organization_slugs": ("strings", _field_in("organization_slug")),
        "organization_name_fuzzy": ("fuzzy", _field_like("organization_name")),
        "organization_slug_fuzzy": ("fuzzy", _field_like("organization_slug")),
        "member_emails": ("strings", _orgs_with_emails),
        "member_email_fuzzy": ("fuzzy", _orgs_with_email_like),
        "allowed_domains": ("strings", _list_overlaps("email_allowed_domains")),
        "allowed_domain_fuzzy": ("fuzzy", _list_overlaps("email_allowed_domains", like=True)),
        "claimed_email_domains": ("strings", _list_overlaps("claimed_email_domains")),
        "has_active_sso_connection": ("bool", _flag(lambda r: bool(r.get("sso_active_connections")))),
        "sso_connection_id": ("string", _sso_connection),
    },
    "member": {
        "member_ids": ("strings", _member_ids),
        "member_emails": ("strings", _field_in("email_address", lower=True)),
        "member_email_fuzzy": ("fuzzy", _field_like("email_address")),
        "statuses": ("strings", _statuses),
        "member_roles": ("strings", _has_role),
        "member_is_breakglass": ("bool", _flag(lambda r: bool(r.get("is_breakglass")))),
        "member_password_exists": ("bool", _flag(lambda r: bool(r.get("member_password_id")))),
        "member_mfa_phone_numbers": ("strings", _field_in("mfa_phone_number")),
        "member_mfa_phone_number_fuzzy": ("fuzzy", _field_like("mfa_phone_number")),
    },
}


def _check_value(value: Any, kind: ValueKind, prefix: str, name: str) -> Any:
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SearchError(f"{prefix}_expected_array_of_strings", f"{name} expects an array of strings.")
        if not value:
            raise SearchError(f"{prefix}_missing_{name}", f"{name} needs at least one value.")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise SearchError(f"{prefix}_expected_boolean", f"{name} expects a boolean.")
    else:
        if not isinstance(value, str):
            raise SearchError(f"{prefix}_expected_string", f"{name} expects a string.")
        if kind == "fuzzy" and len(value) < FUZZY_MIN:
            raise SearchError(f"{prefix}_{name}_too_short", f"{name} needs at least {FUZZY_MIN} characters.")
    return value


def fingerprint(kind: Kind, raw_query: Any, scope: Sequence[str] = ()) -> str:
    """A short hash of what a search selects (query and organization scope, not limit)."""
    canonical = json.dumps([kind, raw_query, sorted(set(scope))], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def parse_query(raw: Any, kind: Kind, lookups: OrgLookups | None = None, scope: Sequence[str] = ()) -> Query:
    """Validate a request's ``query``; raises :class:`SearchError` with Stytch's error types."""
    prefix = f"{kind}_search"
    fp = fingerprint(kind, raw, scope)
    if raw is None:
        return Query(kind, lambda r: True, fp, False)
    if not isinstance(raw, dict):
        raise SearchError("bad_request", "query must be an object.")
    operator = raw.get("operator")
    if operator not in ("AND", "OR"):
        raise SearchError(f"{prefix}_invalid_operator", "query.operator must be AND or OR.")
    operands = raw.get("operands") or []
    if not isinstance(operands, list):
        raise SearchError("bad_request", "query.operands must be an array.")
    predicates: list[Predicate] = []
    include_deleted = False
    for operand in operands:
        name = operand.get("filter_name") if isinstance(operand, dict) else None
        if name is None:
            raise SearchError(f"{prefix}_missing_filter_name", "Each operand needs a filter_name.")
        if not isinstance(name, str):
            raise SearchError(f"{prefix}_filter_name_must_be_string", "filter_name must be a string.")
        spec = FILTERS[kind].get(name)
        if spec is None:
            raise SearchError(
                f"{prefix}_filter_name_not_recognized", f"filter_name {name!r} is not recognized."
            )
        value = operand.get("filter_value")
        if value is None:
            raise SearchError(f"{prefix}_missing_filter_value", f"{name} needs a filter_value.")
        value_kind, build = spec
        predicates.append(build(_check_value(value, value_kind, prefix, name), lookups))
        include_deleted = include_deleted or (name == "statuses" and "deleted" in value)
    return Query(kind, _combine(predicates, operator == "AND"), fp, include_deleted)


def _combine(predicates: list[Predicate], conjunction: bool) -> Predicate:
    if not predicates:
        return lambda r: True
    if len(predicates) == 1:
        return predicates[0]
    if conjunction:
        return lambda r: all(p(r) for p in predicates)
    return lambda r: any(p(r) for p in predicates)


def parse_limit(raw: Any, kind: Kind) -> int:
    """Page size: default 100, at most 1000; 0 (or absent) means the default."""
    if raw is None or (raw == 0 and not isinstance(raw, bool)):
        return DEFAULT_LIMIT
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_LIMIT:
        raise SearchError(f"{kind}_search_invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}.")
    return raw


def encode_cursor(fp: str, key: SortKey) -> str:
    payload = json.dumps([fp, key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(raw: Any, query: Query) -> SortKey | None:
    """The sort key a cursor resumes after; None for the first page."""
    if raw is None or raw == "":
        return None
    invalid = SearchError(f"{query.kind}_search_invalid_cursor", "The cursor is not valid.")
    if not isinstance(raw, str):
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not (
        isinstance(data, list) and len(data) == 3 and isinstance(data[1], int) and isinstance(data[2], str)
    ):
        raise invalid
    if data[0] != query.fingerprint:
        raise SearchError(f"{query.kind}_search_invalid_cursor", "The cursor belongs to a different search.")
    return (data[1], data[2])


def paginate(keys: Sequence[SortKey], after: SortKey | None, limit: int, fp: str) -> Page:
    """One page of a sorted match list, resuming after ``after``."""
    start = bisect_right(keys, after) if after is not None else 0
    end = min(start + limit, len(keys))
    next_cursor = encode_cursor(fp, keys[end - 1]) if end < len(keys) else None
    return Page(list(keys[start:end]), len(keys), next_cursor)

"""In-memory state of the Stytch emulator, indexed for fast search and lookups.

Organizations and each organization's members are kept as lists of sort keys
(created_at, id) in order, so a member search merges the requested
organizations' lists instead of sorting. A search's match list is cached per
query fingerprint until the next write.
"""

from __future__ import annotations

import heapq
import time
from bisect import insort
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from stytch2workos_emulators.stytch.errors import ApiError
from stytch2workos_emulators.stytch.records import (
    Record,
    SortKey,
    active_scim_connection,
    active_sso_connections,
    assign_direct_roles,
    assign_email_roles,
    format_time,
    has_role,
    new_id,
    normalize_member,
    normalize_organization,
    normalize_policy,
    normalize_scim,
    normalize_sso,
    sort_key,
)
from stytch2workos_emulators.stytch.search import Query

SEED_KEYS = frozenset(
    {"organizations", "members", "sso_connections", "scim_connections", "scim_groups", "rbac_policy"}
)
_CACHE_SIZE = 32


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object keyed by organization_id")
    return value


def _listing(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


class StytchStore:
    """Organizations, members, SSO/SCIM connections and the RBAC policy of one project."""

    def __init__(self, env: str = "test", clock: Callable[[], float] = time.time) -> None:
        self.env = env
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Empty everything (the RBAC policy goes back to the built-in roles)."""
        self.orgs: dict[str, Record] = {}
        self.members: dict[str, Record] = {}
        self.sso: dict[str, Record] = {}
        self.scim: dict[str, Record] = {}
        self.scim_groups: dict[str, list[Record]] = {}
        self.policy: Record = normalize_policy(None)
        self._org_keys: list[SortKey] = []
        self._org_by_slug: dict[str, str] = {}
        self._org_by_external: dict[str, str] = {}
        self._member_keys: dict[str, SortKey] = {}
        self._org_members: dict[str, list[SortKey]] = {}
        # (organization_id, lowercased email) -> the one non-deleted member holding it.
        self._live_email: dict[tuple[str, str], str] = {}
        self._external: dict[tuple[str, str], str] = {}
        self._email_members: dict[str, set[str]] = {}
        self.version = 0
        self._cache: dict[str, tuple[int, list[SortKey]]] = {}

    def now(self) -> str:
        return format_time(self.clock())

    # -- seeds -------------------------------------------------------------------------

    def load(self, seed: Mapping[str, Any]) -> None:
        """Replace all state with a seed (the shape :meth:`dump` returns)."""
        unknown = set(seed) - SEED_KEYS
        if unknown:
            raise ValueError(f"unknown seed key(s): {', '.join(sorted(unknown))}")
        orgs = _listing(seed.get("organizations"), "organizations")
        members = _listing(seed.get("members"), "members")
        sso = _mapping(seed.get("sso_connections"), "sso_connections")
        scim = _mapping(seed.get("scim_connections"), "scim_connections")
        groups = _mapping(seed.get("scim_groups"), "scim_groups")
        self.reset()
        now = self.now()
        for raw in orgs:
            self._load_org(raw, sso, scim, now)
        strays = {*sso, *scim, *groups} - set(self.orgs)
        if strays:
            raise ValueError(f"connections given for unknown organization(s) {', '.join(sorted(strays))}")
        for org_id, items in groups.items():
            listing = _listing(items, f"scim_groups[{org_id}]")
            self.scim_groups[org_id] = [self._scim_group(g, org_id) for g in listing]
        for raw in members:
            self._index_member(normalize_member(raw, self.env, now))
        self._org_keys.sort()
        for keys in self._org_members.values():
            keys.sort()
        self.policy = normalize_policy(seed.get("rbac_policy"))

    def _load_org(self, raw: Any, sso: Mapping[str, Any], scim: Mapping[str, Any], now: str) -> None:
        org = normalize_organization(raw, self.env, now)
        org_id = org["organization_id"]
        if org_id in self.orgs:
            raise ValueError(f"duplicate organization_id {org_id}")
        if org["organization_slug"] in self._org_by_slug:
            if raw.get("organization_slug"):
                raise ValueError(f"duplicate organization_slug {org['organization_slug']}")
            org["organization_slug"] = org_id  # a slug derived from a shared name
        if sso.get(org_id):
            self.sso[org_id] = normalize_sso(sso[org_id], org_id, self.env)
            # A seed that leaves out the org's summary of its connections gets it derived.
            if raw.get("sso_active_connections") is None:
                org["sso_active_connections"] = active_sso_connections(self.sso[org_id])
        if scim.get(org_id):
            self.scim[org_id] = normalize_scim(scim[org_id], org_id, self.env)
            if "scim_active_connection" not in raw:
                org["scim_active_connection"] = active_scim_connection(self.scim[org_id])
        self.orgs[org_id] = org
        self._org_keys.append(sort_key(org, "organization_id"))
        self._org_by_slug[org["organization_slug"]] = org_id
        if org.get("organization_external_id"):
            self._org_by_external[org["organization_external_id"]] = org_id
        self._org_members[org_id] = []

    def _scim_group(self, raw: Any, org_id: str) -> Record:
        if not isinstance(raw, Mapping):
            raise ValueError("a SCIM group must be an object")
        connection = self.scim.get(org_id, {}).get("connection_id", "")
        return {
            "group_id": str(raw.get("group_id") or new_id("scim-group", self.env)),
            "group_name": str(raw.get("group_name") or ""),
            "organization_id": org_id,
            "connection_id": str(raw.get("connection_id") or connection),
        }

    def _index_member(self, member: Record, *, keep_sorted: bool = False) -> None:
        member_id, org_id = member["member_id"], member["organization_id"]
        if org_id not in self.orgs:
            raise ValueError(f"member {member_id} belongs to unknown organization {org_id}")
        if member_id in self.members:
            raise ValueError(f"duplicate member_id {member_id}")
        email = str(member["email_address"]).lower()
        if member["status"] != "deleted":
            if (org_id, email) in self._live_email:
                raise ValueError(f"two members of {org_id} share the email {email}")
            self._live_email[(org_id, email)] = member_id
        if member.get("external_id"):
            if (org_id, member["external_id"]) in self._external:
                raise ValueError(f"two members of {org_id} share external_id {member['external_id']}")
            self._external[(org_id, member["external_id"])] = member_id
        self.members[member_id] = member
        key = sort_key(member, "member_id")
        self._member_keys[member_id] = key
        if keep_sorted:
            insort(self._org_members[org_id], key)
        else:
            self._org_members[org_id].append(key)  # sorted once the whole seed is in
        self._email_members.setdefault(email, set()).add(member_id)

    def dump(self) -> dict[str, Any]:
        """All state, in the seed's shape."""
        return {
            "organizations": [self.orgs[key[1]] for key in self._org_keys],
            "members": [self.members[key[1]] for key in sorted(self._member_keys.values())],
            "sso_connections": dict(self.sso),
            "scim_connections": dict(self.scim),
            "scim_groups": dict(self.scim_groups),
            "rbac_policy": self.policy,
        }

    # -- lookups -----------------------------------------------------------------------

    def resolve_org(self, ref: str) -> Record | None:
        """An organization by id, slug or external id (Stytch accepts all three)."""
        org_id = ref if ref in self.orgs else self._org_by_slug.get(ref) or self._org_by_external.get(ref)
        return self.orgs.get(org_id) if org_id else None

    def find_member(self, org_id: str, ref: str, *, include_deleted: bool = False) -> Record | None:
        """A member of the organization by member_id or external_id."""
        member = self.members.get(ref)
        if member is None or member["organization_id"] != org_id:
            member_id = self._external.get((org_id, ref))
            member = self.members.get(member_id) if member_id else None
        if member is None or (member["status"] == "deleted" and not include_deleted):
            return None
        return member

    def member_by_email(self, org_id: str, email: str) -> Record | None:
        member_id = self._live_email.get((org_id, email.lower()))
        return self.members[member_id] if member_id else None

    def member_count(self, org_id: str) -> int:
        members = self.members
        return sum(1 for key in self._org_members[org_id] if members[key[1]]["status"] != "deleted")

    def orgs_with_member_emails(self, emails: set[str]) -> set[str]:
        return self._orgs_of(m for e in emails for m in self._email_members.get(e, ()))

    def orgs_with_member_email_like(self, fragment: str) -> set[str]:
        return self._orgs_of(m for e, ms in self._email_members.items() if fragment in e for m in ms)

    def _orgs_of(self, member_ids: Iterable[str]) -> set[str]:
        members = (self.members[m] for m in member_ids)
        return {m["organization_id"] for m in members if m["status"] != "deleted"}

    # -- search ------------------------------------------------------------------------

    def search_organizations(self, query: Query) -> list[SortKey]:
        """Sort keys of the organizations matching a query, in order."""
        orgs = self.orgs
        return self._cached(query, lambda: [k for k in self._org_keys if query.match(orgs[k[1]])])

    def search_members(self, org_ids: list[str], query: Query) -> list[SortKey]:
        """Sort keys of the matching members of some organizations, in order."""

        def compute() -> list[SortKey]:
            lists = [self._org_members[org_id] for org_id in dict.fromkeys(org_ids)]
            keys = lists[0] if len(lists) == 1 else heapq.merge(*lists)
            members, match, deleted_ok = self.members, query.match, query.include_deleted
            out: list[SortKey] = []
            for key in keys:
                member = members[key[1]]
                if (deleted_ok or member["status"] != "deleted") and match(member):
                    out.append(key)
            return out

        return self._cached(query, compute)

    def _cached(self, query: Query, compute: Callable[[], list[SortKey]]) -> list[SortKey]:
        hit = self._cache.get(query.fingerprint)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        keys = compute()
        self._cache.pop(query.fingerprint, None)
        self._cache[query.fingerprint] = (self.version, keys)
        while len(self._cache) > _CACHE_SIZE:
            del self._cache[next(iter(self._cache))]
        return keys

    # -- member writes -----------------------------------------------------------------

    def _touch(self, member: Record) -> Record:
        member["updated_at"] = self.now()
        self.version += 1
        return member

    def _check_email_free(self, org_id: str, email: str, error_type: str) -> None:
        if (org_id, email.lower()) in self._live_email:
            raise ApiError(400, error_type, "A member with this email already exists in the organization.")

    def _check_external_free(self, org_id: str, external_id: str) -> None:
        if (org_id, external_id) in self._external:
            raise ApiError(
                400, "duplicate_member_external_id", "External ID is already used in the organization."
            )

    def create_member(self, org: Record, fields: Mapping[str, Any], roles: list[str]) -> Record:
        """A new member of ``org``; ``fields`` are Member fields from the request."""
        org_id, email = org["organization_id"], str(fields["email_address"])
        self._check_email_free(org_id, email, "duplicate_member_email")
        if fields.get("external_id"):
            self._check_external_free(org_id, fields["external_id"])
        now = self.now()
        member = normalize_member(
            {
                **fields,
                "organization_id": org_id,
                "member_id": new_id("member", self.env),
                "email_address_verified": False,
                "roles": assign_email_roles(assign_direct_roles([], roles), org, email),
                "created_at": now,
                "updated_at": now,
            },
            self.env,
            now,
        )
        self._index_member(member, keep_sorted=True)
        self.version += 1
        return member

    def update_member(self, member: Record, changes: Mapping[str, Any]) -> Record:
        """Apply an update request's fields (already type-checked) to a member."""
        org_id = member["organization_id"]
        changes = dict(changes)
        email = changes.pop("email_address", None)
        unlink = bool(changes.pop("unlink_email", False))
        roles = changes.pop("roles", None)
        external_id = changes.pop("external_id", None)
        if email is not None and email.lower() != member["email_address"].lower():
            self._check_email_free(org_id, email, "duplicate_member_email")
            old = member["email_address"]
            if not unlink:
                retired = {"email_id": new_id("member-email", self.env), "email_address": old}
                member["retired_email_addresses"].append(retired)
            self._live_email.pop((org_id, old.lower()), None)
            self._live_email[(org_id, email.lower())] = member["member_id"]
            self._email_members.setdefault(email.lower(), set()).add(member["member_id"])
            # Changing the email clears the password and needs re-verification.
            member.update(email_address=email, email_address_verified=False, member_password_id="")
            org = self.orgs[org_id]
            member["roles"] = assign_email_roles(member["roles"], org, email)
        if external_id is not None and external_id != member.get("external_id"):
            self._check_external_free(org_id, external_id)
            if member.get("external_id"):
                self._external.pop((org_id, member["external_id"]), None)
            self._external[(org_id, external_id)] = member["member_id"]
            member["external_id"] = external_id
        if roles is not None:
            member["roles"] = assign_direct_roles(member["roles"], roles)
        member.update(changes)
        member["is_admin"] = has_role(member["roles"], "stytch_admin")
        return self._touch(member)

    def delete_member(self, member: Record) -> Record:
        """Soft delete: the member stays, with status ``deleted``, and frees its email."""
        member["status"] = "deleted"
        self._live_email.pop((member["organization_id"], member["email_address"].lower()), None)
        return self._touch(member)

    def reactivate_member(self, member: Record) -> Record:
        """Bring a deleted member back to ``active``."""
        org_id = member["organization_id"]
        if member["status"] != "deleted":
            raise ApiError(400, "no_deleted_member_found_for_reactivation", "The member is not deleted.")
        if not member["email_address_verified"]:
            raise ApiError(
                400,
                "email_unverified_for_reactivation",
                "Only members with a verified email can be reactivated.",
            )
        self._check_email_free(
            org_id, member["email_address"], "reactivation_email_belongs_to_another_member"
        )
        member["status"] = "active"
        self._live_email[(org_id, member["email_address"].lower())] = member["member_id"]
        return self._touch(member)

    # -- organization writes -----------------------------------------------------------

    def _check_org_refs_free(self, org_id: str, slug: str | None, external_id: str | None) -> None:
        if slug is not None and self._org_by_slug.get(slug, org_id) != org_id:
            raise ApiError(400, "organization_slug_already_used", "This organization slug is already in use.")
        if external_id and self._org_by_external.get(external_id, org_id) != org_id:
            raise ApiError(
                400, "organization_external_id_already_used", "This external ID is already in use."
            )

    def create_organization(self, fields: Mapping[str, Any]) -> Record:
        """A new organization from a create request's (type-checked) fields."""
        now = self.now()
        org = normalize_organization({**fields, "created_at": now, "updated_at": now}, self.env, now)
        self._check_org_refs_free(
            org["organization_id"], org["organization_slug"], org["organization_external_id"]
        )
        org_id = org["organization_id"]
        self.orgs[org_id] = org
        insort(self._org_keys, sort_key(org, "organization_id"))
        self._org_by_slug[org["organization_slug"]] = org_id
        if org.get("organization_external_id"):
            self._org_by_external[org["organization_external_id"]] = org_id
        self._org_members[org_id] = []
        self.version += 1
        return org

    def update_organization(self, org: Record, changes: Mapping[str, Any]) -> Record:
        """Apply an update request's (type-checked) fields to an organization."""
        org_id = org["organization_id"]
        slug, external_id = changes.get("organization_slug"), changes.get("organization_external_id")
        self._check_org_refs_free(org_id, slug, external_id)
        if slug is not None and slug != org["organization_slug"]:
            del self._org_by_slug[org["organization_slug"]]
            self._org_by_slug[slug] = org_id
        if external_id is not None and external_id != org.get("organization_external_id"):
            if org.get("organization_external_id"):
                self._org_by_external.pop(org["organization_external_id"], None)
            if external_id:
                self._org_by_external[external_id] = org_id
        org.update(changes)
        return self._touch(org)

    def delete_organization(self, org: Record) -> list[Record]:
        """Remove an organization and, as Stytch does, all its members (returned).

        Organizations have no status: a deleted one is gone from gets and search alike.
        """
        org_id = org["organization_id"]
        members = [self.members.pop(key[1]) for key in self._org_members.pop(org_id, [])]
        for member in members:
            self._member_keys.pop(member["member_id"], None)
            email = member["email_address"].lower()
            self._live_email.pop((org_id, email), None)
            if member.get("external_id"):
                self._external.pop((org_id, member["external_id"]), None)
            holders = self._email_members.get(email)
            if holders is not None:
                holders.discard(member["member_id"])
                if not holders:
                    del self._email_members[email]
        del self.orgs[org_id]
        self._org_keys.remove(sort_key(org, "organization_id"))
        self._org_by_slug.pop(org["organization_slug"], None)
        if org.get("organization_external_id"):
            self._org_by_external.pop(org["organization_external_id"], None)
        for table in (self.sso, self.scim, self.scim_groups):
            table.pop(org_id, None)
        self.version += 1
        return members

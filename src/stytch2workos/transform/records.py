"""Pure mapping of Stytch organizations and members onto WorkOS requests.

One WorkOS user per email address (compared case-insensitively): a person who
is a member of several Stytch organizations becomes one user with several
memberships. Nothing here touches the network or the workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.transform.identity import email_key, is_valid_email
from stytch2workos.transform.metadata import LeftOut, org_metadata, user_metadata
from stytch2workos.transform.validate import (
    organization_name,
    person_name,
    usable_external_id,
)

MetadataValue = str


@dataclass(frozen=True)
class OrgRequest:
    source_id: str
    name: str
    external_id: str
    domains: tuple[tuple[str, str], ...]  # (domain, state)
    metadata: tuple[tuple[str, str], ...]
    metadata_left_out: tuple[LeftOut, ...] = ()  # what WorkOS could not take (transform/metadata.py)


@dataclass(frozen=True)
class UserRequest:
    email: str
    email_verified: bool
    first_name: str | None
    last_name: str | None
    external_id: str | None
    metadata: tuple[tuple[str, str], ...]
    metadata_left_out: tuple[LeftOut, ...] = ()  # what WorkOS could not take (transform/metadata.py)


@dataclass(frozen=True)
class Access:
    """A membership or an invitation for one Stytch member."""

    member_id: str
    organization_id: str  # Stytch organization id
    kind: Literal["membership", "invitation"]
    role_slugs: tuple[str, ...]


@dataclass(frozen=True)
class Skip:
    member_id: str
    organization_id: str
    reason: str
    detail: str = ""


SpecialKind = Literal["locked", "breakglass", "retired_emails"]


@dataclass(frozen=True)
class Special:
    """A migrated member the plan lists apart: WorkOS has no counterpart for what marks them."""

    member_id: str
    organization_id: str
    kind: SpecialKind
    count: int = 1  # retired addresses: how many


@dataclass(frozen=True)
class PersonPlan:
    key: str
    user: UserRequest | None  # None: nothing needs a WorkOS user yet (invitations only, or all skipped)
    access: tuple[Access, ...]
    skips: tuple[Skip, ...]
    email_variants: tuple[str, ...]  # distinct spellings of the address across members
    unmapped_roles: tuple[str, ...]
    special: tuple[Special, ...] = ()  # locked, break-glass, retired addresses, among migrated members


# The organization fields import and plan read; holding only these keeps memory small
# when a project has thousands of organizations.
ORG_FIELDS = (
    "organization_id",
    "organization_name",
    "organization_slug",
    "organization_external_id",
    "email_allowed_domains",
    "created_at",
    "trusted_metadata",
)


def slim_org(org: dict[str, Any]) -> dict[str, Any]:
    """Only the fields :func:`org_request` and the domain plan need."""
    return {k: org[k] for k in ORG_FIELDS if k in org}


def org_request(org: dict[str, Any], config: MigrationConfig) -> OrgRequest:
    """The WorkOS organization for a Stytch organization."""
    external_id = str(org["organization_id"])
    if config.org_external_id == "organization_external_id":
        # An organization without one keeps its Stytch id: every WorkOS organization the
        # tool creates needs an external id, which is what makes a repeated create harmless.
        external_id = usable_external_id(org.get("organization_external_id")) or external_id
    # Normalised before de-duplication: "Acme.example" and "acme.example " are one domain.
    names = dict.fromkeys(str(x).strip().lower() for x in org.get("email_allowed_domains") or [])
    domains = tuple((d, config.domain_state) for d in names if d)
    carried = org_metadata(org, config.metadata)
    return OrgRequest(
        org["organization_id"],
        organization_name(org),
        external_id,
        domains,
        carried.metadata,
        carried.left_out,
    )


def _explicit(role: dict[str, Any]) -> bool:
    return any(s.get("type") == "direct_assignment" for s in role.get("sources") or [])


def map_roles(member: dict[str, Any], config: MigrationConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """WorkOS role slugs for a member, in the role map's priority order, and unmapped role ids."""
    held = set()
    for role in member.get("roles") or []:
        role_id = str(role.get("role_id", ""))
        # stytch_member is granted to everyone, however it is recorded.
        if role_id and (not config.explicit_roles_only or role_id == "stytch_member" or _explicit(role)):
            held.add(role_id)
    # is_admin mirrors stytch_admin from any source, so it only stands in for a missing roles list;
    # otherwise it would bring back an implicit admin grant that explicit_only left out.
    if member.get("is_admin") and not member.get("roles"):
        held.add("stytch_admin")
    held.add("stytch_member")
    mapping = config.roles
    slugs = tuple(dict.fromkeys(slug for role_id, slug in config.role_map if role_id in held))
    unmapped = tuple(sorted(r for r in held if r not in mapping))
    if not config.multiple_roles:
        slugs = slugs[:1]
    return slugs, unmapped


def _sort_key(member: dict[str, Any]) -> tuple[str, str]:
    return (str(member.get("created_at") or ""), str(member["member_id"]))


def plan_person(
    members: Sequence[dict[str, Any]], config: MigrationConfig, in_scope: Iterable[str] | None = None
) -> PersonPlan:
    """What to do for every Stytch member sharing one email address."""
    scope = None if in_scope is None else set(in_scope)
    chosen = sorted((m for m in members if scope is None or m["organization_id"] in scope), key=_sort_key)
    key = email_key(str(chosen[0]["email_address"])) if chosen else ""
    variants = tuple(sorted({str(m["email_address"]).strip() for m in chosen}))
    access: list[Access] = []
    skips: list[Skip] = []
    unmapped: set[str] = set()
    valid = bool(chosen) and is_valid_email(key)
    for m in chosen:
        member_id, org_id, status = str(m["member_id"]), str(m["organization_id"]), m.get("status")
        if not valid:
            skips.append(Skip(member_id, org_id, "invalid_email", f"{key!r} is not an email address"))
            continue
        if status == "deleted":
            skips.append(Skip(member_id, org_id, "deleted", "member is deleted in Stytch"))
            continue
        policy = "import" if status == "active" else config.invited if status == "invited" else config.pending
        if status not in ("active", "invited", "pending"):
            skips.append(Skip(member_id, org_id, "unknown_status", f"status {status!r}"))
            continue
        if policy == "skip":
            skips.append(
                Skip(member_id, org_id, f"{status}_skipped", f"{status} members are skipped by config")
            )
            continue
        slugs, missing = map_roles(m, config)
        unmapped.update(missing)
        kind: Literal["membership", "invitation"] = "membership" if policy == "import" else "invitation"
        if kind == "invitation":
            slugs = slugs[:1]  # an invitation carries one role: the highest in the map's order
        access.append(Access(member_id, org_id, kind, slugs))
    user = None
    if any(a.kind == "membership" for a in access):
        user = _user_request(key, [m for m in chosen if m.get("status") != "deleted"], config)
    migrated = {a.member_id for a in access}
    special = _special([m for m in chosen if m["member_id"] in migrated])
    return PersonPlan(key, user, tuple(access), tuple(skips), variants, tuple(sorted(unmapped)), special)


def _special(members: list[dict[str, Any]]) -> tuple[Special, ...]:
    found: list[Special] = []
    for m in members:
        member_id, org_id = str(m["member_id"]), str(m["organization_id"])
        if m.get("is_locked") is True:
            found.append(Special(member_id, org_id, "locked"))
        if m.get("is_breakglass") is True:
            found.append(Special(member_id, org_id, "breakglass"))
        retired = m.get("retired_email_addresses")
        if isinstance(retired, list) and retired:
            found.append(Special(member_id, org_id, "retired_emails", len(retired)))
    return tuple(found)


def _user_request(key: str, members: list[dict[str, Any]], config: MigrationConfig) -> UserRequest:
    verified = any(bool(m.get("email_address_verified")) for m in members)
    # The most recently updated name WorkOS can take is the one the person last set.
    named = sorted(
        (m for m in members if person_name(m.get("name")) != (None, None)),
        key=lambda m: str(m.get("updated_at") or ""),
        reverse=True,
    )
    first, last = person_name(named[0]["name"]) if named else (None, None)
    external_ids = [e for m in members if (e := usable_external_id(m.get("external_id")))]
    primary = next((m for m in members if m.get("status") == "active"), members[0])
    # The member that speaks for the person first: its metadata wins a key several members have.
    carried = user_metadata([primary, *(m for m in members if m is not primary)], config.metadata)
    return UserRequest(
        key,
        verified,
        first,
        last,
        external_ids[0] if external_ids else None,
        carried.metadata,
        carried.left_out,
    )

"""Sync planning, pure: what the migration last applied (the baseline) against what the
latest Stytch records want (the desired values) gives the changes; the live WorkOS value of
one entity then decides, per field, whether a change is a write, nothing, or a conflict.

Values are plain JSON-able dicts, one shape per kind (what the workspace stores):

    organization  {"name", "domains": [[domain, state], ...]}            key: Stytch organization id
    user          {"email", "first_name", "last_name", "email_verified"}   key: email key
    membership    {"user", "organization", "status", "roles"}             key: Stytch member id
    invitation    {"state": "pending" | "revoked"}                        key: Stytch member id

A membership's ``status`` is ``active``, ``inactive`` (deactivated) or ``deleted``;
``user`` is the person's email key, so a member whose address changed shows up as a
membership whose user moved. Desired values come from the same transforms import uses
(:mod:`.transform.records`, :func:`.plan.domain_ownership`), so sync wants exactly what a
fresh import would create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from stytch2workos.config import MigrationConfig
from stytch2workos.plan import domain_ownership
from stytch2workos.transform.records import PersonPlan, org_request

Kind = Literal["organization", "user", "membership", "invitation"]
KINDS: tuple[Kind, ...] = ("organization", "user", "membership", "invitation")
Values = dict[str, Any]
Key = tuple[str, str]  # (kind, source key)
ConflictPolicy = Literal["report", "stytch", "workos", "stop"]

# Fields WorkOS cannot clear (the SDK omits a None name): an empty desired value is no change.
_UNCLEARABLE = frozenset({"first_name", "last_name"})
# Fields whose order carries no meaning in WorkOS.
_AS_SETS = frozenset({"roles", "domains"})


@dataclass(frozen=True)
class Desired:
    """What the Stytch records want, per kind and key (only what the records speak for)."""

    values: dict[Key, Values] = field(default_factory=dict)
    # Every member the snapshot holds, and those of them deleted in Stytch: a member absent
    # from the first or present in the second is gone (its membership and invitation end).
    known_members: frozenset[str] = frozenset()
    deleted_members: frozenset[str] = frozenset()

    def get(self, kind: str, key: str) -> Values | None:
        return self.values.get((kind, key))

    def gone(self, member_id: str) -> bool:
        return member_id in self.deleted_members or member_id not in self.known_members


def org_values(name: str, domains: Iterable[tuple[str, str]]) -> Values:
    return {"name": name, "domains": sorted([d, s] for d, s in domains)}


def desired_state(
    orgs: Iterable[dict[str, Any]],
    people: Iterable[PersonPlan],
    members: Iterable[tuple[str, str, str]],
    config: MigrationConfig,
) -> Desired:
    """The desired values of every organization and person in a snapshot.

    ``orgs`` are the snapshot's organizations, ``people`` its people as :func:`.plan.iter_people`
    gives them, ``members`` every member as ``(member id, organization id, status)``.
    """
    org_list = list(orgs)
    ownership = domain_ownership(org_list, config).domains
    values: dict[Key, Values] = {}
    for org in org_list:
        req = org_request(org, config)
        values[("organization", req.source_id)] = org_values(req.name, ownership[req.source_id])
    for person in people:
        if person.user is not None:
            u = person.user
            values[("user", person.key)] = {
                "email": person.key,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "email_verified": u.email_verified,
            }
        for access in person.access:
            if access.kind == "membership":
                values[("membership", access.member_id)] = {
                    "user": person.key,
                    "organization": access.organization_id,
                    "status": "active",
                    "roles": list(access.role_slugs),
                }
                values[("invitation", access.member_id)] = {"state": "revoked"}
            else:
                values[("invitation", access.member_id)] = {"state": "pending"}
    rows = list(members)
    known = frozenset(m for m, _, _ in rows)
    return Desired(values, known, frozenset(m for m, _, status in rows if status == "deleted"))


def _same(name: str, a: Any, b: Any) -> bool:
    if name in _AS_SETS and isinstance(a, list) and isinstance(b, list):
        return sorted(map(repr, a)) == sorted(map(repr, b))
    return bool(a == b)


def changed_fields(before: Values, after: Values) -> tuple[str, ...]:
    """The fields of ``after`` that differ from ``before`` (a name WorkOS cannot clear is no change)."""
    return tuple(
        f
        for f, v in after.items()
        if not (f in _UNCLEARABLE and v is None) and not _same(f, before.get(f), v)
    )


@dataclass(frozen=True)
class Change:
    """One entity to bring from its baseline to its desired values.

    ``action``: ``update`` (fields), ``rename`` (a user whose every member moved to a new
    address: the same WorkOS user takes it, and ``new_key``), ``move`` (a membership whose
    member now belongs to another person: it ends, and import makes the new one), ``end``
    (a membership whose member is gone: deactivated or deleted, per config), ``revoke``
    (an invitation no longer wanted).
    """

    kind: Kind
    key: str
    action: str
    fields: tuple[str, ...]
    before: Values
    after: Values
    new_key: str | None = None

    def describe(self) -> str:
        what = f"{self.kind} {self.key}"
        if self.action == "rename":
            return f"{what}: address → {self.new_key}"
        if self.action == "update":
            parts = [f"{f} {_show(self.before.get(f))} → {_show(self.after.get(f))}" for f in self.fields]
            return f"{what}: " + "; ".join(parts)
        return f"{what}: {self.action}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def end_status(deleted_members: str) -> str:
    """The membership status a gone member's membership is brought to."""
    return "deleted" if deleted_members == "delete" else "inactive"


def plan_changes(
    baseline: Mapping[Key, Values], desired: Desired, deleted_members: str = "deactivate"
) -> list[Change]:
    """Every change from ``baseline`` to ``desired``, for the entities the baseline holds.

    Entities without a baseline are not the migration's (or not yet created: import's work);
    entities the desired state does not speak for (skipped by config, say) are left alone,
    except memberships and invitations of members gone from Stytch, which end.
    """
    changes: list[Change] = []
    renames: dict[str, str] = {}  # old user key → new user key
    moved_from: dict[str, list[str]] = {}  # old user key → members that left it
    for (kind, key), before in sorted(baseline.items()):
        if kind != "membership" or before.get("status") == "deleted":
            continue
        after = desired.get(kind, key)
        if after is not None and after["user"] != before["user"]:
            moved_from.setdefault(str(before["user"]), []).append(key)
    users_now = {key for (kind, key) in desired.values if kind == "user"}
    known_users = {key for (kind, key) in baseline if kind == "user"}
    for old, members in sorted(moved_from.items()):
        targets = {str(desired.values[("membership", m)]["user"]) for m in members}
        # The same WorkOS user can take the new address only when nobody keeps the old one
        # and the new one is nobody's yet; anything else moves memberships between users.
        if old not in users_now and len(targets) == 1:
            (new,) = targets
            if new not in known_users and new not in renames.values() and ("user", old) in baseline:
                renames[old] = new
    for (kind, key), before in sorted(baseline.items()):
        after = desired.get(kind, key)
        if kind == "user":
            if key in renames:
                new = renames[key]
                target = desired.get("user", new) or {**before, "email": new}
                fields = changed_fields(before, target)
                changes.append(Change("user", key, "rename", fields, before, target, new))
            elif after is not None:
                fields = changed_fields(before, after)
                if fields:
                    changes.append(Change("user", key, "update", fields, before, after))
        elif kind == "membership":
            changes.extend(_membership_change(key, before, after, desired, renames, deleted_members))
        elif kind == "invitation":
            wanted = after or ({"state": "revoked"} if desired.gone(key) else None)
            if before.get("state") == "pending" and wanted is not None and wanted["state"] == "revoked":
                changes.append(Change("invitation", key, "revoke", ("state",), before, wanted))
        elif kind == "organization" and after is not None:
            fields = changed_fields(before, after)
            if fields:
                changes.append(Change("organization", key, "update", fields, before, after))
    return changes


def _membership_change(
    key: str,
    before: Values,
    after: Values | None,
    desired: Desired,
    renames: Mapping[str, str],
    deleted_members: str,
) -> list[Change]:
    status = before.get("status")
    if status == "deleted":
        return []  # deleted in WorkOS by this migration; a member who returns is import's to create
    if after is None:
        if not desired.gone(key):
            return []  # still in Stytch with a status import skips by config: left as it is
        end = end_status(deleted_members)
        if status == end:
            return []
        return [Change("membership", key, "end", ("status",), before, {**before, "status": end})]
    if after["user"] != before["user"] and renames.get(str(before["user"])) != after["user"]:
        return [Change("membership", key, "move", ("user",), before, after)]
    fields = changed_fields({**before, "user": after["user"]}, after)
    return [Change("membership", key, "update", fields, before, after)] if fields else []


# -- conflicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A field WorkOS changed after the migration wrote it: the live value is neither."""

    kind: Kind
    key: str
    field: str
    baseline: Any
    live: Any
    desired: Any
    resolution: str  # "reported" (skipped), "overwritten", "accepted" (WorkOS kept), "stopped"


@dataclass(frozen=True)
class Resolution:
    """What to send for one change, given the live entity, and the baseline to keep afterwards."""

    send: dict[str, Any]
    conflicts: tuple[Conflict, ...]
    baseline: Values  # the values recorded once ``send`` is applied


ABSENT = "(not in WorkOS)"


def resolve(change: Change, live: Values | None, policy: ConflictPolicy) -> Resolution:
    """Per changed field: already there (nothing to send), untouched since the migration wrote
    it (send the new value), or changed in WorkOS meanwhile (a conflict ``policy`` decides).

    ``live`` None: the entity is gone from WorkOS. Ending or revoking it is then done; any
    other change is a conflict that cannot be written (reported whatever the policy).
    """
    after = change.after
    if live is None:
        if change.action in ("end", "revoke", "move"):
            return Resolution({}, (), after)
        gone = tuple(
            Conflict(change.kind, change.key, f, change.before.get(f), ABSENT, after.get(f), "reported")
            for f in change.fields
        )
        return Resolution({}, gone, change.before)
    send: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    kept = dict(after)
    for name in change.fields:
        want, was, now = after.get(name), change.before.get(name), live.get(name)
        if _same(name, now, want):
            continue
        if _same(name, now, was) or name not in live:
            send[name] = want
            continue
        resolution = {"report": "reported", "stytch": "overwritten", "workos": "accepted", "stop": "stopped"}
        conflicts.append(Conflict(change.kind, change.key, name, was, now, want, resolution[policy]))
        if policy == "stytch":
            send[name] = want
        elif policy == "report":
            kept[name] = was  # reported again next time, until someone decides
    return Resolution(send, tuple(conflicts), kept)


def summarize(changes: Iterable[Change], examples: int = 5) -> dict[str, Any]:
    """Counts per kind and action, with a few described examples of each."""
    counts: dict[str, int] = {}
    shown: dict[str, list[str]] = {}
    for c in changes:
        label = f"{c.kind} {c.action}"
        counts[label] = counts.get(label, 0) + 1
        if len(shown.setdefault(label, [])) < examples:
            shown[label].append(c.describe())
    return {"counts": dict(sorted(counts.items())), "examples": dict(sorted(shown.items()))}

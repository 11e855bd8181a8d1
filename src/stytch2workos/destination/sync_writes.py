"""Sync's reads and writes of one WorkOS entity: its live values, in the shapes
:mod:`..plan_sync` compares, and the update, deactivate, delete or revoke that applies a
resolved change.

Every write here can be repeated: a PUT sets the same values again, deactivating an
inactive membership is a no-op, and a delete or revoke that finds the entity already gone
(404, ``invite_not_pending``) is done. A lost answer is therefore simply retried, and a
stopped run re-reads the live entity before deciding anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from workos.common.models.organization_domain_data_state import OrganizationDomainDataState
from workos.organization_membership import RoleMultiple, RoleSingle
from workos.organizations import OrganizationDomainData

from stytch2workos.destination.client import Bucket, WorkOSTarget
from stytch2workos.errors import Refused
from stytch2workos.plan_sync import Change, Values

T = TypeVar("T")


class SyncWrites:
    """Live reads and idempotent writes for sync, over one :class:`WorkOSTarget`."""

    def __init__(self, target: WorkOSTarget) -> None:
        self.target = target
        self.client = target.client

    def _get(self, bucket: Bucket, fn: Callable[[], T]) -> T | None:
        try:
            return self.target.call(bucket, fn)
        except Refused as exc:
            if exc.failure.status == 404:
                return None
            raise

    def _done(self, bucket: Bucket, fn: Callable[[], object], *gone_codes: str) -> None:
        """A write with no answer worth reading; already gone (404, or a code) counts as done."""

        def send() -> bool:
            fn()
            return True  # the SDK returns None for an empty body, which `once` calls unreadable

        try:
            self.target.call(bucket, send)
        except Refused as exc:
            if exc.failure.status == 404 or (gone_codes and not exc.codes.isdisjoint(gone_codes)):
                return
            raise

    # -- live values --------------------------------------------------------------------

    def live(self, change: Change, target_id: str) -> Values | None:
        """The entity's live values in the baseline's shape; None when WorkOS no longer has it."""
        if change.kind == "user":
            user = self._get("read", lambda: self.client.user_management.get_user(target_id))
            if user is None:
                return None
            return {
                "email": str(user.email).strip().lower(),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email_verified": bool(user.email_verified),
            }
        if change.kind == "membership":
            oms = self.client.organization_membership
            membership = self._get("read", lambda: oms.get_organization_membership(target_id))
            if membership is None:
                return None
            return {
                "status": _value(membership.status),
                "roles": [str(r.slug) for r in membership.roles or []],
            }
        if change.kind == "invitation":
            invitation = self._get("read", lambda: self.client.user_management.get_invitation(target_id))
            if invitation is None:
                return None
            # Accepted, expired or revoked: no longer pending is all that matters here.
            return {"state": "pending" if _value(invitation.state) == "pending" else "revoked"}
        org = self._get("general", lambda: self.client.organizations.get_organization(target_id))
        if org is None:
            return None
        before = {str(d): str(s) for d, s in change.before.get("domains", [])}
        domains = []
        for d in org.domains:
            state = _value(d.state)
            # A domain the customer verified since is progress, not a conflicting edit.
            if state == "verified" and before.get(d.domain) == "pending":
                state = "pending"
            domains.append([d.domain, state])
        return {"name": org.name, "domains": sorted(domains), "_verified": _verified(org.domains)}

    # -- writes -------------------------------------------------------------------------

    def apply(self, change: Change, target_id: str, send: dict[str, Any], live: Values | None) -> None:
        """Send what :func:`..plan_sync.resolve` decided for ``change``."""
        if not send:
            return
        if change.kind == "user":
            self._user(target_id, send)
        elif change.kind == "membership":
            self._membership(change, target_id, send)
        elif change.kind == "invitation":
            um = self.client.user_management
            self._done("write", lambda: um.revoke_invitation(target_id), "invite_not_pending")
        else:
            self._organization(target_id, send, live)

    def _user(self, user_id: str, send: dict[str, Any]) -> None:
        um = self.client.user_management
        kwargs: dict[str, Any] = {k: send[k] for k in ("email", "first_name", "last_name") if send.get(k)}
        if "email_verified" in send:
            kwargs["email_verified"] = bool(send["email_verified"])
        elif "email" in send:
            # WorkOS starts a new address unverified; say what Stytch says about it.
            kwargs["email_verified"] = bool(send.get("email_verified", False))
        self.target.call("write", lambda: um.update_user(user_id, **kwargs))

    def _membership(self, change: Change, membership_id: str, send: dict[str, Any]) -> None:
        oms = self.client.organization_membership
        status = send.get("status")
        if change.action == "move" or status == "deleted":
            self._done("write", lambda: oms.delete_organization_membership(membership_id))
            return
        if status == "inactive":
            self.target.call("write", lambda: oms.deactivate_organization_membership(membership_id))
            return
        if status == "active":
            self.target.call("write", lambda: oms.reactivate_organization_membership(membership_id))
        if "roles" in send:
            slugs = [str(s) for s in send["roles"]]
            self._roles(membership_id, slugs)

    def _roles(self, membership_id: str, slugs: list[str]) -> None:
        oms = self.client.organization_membership

        def put(sent: list[str]) -> None:
            role: RoleSingle | RoleMultiple | None = None
            if len(sent) == 1:
                role = RoleSingle(role_slug=sent[0])
            elif sent:
                role = RoleMultiple(role_slugs=sent)
            self.target.call("write", lambda: oms.update_organization_membership(membership_id, role=role))

        try:
            put(slugs)
        except Refused as exc:
            # One role per membership in this environment: the first by the role map's order.
            if len(slugs) < 2 or "multiple_roles_not_enabled" not in exc.codes:
                raise
            put(slugs[:1])

    def _organization(self, org_id: str, send: dict[str, Any], live: Values | None) -> None:
        orgs = self.client.organizations
        kwargs: dict[str, Any] = {}
        if "name" in send:
            kwargs["name"] = send["name"]
        if "domains" in send:
            verified = set(live.get("_verified", ())) if live else set()
            kwargs["domain_data"] = [
                OrganizationDomainData(
                    domain=d, state=OrganizationDomainDataState("verified" if d in verified else s)
                )
                for d, s in send["domains"]
            ]
        self.target.call("general", lambda: orgs.update_organization(org_id, **kwargs))


def _value(value: Any) -> str:
    """An SDK enum's value (the SDK gives enums for some fields, strings for others)."""
    return str(getattr(value, "value", value))


def _verified(domains: Any) -> list[str]:
    return [d.domain for d in domains if _value(d.state) == "verified"]

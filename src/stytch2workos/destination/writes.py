"""Idempotent writes to WorkOS: each create makes the entity, or finds the one already there.

A write whose outcome is unknown is never sent again blindly. Its answer may have
been lost (a timeout, a dropped connection, a 5xx that can follow a commit), been
unreadable (a 2xx the SDK could not parse), or the run may have stopped while it
was on the wire (the ledger says ``sending``). Then the entity is looked up first —
an organization by external id, a user by email, a membership by user and
organization, a pending invitation by email and organization — and sent again only
if it is not there. Only a 429 says for certain that nothing was applied.

The conflicts a repeated create produces (``email_not_available``,
``external_id_already_used``, a 409) stay a second line of defence, for entities
made outside this run.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from workos.common.models.organization_domain_data_state import OrganizationDomainDataState
from workos.organization_membership import RoleMultiple, RoleSingle
from workos.organizations import OrganizationDomainData
from workos.user_management import PasswordHashed

from stytch2workos.destination.client import Bucket, WorkOSTarget
from stytch2workos.errors import Refused, Retryable, Unreadable
from stytch2workos.transform.records import OrgRequest, UserRequest


@dataclass(frozen=True)
class Outcome:
    """The WorkOS id a write produced, and how: ``created``, ``reused`` or ``recovered``.

    ``recovered``: found after a write of this migration whose outcome was unknown, so
    most likely made by it.
    """

    target_id: str
    status: str = "created"
    # More for the ledger row: e.g. ``narrowed`` with the role slugs left off in ``detail``.
    code: str | None = None
    detail: str | None = None

    @property
    def reused(self) -> bool:
        return self.status != "created"


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def hash_secrets(password_hash: str) -> tuple[str, ...]:
    """A hash string and its salt and digest fields, to keep out of any message WorkOS sends back."""
    return (password_hash, *(part for part in re.split(r"[$,=]", password_hash) if len(part) >= 8))


class Writes:
    """The idempotent creates import runs, over one :class:`WorkOSTarget`."""

    def __init__(self, target: WorkOSTarget) -> None:
        self.target = target
        # Set once WorkOS refuses several roles on one membership (Multiple Roles is off; no
        # API tells): every later membership of the run is sent with one. Shared by workers.
        self.single_role = threading.Event()

    def _write(
        self,
        bucket: Bucket,
        send: Callable[[], _HasId | None],
        lookup: Callable[[], str | None],
        *,
        unknown: bool,
        secrets: tuple[str, ...] = (),
    ) -> Outcome:
        """Send ``send`` under the retry policy, looking up before any resend of an unknown outcome."""
        maybe_applied = unknown

        def attempt() -> Outcome:
            nonlocal maybe_applied
            if maybe_applied:
                found = lookup()
                if found is not None:
                    return Outcome(found, "recovered")
            try:
                return Outcome(str(self.target.once(send, secrets).id))
            except Retryable as exc:
                maybe_applied = maybe_applied or exc.failure.status != 429
                raise

        try:
            return self.target.pacer.call(attempt, *self.target.buckets(bucket))
        except Unreadable as exc:
            found = lookup()
            if found is not None:
                return Outcome(found, "recovered")
            note = "; it is not in WorkOS afterwards, and nothing was sent again"
            raise Unreadable(replace(exc.failure, message=exc.failure.message + note)) from None

    def ensure_organization(
        self, req: OrgRequest, domains: tuple[tuple[str, str], ...] | None = None, *, unknown: bool = False
    ) -> Outcome:
        """Create the organization, or return the one that already has its external id."""
        orgs = self.target.client.organizations
        domain_data = [
            OrganizationDomainData(domain=d, state=OrganizationDomainDataState(s))
            for d, s in (req.domains if domains is None else domains)
        ]
        external_id = req.external_id

        def lookup() -> str | None:
            # Without an external id there is nothing to find it by (the config always sets one).
            return self.target.find_organization(external_id) if external_id else None

        try:
            return self._write(
                "general",
                lambda: orgs.create_organization(
                    name=req.name,
                    domain_data=domain_data or None,
                    external_id=external_id,
                    metadata=dict(req.metadata),
                ),
                lookup,
                unknown=unknown,
            )
        except Refused as exc:
            # Made before this run: refused for its external id, or (if checked first) with a
            # 409 for the domain it verified.
            if external_id and ("external_id_already_used" in exc.codes or exc.failure.status == 409):
                found = lookup()
                if found is not None:
                    return Outcome(found, "reused")
            raise

    def ensure_user(
        self, req: UserRequest, password: PasswordHashed | None = None, *, unknown: bool = False
    ) -> Outcome:
        """Create the user, or return the existing user with the same email address."""
        um = self.target.client.user_management
        secrets = hash_secrets(password.password_hash) if password is not None else ()

        def create(external_id: str | None, unknown: bool) -> Outcome:
            return self._write(
                "write",
                lambda: um.create_user(
                    email=req.email,
                    first_name=req.first_name,
                    last_name=req.last_name,
                    email_verified=req.email_verified,
                    external_id=external_id,
                    metadata=dict(req.metadata),
                    password=password,
                ),
                lambda: self.target.find_user(req.email),
                unknown=unknown,
                secrets=secrets,
            )

        try:
            return create(req.external_id, unknown)
        except Refused as exc:
            if "email_not_available" in exc.codes:
                return self._existing_user(req.email, exc)
            if not (req.external_id and "external_id_already_used" in exc.codes):
                raise
        # Stytch external ids are unique per organization only; another person may already
        # hold this one in WorkOS. The person is still migrated, without it.
        try:
            return create(None, False)
        except Refused as exc:
            if "email_not_available" in exc.codes:
                return self._existing_user(req.email, exc)
            raise

    def _existing_user(self, email: str, refusal: Refused) -> Outcome:
        existing = self.target.find_user(email)
        if existing is None:
            raise refusal
        return Outcome(existing, "reused")

    def ensure_membership(
        self, user_id: str, organization_id: str, slugs: tuple[str, ...], *, unknown: bool = False
    ) -> Outcome:
        """Create the membership, or return the one the user already has in the organization.

        ``slugs`` are in the role map's priority order. When the environment takes one role
        per membership (422 ``multiple_roles_not_enabled``: a definitive refusal, nothing was
        applied) the membership is sent again with the first, and the outcome says
        ``narrowed`` with the slugs left off.
        """
        oms = self.target.client.organization_membership
        found_roles: list[str] = []

        def lookup() -> str | None:
            found = self.target.find_membership(user_id, organization_id)
            if found is None:
                return None
            found_roles[:] = [str(r.slug) for r in found.roles or []]
            return str(found.id)

        def create(sent: tuple[str, ...], unknown: bool) -> Outcome:
            role: RoleSingle | RoleMultiple | None = None
            if len(sent) == 1:
                role = RoleSingle(role_slug=sent[0])
            elif sent:
                role = RoleMultiple(role_slugs=list(sent))
            try:
                return self._write(
                    "write",
                    lambda: oms.create_organization_membership(
                        user_id=user_id, organization_id=organization_id, role=role
                    ),
                    lookup,
                    unknown=unknown,
                )
            except Refused as exc:
                # The duplicate's answer is not documented: 409, or a message saying "already".
                if exc.failure.status == 409 or "already" in exc.failure.message.lower():
                    found = lookup()
                    if found is not None:
                        return Outcome(found, "reused")
                raise

        sent = slugs[:1] if self.single_role.is_set() else slugs
        try:
            outcome = create(sent, unknown)
        except Refused as exc:
            if len(sent) < 2 or "multiple_roles_not_enabled" not in exc.codes:
                raise
            self.single_role.set()
            sent = slugs[:1]
            outcome = create(sent, False)
        if outcome.status == "recovered" and found_roles:
            # Made by an earlier run that stopped before recording it: it may have been narrowed.
            sent = tuple(s for s in slugs if s in found_roles)
        dropped = [s for s in slugs if s not in sent]
        if outcome.status == "reused" or not dropped:
            return outcome
        return replace(
            outcome, code="narrowed", detail=f"kept {', '.join(sent)}; left off {', '.join(dropped)}"
        )

    def ensure_invitation(
        self, email: str, organization_id: str, role_slug: str | None, *, unknown: bool = False
    ) -> Outcome:
        """Send the invitation, or return the pending one already sent.

        An invitation is an email to a person: after an unknown outcome the pending
        invitation is looked for first, whether or not WorkOS would refuse a repeat.
        """
        um = self.target.client.user_management
        try:
            return self._write(
                "write",
                lambda: um.send_invitation(email=email, organization_id=organization_id, role_slug=role_slug),
                lambda: self.target.find_invitation(email, organization_id),
                unknown=unknown,
            )
        except Refused as exc:
            if "email_already_invited_to_organization" in exc.codes:
                found = self.target.find_invitation(email, organization_id)
                if found is not None:
                    return Outcome(found, "reused")
            raise

    def set_password_hash(self, user_id: str, password_hash: str, hash_type: str) -> None:
        """Set a user's password hash; repeating it is harmless, so it is simply retried."""
        um = self.target.client.user_management
        hashed = PasswordHashed(password_hash=password_hash, password_hash_type=hash_type)
        self.target.call(
            "write", lambda: um.update_user(user_id, password=hashed), hash_secrets(password_hash)
        )

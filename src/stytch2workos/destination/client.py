"""The WorkOS side: the official ``workos`` SDK under the project's pacing.

The SDK's own retries are turned off (``max_retries=0``): there is exactly one
retry layer, :class:`~..pacing.Pacer`, which also paces every call under
WorkOS's published budgets — ``/user_management/*`` writes and reads, and the
general per-key budget that every request counts against.

Every create is idempotent by construction: on the conflict that a repeated
write produces (an email, external id, membership or invitation that already
exists) the existing object is looked up and returned instead. This is also how
a write that succeeded but whose response was lost is recognised on retry.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, TypeVar, runtime_checkable

from workos import (
    AuthenticationError,
    AuthorizationError,
    RateLimitExceededError,
    SyncPage,
    TransportConnectError,
    TransportTimeout,
    WorkOSClient,
    WorkOSError,
)
from workos.common.models.organization_domain_data_state import OrganizationDomainDataState
from workos.organization_membership import RoleMultiple, RoleSingle, UserOrganizationMembership
from workos.organizations import Organization, OrganizationDomainData
from workos.user_management import PasswordHashed, User, UserCreateResponse

from stytch2workos.config import Pacing
from stytch2workos.errors import AuthError, Failure, Refused, Retryable, clip
from stytch2workos.pacing import (
    DEFAULT_POLICY,
    RETRYABLE_STATUSES,
    Budget,
    Pacer,
    RetryPolicy,
    TokenBucket,
    bucket_for,
)
from stytch2workos.settings import WorkOSCredentials
from stytch2workos.transform.records import OrgRequest, UserRequest


class FromDict(Protocol):
    """What the SDK's models share: built from a response's JSON."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...


@runtime_checkable
class APIError(Protocol):
    """The fields every WorkOS API error carries (the SDK's own base class for them is private)."""

    @property
    def status_code(self) -> int | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def code(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def errors(self) -> Any: ...
    @property
    def response_json(self) -> Any: ...


T = TypeVar("T")
Item = TypeVar("Item", bound=FromDict)
Bucket = Literal["write", "read", "general"]
DEFAULT_PACING = Pacing()


@dataclass(frozen=True)
class Outcome:
    """The WorkOS id a write produced, and whether it already existed."""

    target_id: str
    reused: bool


def error_codes(exc: APIError) -> frozenset[str]:
    """Every code in a WorkOS error body: the top-level one and each nested ``errors[].code``."""
    codes = {c for c in (exc.code, exc.error) if c}
    for item in exc.errors if isinstance(exc.errors, list) else []:
        if isinstance(item, dict) and item.get("code"):
            codes.add(str(item["code"]))
    return frozenset(codes)


def failure_of(exc: APIError) -> Failure:
    """What WorkOS said, including the first nested error code when there is one.

    The message is taken from a JSON error body only: for any other body the SDK's
    message is the raw response text (a proxy's HTML page, or a debugging server
    echoing the request and its Authorization header), which is never shown.
    """
    code = exc.code or exc.error
    errors = exc.errors if isinstance(exc.errors, list) else []
    if errors and isinstance(errors[0], dict) and errors[0].get("code"):
        code = f"{code}:{errors[0]['code']}" if code else str(errors[0]["code"])
    retry_after = exc.retry_after if isinstance(exc, RateLimitExceededError) else None
    body = exc.response_json if isinstance(exc.response_json, dict) else None
    if body is None:
        message = "the response was not a WorkOS JSON error"
    else:
        text = body.get("message") or body.get("error_description") or body.get("error")
        message = clip(str(text)) if text else "request failed"
    return Failure("WorkOS", exc.status_code, code, message, exc.request_id, retry_after)


def hash_secrets(password_hash: str) -> tuple[str, ...]:
    """A hash string and its salt and digest fields, to keep out of any message WorkOS sends back."""
    return (password_hash, *(part for part in re.split(r"[$,=]", password_hash) if len(part) >= 8))


def _auth_failure(exc: APIError) -> Failure:
    # The SDK's own text for a 401 is just "Unauthorized"; say which setting to check.
    hint = (
        "the API key was refused; check WORKOS_API_KEY (and WORKOS_BASE_URL)"
        if exc.status_code == 401
        else "the API key may not do this; check its permissions in the WorkOS dashboard"
    )
    base = failure_of(exc)
    return Failure(base.service, base.status, base.code, hint, base.request_id)


class WorkOSTarget:
    """Paced, retried, idempotent access to one WorkOS environment."""

    def __init__(
        self,
        credentials: WorkOSCredentials,
        pacing: Pacing = DEFAULT_PACING,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[Retryable, float], None] | None = None,
    ) -> None:
        self.client = WorkOSClient(
            api_key=credentials.api_key,
            client_id=credentials.client_id,
            base_url=credentials.base_url,
            max_retries=0,
            request_timeout=max(1, math.ceil(pacing.timeout)),  # the SDK takes whole seconds
        )
        self._buckets: dict[Bucket, TokenBucket] = {
            "write": bucket_for(Budget("user_management_writes", pacing.writes_per_10s, 10.0), pacing.safety),
            "read": bucket_for(Budget("user_management_reads", pacing.reads_per_10s, 10.0), pacing.safety),
            "general": bucket_for(Budget("general", pacing.general_per_60s, 60.0), pacing.safety),
        }
        self.pacer = Pacer(None, policy, sleep=sleep, on_retry=on_retry)
        self._api_key = credentials.api_key

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WorkOSTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def failure(self, exc: WorkOSError, *secrets: str) -> Failure:
        """What went wrong, with the API key and ``secrets`` (what the request sent) removed."""
        if isinstance(exc, APIError):
            failure = failure_of(exc)
        else:
            # "Connection failed: …", "Network error: …", an unparseable (cut-off) response.
            network = isinstance(exc.__cause__, TransportConnectError | TransportTimeout)
            code = "network_error" if network else None
            failure = Failure("WorkOS", None, code or "transport_error", clip(str(exc)))
        return failure.redacted((self._api_key, *secrets))

    def call(self, bucket: Bucket, fn: Callable[[], T], secrets: tuple[str, ...] = ()) -> T:
        """Run one SDK call, paced under ``bucket`` and the general budget, retried.

        ``secrets`` are values the request carries that WorkOS must not see echoed
        back into a message, the ledger or the terminal (a password hash).
        """
        buckets = (
            [self._buckets["general"]]
            if bucket == "general"
            else [self._buckets[bucket], self._buckets["general"]]
        )

        def attempt() -> T:
            try:
                return fn()
            except (AuthenticationError, AuthorizationError) as exc:
                raise AuthError(_auth_failure(exc)) from None
            except WorkOSError as exc:
                if not isinstance(exc, APIError):
                    raise Retryable(self.failure(exc, *secrets)) from None
                if isinstance(exc, RateLimitExceededError) or exc.status_code in RETRYABLE_STATUSES:
                    raise Retryable(self.failure(exc, *secrets)) from None
                raise Refused(self.failure(exc, *secrets), error_codes(exc)) from None

        return self.pacer.call(attempt, *buckets)

    # -- reads ----------------------------------------------------------------------

    def environment_roles(self) -> set[str]:
        roles = self.call("general", lambda: self.client.authorization.list_environment_roles())
        return {r.slug for r in roles.data}

    def iter_pages(self, bucket: Bucket, fetch: Callable[[str | None], SyncPage[Item]]) -> Iterator[Item]:
        """Every item of a paginated list, following ``after`` cursors."""
        after: str | None = None
        while True:
            page = self.call(bucket, functools.partial(fetch, after))
            yield from page.data
            after = page.list_metadata.after
            if not after or not page.data:
                return

    def all_organizations(self) -> Iterator[Organization]:
        orgs = self.client.organizations
        return self.iter_pages("general", lambda a: orgs.list_organizations(limit=100, after=a, order="asc"))

    def all_users(self) -> Iterator[User]:
        um = self.client.user_management
        return self.iter_pages("read", lambda a: um.list_users(limit=100, after=a, order="asc"))

    def find_user(self, email: str) -> str | None:
        page = self.call("read", lambda: self.client.user_management.list_users(email=email, limit=1))
        return str(page.data[0].id) if page.data else None

    def find_membership(self, user_id: str, organization_id: str) -> UserOrganizationMembership | None:
        oms = self.client.organization_membership
        page = self.call(
            "read",
            lambda: oms.list_organization_memberships(
                user_id=user_id, organization_id=organization_id, statuses=["active", "inactive", "pending"]
            ),
        )
        return page.data[0] if page.data else None

    def find_invitation(self, email: str, organization_id: str) -> str | None:
        um = self.client.user_management
        for invitation in self.iter_pages(
            "read",
            lambda a: um.list_invitations(email=email, organization_id=organization_id, limit=100, after=a),
        ):
            if invitation.state == "pending":
                return str(invitation.id)
        return None

    # -- idempotent writes --------------------------------------------------------------

    def ensure_organization(
        self, req: OrgRequest, domains: tuple[tuple[str, str], ...] | None = None
    ) -> Outcome:
        """Create the organization, or return the one that already has its external id."""
        orgs = self.client.organizations
        domain_data = [
            OrganizationDomainData(domain=d, state=OrganizationDomainDataState(s))
            for d, s in (req.domains if domains is None else domains)
        ]
        try:
            org = self.call(
                "general",
                lambda: orgs.create_organization(
                    name=req.name,
                    domain_data=domain_data or None,
                    external_id=req.external_id,
                    metadata=dict(req.metadata),
                ),
            )
            return Outcome(str(org.id), False)
        except Refused as exc:
            # A repeat of a create that went through is refused for its external id, or (if
            # checked first) with a 409 for the domain it verified: both mean "look it up".
            if req.external_id and ("external_id_already_used" in exc.codes or exc.failure.status == 409):
                try:
                    found = self.call(
                        "general", lambda: orgs.get_organization_by_external_id(req.external_id or "")
                    )
                except Refused:
                    raise exc from None
                return Outcome(str(found.id), True)
            raise

    def ensure_user(self, req: UserRequest, password: PasswordHashed | None = None) -> Outcome:
        """Create the user, or return the existing user with the same email address."""
        um = self.client.user_management
        secrets = hash_secrets(password.password_hash) if password is not None else ()

        def create(external_id: str | None) -> UserCreateResponse:
            return self.call(
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
                secrets,
            )

        try:
            return Outcome(str(create(req.external_id).id), False)
        except Refused as exc:
            if "email_not_available" in exc.codes:
                # Already there: made by an earlier attempt whose answer was lost, or before us.
                return self._existing_user(req.email, exc)
            if not (req.external_id and "external_id_already_used" in exc.codes):
                raise
        # Stytch external ids are unique per organization only; another person may already
        # hold this one in WorkOS. The person is still migrated, without it.
        try:
            return Outcome(str(create(None).id), False)
        except Refused as exc:
            if "email_not_available" in exc.codes:
                return self._existing_user(req.email, exc)
            raise

    def _existing_user(self, email: str, refusal: Refused) -> Outcome:
        existing = self.find_user(email)
        if existing is None:
            raise refusal
        return Outcome(existing, True)

    def ensure_membership(self, user_id: str, organization_id: str, slugs: tuple[str, ...]) -> Outcome:
        """Create the membership, or return the one the user already has in the organization."""
        oms = self.client.organization_membership
        role: RoleSingle | RoleMultiple | None = None
        if len(slugs) == 1:
            role = RoleSingle(role_slug=slugs[0])
        elif slugs:
            role = RoleMultiple(role_slugs=list(slugs))
        try:
            om = self.call(
                "write",
                lambda: oms.create_organization_membership(
                    user_id=user_id, organization_id=organization_id, role=role
                ),
            )
            return Outcome(str(om.id), False)
        except Refused as exc:
            # The duplicate's answer is not documented: 409, or a message saying "already".
            if exc.failure.status == 409 or "already" in exc.failure.message.lower():
                found = self.find_membership(user_id, organization_id)
                if found is not None:
                    return Outcome(str(found.id), True)
            raise

    def ensure_invitation(self, email: str, organization_id: str, role_slug: str | None) -> Outcome:
        """Send the invitation, or return the pending one already sent."""
        um = self.client.user_management
        try:
            inv = self.call(
                "write",
                lambda: um.send_invitation(email=email, organization_id=organization_id, role_slug=role_slug),
            )
            return Outcome(str(inv.id), False)
        except Refused as exc:
            if "email_already_invited_to_organization" in exc.codes:
                found = self.find_invitation(email, organization_id)
                if found is not None:
                    return Outcome(found, True)
            raise

    def set_password_hash(self, user_id: str, password_hash: str, hash_type: str) -> None:
        um = self.client.user_management
        hashed = PasswordHashed(password_hash=password_hash, password_hash_type=hash_type)
        self.call("write", lambda: um.update_user(user_id, password=hashed), hash_secrets(password_hash))

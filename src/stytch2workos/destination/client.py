"""The WorkOS side: the official ``workos`` SDK under the project's pacing.

The SDK's own retries are turned off (``max_retries=0``): there is exactly one
retry layer, :class:`~..pacing.Pacer`, which also paces every call under
WorkOS's published budgets — ``/user_management/*`` writes and reads, organization
deletes (their own 50 per 60 s), and the general per-key budget that every request
counts against.

Reads and the translation of every SDK failure live here; the idempotent writes
built on them are in :mod:`.writes`.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable, Iterator
from importlib import metadata
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
from workos.organization_membership import UserOrganizationMembership
from workos.organizations import Organization
from workos.user_management import User

from stytch2workos.config import Pacing
from stytch2workos.errors import AuthError, Failure, Refused, Retryable, Unreadable, clip
from stytch2workos.pacing import (
    DEFAULT_POLICY,
    ORGANIZATION_DELETES,
    RETRYABLE_STATUSES,
    Budget,
    Pacer,
    RetryPolicy,
    TokenBucket,
    bucket_for,
)
from stytch2workos.settings import WorkOSCredentials


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
Bucket = Literal["write", "read", "general", "organization_delete"]
DEFAULT_PACING = Pacing()


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


def _auth_failure(exc: APIError) -> Failure:
    # The SDK's own text for a 401 is just "Unauthorized"; say which setting to check.
    hint = (
        "the API key was refused; check WORKOS_API_KEY (and WORKOS_BASE_URL)"
        if exc.status_code == 401
        else "the API key may not do this; check its permissions in the WorkOS dashboard"
    )
    base = failure_of(exc)
    return Failure(base.service, base.status, base.code, hint, base.request_id)


_PARSING = re.compile(r"while parsing (\w+)")


def _unreadable_failure(what: str) -> Failure:
    return Failure(
        "WorkOS",
        None,
        "unreadable_response",
        f"{what}; the installed workos SDK ({_sdk_version()}) may not match the API",
    )


def unreadable_answer(exc: WorkOSError) -> Failure | None:
    """The failure to report when ``exc`` is the SDK failing to read a 2xx answer, else None.

    The SDK wraps a model's missing field (KeyError) or bad value (ValueError) as a plain
    WorkOSError "Unexpected API response while parsing <Model>: …"; its cause names the field.
    """
    cause = exc.__cause__
    if not isinstance(cause, KeyError | ValueError | TypeError):
        return None
    found = _PARSING.search(str(exc))
    model = found.group(1) if found else "the answer"
    if isinstance(cause, KeyError) and cause.args:
        detail = f"{model} lacks the field {str(cause.args[0])[:60]!r}"
    else:
        detail = f"{model} holds a value the SDK does not know"
    return _unreadable_failure(f"WorkOS answered, but {detail}")


@functools.cache
def _sdk_version() -> str:
    try:
        return metadata.version("workos")
    except metadata.PackageNotFoundError:
        return "unknown version"


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
        organization_deletes: Budget = ORGANIZATION_DELETES,
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
            "organization_delete": bucket_for(organization_deletes, pacing.safety),
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
            if network:
                # One line naming the address and the cause, without the HTTP library's classes.
                from stytch2workos.causes import unreachable

                message = unreachable(str(self.client.base_url), exc)
                failure = Failure("WorkOS", None, "network_error", message)
            else:
                failure = Failure("WorkOS", None, "transport_error", clip(str(exc)))
        return failure.redacted((self._api_key, *secrets))

    def call(self, bucket: Bucket, fn: Callable[[], T], secrets: tuple[str, ...] = ()) -> T:
        """Run one SDK call, paced under ``bucket`` and the general budget, retried.

        ``secrets`` are values the request carries that WorkOS must not see echoed
        back into a message, the ledger or the terminal (a password hash).
        """
        return self.pacer.call(lambda: self.once(fn, secrets), *self.buckets(bucket))

    def buckets(self, bucket: Bucket) -> list[TokenBucket]:
        """The buckets one request of ``bucket`` takes: its own and the general per-key budget."""
        general = self._buckets["general"]
        return [general] if bucket == "general" else [self._buckets[bucket], general]

    def once(self, fn: Callable[[], T | None], secrets: tuple[str, ...] = ()) -> T:
        """One attempt of an SDK call, its failure translated into the tool's vocabulary.

        Raises :class:`Retryable` (429, 5xx, network), :class:`AuthError`, :class:`Refused`
        (another 4xx) or :class:`Unreadable` (a 2xx the SDK could not read: never retried).
        """
        try:
            result = fn()
        except (AuthenticationError, AuthorizationError) as exc:
            raise AuthError(_auth_failure(exc)) from None
        except WorkOSError as exc:
            if not isinstance(exc, APIError):
                unreadable = unreadable_answer(exc)
                if unreadable is not None:
                    raise Unreadable(unreadable) from None
                raise Retryable(self.failure(exc, *secrets)) from None
            if isinstance(exc, RateLimitExceededError) or exc.status_code in RETRYABLE_STATUSES:
                raise Retryable(self.failure(exc, *secrets)) from None
            raise Refused(self.failure(exc, *secrets), error_codes(exc)) from None
        if result is None:
            # The SDK hands back None for an empty or non-JSON body where a model was expected.
            raise Unreadable(_unreadable_failure("the answer was empty or not JSON"))
        return result

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

    def find_organization(self, external_id: str) -> str | None:
        orgs = self.client.organizations
        try:
            found = self.call("general", lambda: orgs.get_organization_by_external_id(external_id))
        except Refused as exc:
            if exc.failure.status == 404:
                return None
            raise
        return str(found.id)

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

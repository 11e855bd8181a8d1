"""The Stytch side: the official ``stytch`` SDK with timeouts, pacing and retries.

The SDK sets no timeout, never retries, hides response headers and parses bodies
into models that drop fields they do not know. So it gets a ``requests`` session
that adds a timeout and keeps each thread's last raw response: the snapshot
stores the JSON exactly as Stytch sent it, and ``Retry-After`` is honoured when
present. Every call runs through the project's one :class:`~..pacing.Pacer`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
import requests
from stytch import B2BClient
from stytch.core.response_base import StytchError

from stytch2workos.causes import origin, transport_cause, unreachable
from stytch2workos.errors import AuthError, Failure, Retryable, ServiceError, clip
from stytch2workos.pacing import (
    DEFAULT_POLICY,
    RETRYABLE_STATUSES,
    Budget,
    Pacer,
    RetryPolicy,
    bucket_for,
    parse_retry_after,
)
from stytch2workos.settings import StytchCredentials

T = TypeVar("T")

ALL_STATUSES = ["active", "invited", "pending", "deleted"]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    # Matches for the whole query; Stytch sends -1 when totals are disabled.
    total: int | None

    @classmethod
    def of(cls, body: dict[str, Any], key: str) -> Page:
        meta = body.get("results_metadata") or {}
        total = meta.get("total")
        return cls(
            list(body.get(key) or []),
            meta.get("next_cursor") or None,
            total if isinstance(total, int) and total >= 0 else None,
        )


class _RawSession(requests.Session):
    """A session with a default timeout that remembers each thread's last response.

    The SDK decodes every body (``response.json()``) before parsing it into models;
    the decoded body is kept with the response, so the export stores that decode
    instead of making a second one (a page of 1,000 members is about a megabyte).
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self._local = threading.local()

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self._local.response = None
        response = super().request(method, url, *args, **kwargs)
        self._local.response = response
        self._local.body = None
        decode = response.json

        def decode_once(**options: Any) -> Any:
            body = decode(**options)
            self._local.body = body
            return body

        response.json = decode_once  # type: ignore[method-assign]
        return response

    def last(self) -> requests.Response | None:
        result: requests.Response | None = getattr(self._local, "response", None)
        return result

    def last_body(self) -> dict[str, Any]:
        """The JSON body of this thread's last response, as the SDK decoded it (or decoded now)."""
        body = getattr(self._local, "body", None)
        if isinstance(body, dict):
            return body
        response = self.last()
        if response is None:  # pragma: no cover - the SDK always goes through the session
            raise ServiceError(Failure("Stytch", None, "no_response", "no response captured"))
        decoded: dict[str, Any] = json.loads(response.content)
        return decoded


class StytchSource:
    """Paced, retried, lossless reads of a Stytch B2B project."""

    def __init__(
        self,
        credentials: StytchCredentials,
        *,
        searches_per_minute: int = 100,
        other_per_second: float = 100.0,
        timeout: float = 30.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[Retryable, float], None] | None = None,
    ) -> None:
        self._session = _RawSession(timeout)
        self._secret = credentials.secret
        self._client = B2BClient(
            credentials.project_id,
            credentials.secret,
            environment=credentials.environment,
            suppress_warnings=True,
            sync_session=self._session,
        )

        def pacer(budget: Budget) -> Pacer:
            return Pacer(bucket_for(budget, sleep=sleep), policy, sleep=sleep, on_retry=on_retry)

        # Stytch documents 100 requests per minute for each search endpoint separately.
        self.org_search = pacer(Budget("organizations_search", searches_per_minute, 60.0))
        self.member_search = pacer(Budget("members_search", searches_per_minute, 60.0))
        # Other reads have no documented limit; stay polite.
        self.other = pacer(Budget("other_reads", max(1, int(other_per_second)), 1.0))

    def close(self) -> None:
        self._session.close()

    @property
    def retries(self) -> int:
        return self.org_search.retries + self.member_search.retries + self.other.retries

    def _call(self, pacer: Pacer, fn: Callable[[], object], records: str | None = None) -> dict[str, Any]:
        """Run one SDK call under ``pacer`` and return the raw JSON body.

        ``records``: the body's list of records, which the export checks one by one; a
        record the SDK cannot parse is left to that check (a refused row, not a failed page).
        """

        def attempt() -> dict[str, Any]:
            try:
                fn()
            except StytchError as exc:
                raise _translate(exc, self._session.last(), self._secret) from None
            except pydantic.ValidationError as exc:
                if not _only_in_records(exc, records):
                    # Never str(exc): pydantic quotes the input, and an SSO response holds secrets.
                    failure = Failure(
                        "Stytch", 200, "unexpected_response", f"response did not parse: {_fields(exc)}"
                    )
                    raise ServiceError(failure) from None
            except requests.RequestException as exc:
                failure = Failure("Stytch", None, "network_error", _transport_message(exc))
                raise Retryable(failure.redacted([self._secret])) from None
            return self._session.last_body()

        return pacer.call(attempt)

    def search_organizations(self, cursor: str | None, limit: int = 1000) -> Page:
        """One page of all organizations."""
        client = self._client
        body = self._call(self.org_search, lambda: client.organizations.search(cursor=cursor, limit=limit))
        return Page.of(body, "organizations")

    def search_members(self, organization_ids: list[str], cursor: str | None, limit: int = 1000) -> Page:
        """One page of the members of ``organization_ids``, in every status."""
        client = self._client
        query = {
            "operator": "AND",
            "operands": [{"filter_name": "statuses", "filter_value": ALL_STATUSES}],
        }
        body = self._call(
            self.member_search,
            lambda: client.organizations.members.search(
                organization_ids=organization_ids, cursor=cursor, limit=limit, query=query
            ),
            records="members",
        )
        return Page.of(body, "members")

    def sso_connections(self, organization_id: str) -> dict[str, list[dict[str, Any]]]:
        """SAML, OIDC and external connections of one organization."""
        client = self._client
        body = self._call(self.other, lambda: client.sso.get_connections(organization_id))
        return {
            kind: list(body.get(kind, []))
            for kind in ("saml_connections", "oidc_connections", "external_connections")
        }

    def scim_connection(self, organization_id: str) -> dict[str, Any] | None:
        """The organization's SCIM connection, or None if it has none."""
        client = self._client
        try:
            body = self._call(self.other, lambda: client.scim.connection.get(organization_id))
        except ServiceError as exc:
            # What Stytch answers for "no connection" is undocumented; a 4xx means none.
            if exc.failure.status in (400, 404):
                return None
            raise
        connection = body.get("connection")
        return dict(connection) if connection else None

    def member(self, member_id: str) -> dict[str, Any] | None:
        """One member as Stytch holds it now (a deleted one with status ``deleted``), or None
        when Stytch has no such member (its organization was deleted)."""
        client = self._client
        body = self._gone_is_none(
            lambda: client.organizations.members.dangerously_get(member_id, include_deleted=True),
            "member_not_found",
        )
        member = None if body is None else body.get("member")
        return dict(member) if member else None

    def organization(self, organization_id: str) -> dict[str, Any] | None:
        """One organization as Stytch holds it now, or None when it was deleted."""
        client = self._client
        body = self._gone_is_none(lambda: client.organizations.get(organization_id), "organization_not_found")
        org = None if body is None else body.get("organization")
        return dict(org) if org else None

    def _gone_is_none(self, fn: Callable[[], object], gone: str) -> dict[str, Any] | None:
        try:
            return self._call(self.other, fn)
        except ServiceError as exc:
            # Only Stytch's own "not found" means gone: a 404 for an unknown route (a wrong
            # STYTCH_BASE_URL) must not read as a deletion.
            if exc.failure.status == 404 and exc.failure.code == gone:
                return None
            raise

    def rbac_policy(self) -> dict[str, Any] | None:
        """The project's RBAC policy (roles, resources, scopes)."""
        client = self._client
        body = self._call(self.other, lambda: client.rbac.policy())
        policy = body.get("policy")
        return dict(policy) if policy else None


def _only_in_records(exc: pydantic.ValidationError, records: str | None) -> bool:
    """Whether every field pydantic refused lies inside one item of the ``records`` list."""
    return records is not None and all(
        len(e["loc"]) > 1 and e["loc"][0] == records and isinstance(e["loc"][1], int) for e in exc.errors()
    )


def _fields(exc: pydantic.ValidationError) -> str:
    """Which fields failed and why, without the values (``str(exc)`` quotes the input)."""
    problems = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3]]
    more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(problems) + more


def _transport_message(exc: requests.RequestException) -> str:
    """One line naming the address and the cause, not ``HTTPConnectionPool(...): Max retries ...``."""
    request = exc.request
    url = request.url if request is not None and isinstance(request.url, str) else "the Stytch API"
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return unreachable(url, exc)
    # It answered, but the answer broke off (a dropped connection mid-body, bad chunking).
    return f"the answer from {origin(url)} was cut short: {transport_cause(exc)}"


def _translate(exc: StytchError, response: requests.Response | None, secret: str) -> Exception:
    details = exc.details
    status = int(details.status_code)
    retry_after = None
    if response is not None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    failure = Failure(
        "Stytch",
        status,
        details.error_type,
        clip(details.error_message),
        details.request_id or None,
        retry_after,
    ).redacted([secret])
    if status in RETRYABLE_STATUSES:
        return Retryable(failure)
    if status in (401, 403):
        return AuthError(failure)
    return ServiceError(failure)

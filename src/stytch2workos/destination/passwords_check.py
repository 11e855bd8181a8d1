"""``passwords check``: does WorkOS accept this person's old password?

One ``authenticate_with_password`` call through the official SDK, under the
project's retry policy. WorkOS answers a right password with a session (200)
or, when the environment wants another step first, with a 403 naming that step
(older API versions used 422); both mean the password was accepted. A wrong
password is a 400 ``invalid_credentials``.
"""

from __future__ import annotations

from dataclasses import dataclass

from workos import AuthenticationError, RateLimitExceededError, WorkOSError

from stytch2workos.destination.client import APIError, WorkOSTarget
from stytch2workos.errors import AuthError, Retryable, ServiceError
from stytch2workos.pacing import RETRYABLE_STATUSES

# The steps WorkOS may ask for after it has verified the password.
STEP_UPS = frozenset(
    {"mfa_challenge", "mfa_enrollment", "email_verification_required", "organization_selection_required"}
)


@dataclass(frozen=True)
class CheckResult:
    """``accepted``, and how WorkOS answered: ``signed_in``, a step-up code, or ``invalid_credentials``."""

    accepted: bool
    outcome: str
    user_id: str | None = None


def _classify(exc: APIError) -> CheckResult | None:
    code = exc.code or exc.error or ""
    if exc.status_code in (403, 422) and code in STEP_UPS:
        return CheckResult(True, code)
    if exc.status_code == 400 and code == "invalid_credentials":
        return CheckResult(False, code)
    return None


def check_password(target: WorkOSTarget, email: str, password: str) -> CheckResult:
    """Ask WorkOS to authenticate ``email`` with ``password``; never logs the password."""
    um = target.client.user_management

    def attempt() -> CheckResult:
        try:
            response = um.authenticate_with_password(email=email, password=password)
        except WorkOSError as exc:
            if not isinstance(exc, APIError):
                raise Retryable(target.failure(exc, password)) from None
            result = None if isinstance(exc, RateLimitExceededError) else _classify(exc)
            if result is not None:
                return result
            failure = target.failure(exc, password)
            if isinstance(exc, RateLimitExceededError) or exc.status_code in RETRYABLE_STATUSES:
                raise Retryable(failure) from None
            # A wrong client id or API key comes back as an OAuth-style 400 invalid_client.
            if isinstance(exc, AuthenticationError) or (exc.error or "") in (
                "invalid_client",
                "unauthorized_client",
            ):
                raise AuthError(failure) from None
            raise ServiceError(failure) from None
        return CheckResult(True, "signed_in", str(response.user.id))

    # One request: WorkOS's budget here (10 per minute per email) only matters to the
    # retry policy, which honours the Retry-After of a 429.
    return target.pacer.call(attempt)

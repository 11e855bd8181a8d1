"""Errors the Stytch emulator answers with, in Stytch's body shape.

Handlers and the store raise :class:`ApiError`; the service turns it into
``{status_code, request_id, error_type, error_message, error_url}`` (the request
id and status code are added by the service's ``decorate``).
"""

from __future__ import annotations

from typing import Any

ERROR_URL = "https://stytch.com/docs/api/errors/{status}"


class ApiError(Exception):
    """A Stytch API error: HTTP status, ``error_type`` and a human message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> dict[str, Any]:
        """The error body without ``status_code``/``request_id`` (added on the way out)."""
        return error_body(self.status, self.error_type, self.message)


def error_body(status: int, error_type: str, message: str) -> dict[str, Any]:
    """Stytch's error fields for one error."""
    return {
        "error_type": error_type,
        "error_message": message,
        "error_url": ERROR_URL.format(status=status),
    }


def bad_request(message: str, error_type: str = "bad_request") -> ApiError:
    return ApiError(400, error_type, message)


def organization_not_found() -> ApiError:
    return ApiError(404, "organization_not_found", "Organization could not be found.")


def member_not_found() -> ApiError:
    return ApiError(404, "member_not_found", "Member could not be found.")

"""WorkOS error bodies and request-body checks for the emulator.

WorkOS answers errors as ``{"message", "code"}``; schema failures are 422
``invalid_request_parameters`` with an ``errors`` list; not-found is 404
``entity_not_found``. Handlers raise :class:`~.http.HTTPError` through these
helpers; the service adds ``X-Request-ID`` on the way out.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from stytch2workos_emulators.server.http import HTTPError, Request, Response

# Metadata and external-id limits from the OpenAPI schema (OrganizationDto, CreateUserlandUserDto).
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 600
EXTERNAL_ID_MAX = 128

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def fail(status: int, code: str, message: str, **extra: Any) -> NoReturn:
    """Stop the handler with a ``{message, code, ...}`` error."""
    raise HTTPError(Response(status, {"message": message, "code": code, **extra}))


def invalid(errors: list[dict[str, str]]) -> NoReturn:
    """422 ``invalid_request_parameters`` with one entry per failed field."""
    fail(422, "invalid_request_parameters", "Validation failed.", errors=errors)


def field_error(field: str, code: str, message: str) -> NoReturn:
    """422 for one field."""
    invalid([{"field": field, "code": code, "message": message}])


def not_found(kind: str, object_id: str) -> NoReturn:
    """404 ``entity_not_found`` naming the missing object."""
    fail(404, "entity_not_found", f"{kind} not found: '{object_id}'.", entity_id=object_id)


def oauth_error(status: int, error: str, description: str) -> NoReturn:
    """The OAuth-style body the authenticate endpoint uses for grant and client errors."""
    raise HTTPError(Response(status, {"error": error, "error_description": description}))


def body_of(request: Request) -> dict[str, Any]:
    """The JSON body as an object (422 for an array or a scalar)."""
    body = request.json()
    if not isinstance(body, dict):
        field_error("body", "invalid_body", "The request body must be a JSON object.")
    return body


def text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field; absent (or null when not required) gives None."""
    value = body.get(name)
    if value is None:
        if required:
            field_error(name, f"{name}_string_required", f"{name} must be a non-empty string.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        field_error(name, f"{name}_string_required", f"{name} must be a non-empty string.")
    return value


def flag(body: dict[str, Any], name: str) -> bool | None:
    """A boolean field, or None when absent or null."""
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    field_error(name, f"{name}_boolean_required", f"{name} must be a boolean.")


def string_list(body: dict[str, Any], name: str) -> list[str] | None:
    """An array-of-strings field, or None when absent or null."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        field_error(name, f"{name}_array_required", f"{name} must be an array of strings.")
    return value


def normalize_email(value: str) -> str:
    """WorkOS trims and lower-cases email addresses before storing them."""
    return value.strip().lower()


def email_field(body: dict[str, Any], name: str = "email", *, required: bool = True) -> str | None:
    """An email field, normalized; 422 when it is not an address."""
    value = text(body, name, required=required)
    if value is None:
        return None
    email = normalize_email(value)
    if not _EMAIL.fullmatch(email):
        field_error(name, "invalid_email", f"{name} must be a valid email address.")
    return email


def is_email(value: str) -> bool:
    """Loosely, ``local@domain.tld``: WorkOS's exact rules are not documented."""
    return bool(_EMAIL.fullmatch(value))


def external_id(body: dict[str, Any]) -> str | None:
    """``external_id``: null or a non-empty ASCII string of at most 128 characters."""
    value = body.get("external_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > EXTERNAL_ID_MAX or not value.isascii():
        field_error(
            "external_id",
            "invalid_external_id",
            f"external_id must be an ASCII string of 1 to {EXTERNAL_ID_MAX} characters.",
        )
    return value


def metadata(body: dict[str, Any]) -> dict[str, str]:
    """``metadata``: string values only, bounded sizes; null clears it. 400 ``invalid_metadata``."""
    value = body.get("metadata")
    if value is None:
        return {}
    problem = None
    if not isinstance(value, dict):
        problem = "metadata must be an object of string values."
    elif len(value) > METADATA_MAX_KEYS:
        problem = f"metadata may hold at most {METADATA_MAX_KEYS} keys."
    else:
        for key, item in value.items():
            if len(key) > METADATA_KEY_MAX:
                problem = f"metadata key '{key[:50]}' is longer than {METADATA_KEY_MAX} characters."
            elif not isinstance(item, str):
                problem = f"metadata value for '{key}' must be a string."
            elif len(item) > METADATA_VALUE_MAX:
                problem = f"metadata value for '{key}' is longer than {METADATA_VALUE_MAX} characters."
            if problem:
                break
    if problem:
        fail(400, "invalid_metadata", problem)
    return dict(value)

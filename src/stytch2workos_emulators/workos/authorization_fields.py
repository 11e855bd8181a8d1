"""Request fields of the Authorization API: slugs, names, descriptions, resource types.

Limits from the OpenAPI schemas (``CreateAuthorizationPermissionDto``, ``CreateRoleDto``,
``CreateOrganizationRoleDto`` and their update forms) and the SDK's docstrings.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from stytch2workos_emulators.workos.errors import field_error, not_found, text

SLUG_MAX = 48
NAME_MAX = 48
DESCRIPTION_MAX = 150
RESOURCE_TYPES = ("organization",)
ORG_ROLE_PREFIX = "org-"
PERMISSION_SLUG = re.compile(r"[a-z0-9_\-:.*]+")
ROLE_SLUG = re.compile(r"[a-z0-9_-]+")
ORG_ROLE_SLUG = re.compile(ORG_ROLE_PREFIX + r"[a-z0-9_-]+")
PERMISSION_RULE = "may hold only lowercase letters, numbers, '-', '_', ':', '.' and '*'"
ROLE_RULE = "may hold only lowercase letters, numbers, '-' and '_'"
ORG_ROLE_RULE = (
    f"must begin with '{ORG_ROLE_PREFIX}' and then hold only lowercase letters, numbers, '-' and '_'"
)
_SUFFIX_LEN = 6


def slug_field(body: dict[str, Any], pattern: re.Pattern[str], rule: str) -> str:
    """A required ``slug``: at most 48 characters, matching ``pattern`` (422 otherwise)."""
    value = body.get("slug")
    if not isinstance(value, str) or not value:
        field_error("slug", "slug_string_required", "slug must be a non-empty string.")
    if len(value) > SLUG_MAX:
        field_error("slug", "slug_too_long", f"slug must be at most {SLUG_MAX} characters.")
    if not pattern.fullmatch(value):
        field_error("slug", "invalid_slug", f"slug '{value}' is not valid: it {rule}.")
    return value


def name_field(body: dict[str, Any], *, required: bool) -> str | None:
    """``name``: a non-empty string of at most 48 characters; None when absent and optional."""
    value = text(body, "name", required=required)
    if value is not None and not value.strip():
        field_error("name", "name_string_required", "name must be a non-empty string.")
    if value is not None and len(value) > NAME_MAX:
        field_error("name", "name_too_long", f"name must be at most {NAME_MAX} characters.")
    return value


def description_field(body: dict[str, Any]) -> tuple[bool, str | None]:
    """(sent, value): null clears a description, absence leaves it."""
    if "description" not in body:
        return False, None
    value = body["description"]
    if value is not None and not isinstance(value, str):
        field_error("description", "description_string_required", "description must be a string or null.")
    if value is not None and len(value) > DESCRIPTION_MAX:
        field_error(
            "description",
            "description_too_long",
            f"description must be at most {DESCRIPTION_MAX} characters.",
        )
    return True, value


def resource_type_field(body: dict[str, Any]) -> str:
    """``resource_type_slug``, ``organization`` when absent; an unknown type is a 404."""
    value = text(body, "resource_type_slug")
    if value is None:
        return RESOURCE_TYPES[0]
    if len(value) > SLUG_MAX:
        field_error(
            "resource_type_slug",
            "resource_type_slug_too_long",
            f"resource_type_slug must be at most {SLUG_MAX} characters.",
        )
    if value not in RESOURCE_TYPES:
        not_found("Resource type", value)
    return value


def generated_org_slug(name: str) -> str:
    """``org-`` + the name made slug-safe + ``-`` + a random suffix, within 48 characters."""
    room = SLUG_MAX - len(ORG_ROLE_PREFIX) - 1 - _SUFFIX_LEN
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:room].strip("-") or "role"
    suffix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(_SUFFIX_LEN))
    return f"{ORG_ROLE_PREFIX}{base}-{suffix}"

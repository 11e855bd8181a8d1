"""``/user_management/users``: create, get, get by external id, list, update (PUT), delete.

Passwords arrive as a plaintext ``password`` or an imported ``password_hash`` +
``password_hash_type`` (+ ``password_salt_position`` for ssha256). They are
stored on the user for ``authenticate`` and never returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos import hashes
from stytch2workos_emulators.workos.errors import (
    body_of,
    email_field,
    external_id,
    fail,
    field_error,
    flag,
    is_email,
    metadata,
    normalize_email,
    not_found,
    text,
)
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import User, user_json
from stytch2workos_emulators.workos.state import EMPTY, State
from stytch2workos_emulators.workos.store import Key

_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_PASSWORD_FIELDS = ("password", "password_hash", "password_hash_type", "password_salt_position")


@dataclass(frozen=True)
class PasswordInput:
    plain: str | None = None
    hash: str | None = None
    hash_type: str | None = None
    salt_position: str | None = None


def password_input(body: dict[str, Any]) -> PasswordInput | None:
    """The password fields of a create/update body, checked as WorkOS does; None if absent."""
    plain, digest, hash_type, position = (text(body, name) for name in _PASSWORD_FIELDS)
    if plain is not None and digest is not None:
        fail(400, "password_and_password_hash_provided", "Provide a password or a password_hash.")
    if plain is not None and hash_type is not None:
        fail(
            400,
            "password_and_password_hash_type_provided",
            "password_hash_type is only valid with a password_hash.",
        )
    if position is not None and digest is None:
        fail(
            400,
            "password_salt_position_requires_password_hash",
            "password_salt_position is only valid with a password_hash.",
        )
    if (digest is None) != (hash_type is None):
        field_error(
            "password_hash_type" if hash_type is None else "password_hash",
            "password_hash_and_type_required",
            "password_hash and password_hash_type must be provided together.",
        )
    if hash_type is not None and hash_type not in hashes.HASH_TYPES:
        field_error(
            "password_hash_type",
            "invalid_password_hash_type",
            f"password_hash_type must be one of: {', '.join(hashes.HASH_TYPES)}.",
        )
    if position is not None and position not in hashes.SALT_POSITIONS:
        field_error(
            "password_salt_position",
            "invalid_password_salt_position",
            "password_salt_position must be prefix or suffix.",
        )
    if digest is not None and hash_type is not None:
        reason = hashes.check_hash(digest, hash_type, position)
        if reason is not None:
            fail(400, "invalid_password_hash", f"The password hash is invalid: {reason}.")
        return PasswordInput(None, digest, hash_type, position)
    if plain is not None:
        if not plain:
            fail(
                400,
                "password_strength_error",
                "Password does not meet strength requirements.",
                errors=[{"code": "password_too_short", "message": "Password must not be empty."}],
            )
        return PasswordInput(plain)
    return None


def set_password(user: User, password: PasswordInput) -> None:
    """Replace the user's password material (a plaintext clears a hash and vice versa)."""
    user.password = password.plain
    user.password_hash = password.hash
    user.password_hash_type = password.hash_type
    user.password_salt_position = password.salt_position


def full_name(first: str | None, last: str | None) -> str | None:
    """``name`` when the request gives only first and last names."""
    return " ".join(part for part in (first, last) if part) or None


class UsersAPI:
    """Handlers for the user endpoints."""

    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[tuple[str, str, Handler]]:
        base = "/user_management/users"
        return [
            ("GET", base, self.list),
            ("POST", base, self.create),
            ("GET", base + "/external_id/{external_id}", self.get_by_external_id),
            ("GET", base + "/{id}", self.get),
            ("PUT", base + "/{id}", self.update),
            ("DELETE", base + "/{id}", self.delete),
        ]

    def _user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            not_found("User", user_id)
        return user

    def create(self, request: Request) -> Response:
        body = body_of(request)
        email = email_field(body)
        assert email is not None
        first, last, name = text(body, "first_name"), text(body, "last_name"), text(body, "name")
        verified = flag(body, "email_verified")
        ext = external_id(body)
        password = password_input(body)
        meta = metadata(body)
        errors = []
        if email in self.state.user_by_email:
            errors.append({"code": "email_not_available", "message": "This email is not available."})
        if ext is not None and ext in self.state.user_by_external_id:
            errors.append(
                {
                    "code": "external_id_already_used",
                    "message": f"A user with external_id '{ext}' already exists.",
                }
            )
        if errors:
            fail(400, "user_creation_error", "Could not create user.", errors=errors)
        user_id, now = self.state.ids.stamp("user")
        user = User(user_id, email, now, now, bool(verified), first, last)
        user.name = name if name is not None else full_name(first, last)
        user.external_id, user.metadata = ext, meta
        if password is not None:
            set_password(user, password)
        self.state.add_user(user)
        return Response(201, user_json(user))

    def get(self, request: Request) -> Response:
        return Response(200, user_json(self._user(request.params["id"])))

    def get_by_external_id(self, request: Request) -> Response:
        ext = request.params["external_id"]
        user_id = self.state.user_by_external_id.get(ext)
        if user_id is None:
            not_found("User", ext)
        return Response(200, user_json(self.state.users.by_id[user_id]))

    def list(self, request: Request) -> Response:
        state = self.state
        email = request.q("email")
        org_id = request.q("organization_id") or request.q("organization")
        members = state.users_by_org.get(org_id or "", EMPTY)
        keys: list[Key] | None
        if email is not None:
            user_id = state.user_by_email.get(normalize_email(email))
            found = [user_id] if user_id and (org_id is None or user_id in members) else []
            keys = state.users.keys_for(found)
        else:
            keys = None if org_id is None else members.keys
        return Response(200, list_page(request, state.users, user_json, keys))

    def update(self, request: Request) -> Response:
        user = self._user(request.params["id"])
        body = body_of(request)
        raw_email = text(body, "email")
        email = normalize_email(raw_email) if raw_email is not None else user.email
        if not is_email(email):
            fail(400, "invalid_email", f"'{raw_email}' is not a valid email address.")
        names = {name: text(body, name) for name in ("first_name", "last_name", "name")}
        verified = flag(body, "email_verified")
        ext = external_id(body) if "external_id" in body else user.external_id
        locale = text(body, "locale") if "locale" in body else user.locale
        if locale is not None and not _LOCALE.fullmatch(locale):
            fail(400, "invalid_locale", f"'{locale}' is not a supported locale.")
        password = password_input(body)
        meta = metadata(body) if "metadata" in body else user.metadata
        owner = self.state.user_by_email.get(email)
        if owner is not None and owner != user.id:
            fail(400, "email_not_available", "This email is not available.")
        owner = self.state.user_by_external_id.get(ext) if ext is not None else None
        if owner is not None and owner != user.id:
            fail(400, "external_id_already_used", f"A user with external_id '{ext}' already exists.")
        with self.state.reindexing(user):
            if email != user.email:
                # A new address starts unverified unless the request says otherwise.
                user.email, user.email_verified = email, False
            if verified is not None:
                user.email_verified = verified
            if names["first_name"] is not None:
                user.first_name = names["first_name"]
            if names["last_name"] is not None:
                user.last_name = names["last_name"]
            if names["name"] is not None:
                user.name = names["name"]
            elif names["first_name"] is not None or names["last_name"] is not None:
                user.name = full_name(user.first_name, user.last_name)
            user.external_id, user.locale, user.metadata = ext, locale, meta
            if password is not None:
                set_password(user, password)
            user.updated_at = self.state.ids.now()
        return Response(200, user_json(user))

    def delete(self, request: Request) -> Response:
        self.state.remove_user(self._user(request.params["id"]))
        return Response(200)

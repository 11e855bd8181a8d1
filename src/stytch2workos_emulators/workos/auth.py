"""User authentication factors (TOTP enrolment) and password authentication.

``authenticate`` verifies a password against the plaintext or the imported
hash, then applies the environment's step-ups in WorkOS's order: email
verification, then MFA challenge. A 403 step-up therefore
means the password was right, which is what a migration's verify step relies on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import secrets
from typing import Any

from stytch2workos_emulators.server.http import Handler, Request, Response
from stytch2workos_emulators.workos import hashes
from stytch2workos_emulators.workos.errors import (
    body_of,
    email_field,
    fail,
    field_error,
    not_found,
    oauth_error,
    text,
)
from stytch2workos_emulators.workos.lists import list_page
from stytch2workos_emulators.workos.models import Factor, User, factor_json, user_json
from stytch2workos_emulators.workos.state import EMPTY, State

DEFAULT_TOTP_ISSUER = "WorkOS Emulator"
# 80 bits: the shortest secret common authenticator apps issue.
MIN_TOTP_SECRET_BYTES = 10
ACCESS_TOKEN_SECONDS = 300


def totp_secret(value: str) -> str:
    """A base32 secret, upper-cased without padding or spaces; 422 if it is not base32."""
    secret = value.replace(" ", "").upper().rstrip("=")
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) < MIN_TOTP_SECRET_BYTES:
        field_error(
            "totp_secret",
            "invalid_totp_secret",
            f"totp_secret must be base32 encoding at least {MIN_TOTP_SECRET_BYTES} bytes.",
        )
    return secret


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def fake_access_token(user: User, org_id: str | None, issued_at: int) -> str:
    """A JWT-shaped token; the SDK passes it through without checking the signature."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "emulator"}
    claims = {
        "sub": user.id,
        "org_id": org_id,
        "sid": f"session_{secrets.token_hex(8)}",
        "iat": issued_at,
        "exp": issued_at + ACCESS_TOKEN_SECONDS,
    }
    parts = [json.dumps(header).encode(), json.dumps(claims).encode(), secrets.token_bytes(32)]
    return ".".join(_b64url(part) for part in parts)


class AuthAPI:
    """Authentication-factor enrolment and ``POST /user_management/authenticate``."""

    def __init__(self, state: State, api_key: str, client_id: str) -> None:
        self.state = state
        self.api_key = api_key
        self.client_id = client_id

    def routes(self) -> list[tuple[str, str, Handler]]:
        factors = "/user_management/users/{id}/auth_factors"
        return [
            ("POST", factors, self.enroll),
            ("GET", factors, self.list_factors),
            ("POST", "/user_management/authenticate", self.authenticate),
        ]

    def _user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            not_found("User", user_id)
        return user

    def enroll(self, request: Request) -> Response:
        state = self.state
        user = self._user(request.params["id"])
        body = body_of(request)
        if body.get("type") != "totp":
            field_error("type", "invalid_type", "type must be totp.")
        issuer = text(body, "totp_issuer") or DEFAULT_TOTP_ISSUER
        totp_user = text(body, "totp_user") or user.email
        raw_secret = text(body, "totp_secret")
        if raw_secret is not None:
            secret = totp_secret(raw_secret)
        else:
            secret = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
        factor_id, now = state.ids.stamp("auth_factor")
        factor = Factor(factor_id, user.id, issuer, totp_user, secret, now, now)
        state.add_factor(factor)
        challenge = {
            "object": "authentication_challenge",
            "id": state.ids.new_id("auth_challenge"),
            "authentication_factor_id": factor_id,
            "expires_at": None,
            "created_at": now,
            "updated_at": now,
        }
        return Response(
            201,
            {
                "authentication_factor": factor_json(factor, enrolled=True),
                "authentication_challenge": challenge,
            },
        )

    def list_factors(self, request: Request) -> Response:
        user = self._user(request.params["id"])
        keys = self.state.factors_by_user.get(user.id, EMPTY).keys
        return Response(200, list_page(request, self.state.factors, factor_json, keys))

    async def authenticate(self, request: Request) -> Response:
        body = body_of(request)
        if body.get("client_id") != self.client_id:
            oauth_error(400, "invalid_client", "The client_id is not valid for this environment.")
        if body.get("grant_type") != "password":
            oauth_error(400, "unsupported_grant_type", "This emulator supports grant_type=password.")
        if not isinstance(body.get("client_secret"), str) or not hmac.compare_digest(
            body["client_secret"].encode(), self.api_key.encode()
        ):
            oauth_error(400, "invalid_client", "The client_secret is not valid for this client.")
        email = email_field(body)
        password = text(body, "password", required=True)
        assert email is not None and password is not None
        user = await self._check_password(email, password)
        if user is None:
            fail(400, "invalid_credentials", f"Invalid credentials for '{email}'.")
        return self._step_up_or_sign_in(user)

    async def _check_password(self, email: str, password: str) -> User | None:
        user_id = self.state.user_by_email.get(email)
        user = self.state.users.get(user_id) if user_id else None
        if user is None:
            return None
        if user.password is not None:
            ok = hmac.compare_digest(user.password.encode(), password.encode())
        elif user.password_hash is not None and user.password_hash_type is not None:
            # Slow KDFs (pbkdf2 at 600k rounds, scrypt, argon2) must not stall the event loop.
            ok = await asyncio.to_thread(
                hashes.verify_password,
                password,
                user.password_hash,
                user.password_hash_type,
                user.password_salt_position,
            )
        else:
            ok = False
        return user if ok else None

    def _step_up_or_sign_in(self, user: User) -> Response:
        state = self.state
        pending = secrets.token_urlsafe(24)
        if state.settings.require_email_verification and not user.email_verified:
            fail(
                403,
                "email_verification_required",
                "Email ownership must be verified before authentication.",
                pending_authentication_token=pending,
                email=user.email,
                email_verification_id=state.ids.new_id("email_verification"),
            )
        factors = [state.factors.by_id[f] for f in state.factors_by_user.get(user.id, EMPTY)]
        if factors:
            fail(
                403,
                "mfa_challenge",
                "The user must complete an MFA challenge to finish authenticating.",
                pending_authentication_token=pending,
                authentication_factors=[{"id": f.id, "type": f.type} for f in factors],
                user=user_json(user),
            )
        # WorkOS would ask a member of several organizations to pick one; this emulator signs
        # them into the one they joined first, so a password check always ends in a 200.
        memberships = state.memberships_by_user.get(user.id, EMPTY)
        org_ids = [
            m.organization_id
            for m in (state.memberships.by_id[i] for i in memberships)
            if m.status == "active"
        ]
        now = state.ids.now()
        user.last_sign_in_at = now
        org_id = org_ids[0] if org_ids else None
        body: dict[str, Any] = {
            "user": user_json(user),
            "access_token": fake_access_token(user, org_id, int(state.ids.clock())),
            "refresh_token": secrets.token_urlsafe(32),
            "authentication_method": "Password",
        }
        if org_id is not None:
            body["organization_id"] = org_id
        return Response(200, body)

"""WorkOS emulator users and password authentication, through the official SDK over loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import bcrypt
import pytest
from workos import (
    AsyncWorkOSClient,
    BadRequestError,
    NotFoundError,
    UnprocessableEntityError,
    WorkOSClient,
)
from workos._errors import EmailVerificationRequiredError, MfaChallengeError
from workos.organization_membership import RoleSingle
from workos.user_management import PasswordHashed, PasswordPlaintext

from stytch2workos_emulators import defaults

pytestmark = pytest.mark.timeout(60)

PASSWORD = "Migrated#Pass1"
SALT = bytes(range(8))
# Hashes of PASSWORD in the formats WorkOS documents (salt bytes 0x00..0x0f unless noted).
HASHES = {
    "scrypt": "$scrypt$v=1$n=16384,r=8,p=1,kl=64$AAECAwQFBgcICQoLDA0ODw$2ld4V/KZO8ha+3c2+W2VDNTfYcZMl7iG2x"
    "PRB4CltqblyeUxbv3vTdc8faAGqptDy3Rtgvygd/70cMqdkaxq8A",
    "pbkdf2": "$pbkdf2$i=210000,d=sha512$AAECAwQFBgcICQoLDA0ODw$xE/yFAzRQAXFm9yln/vFeeBgn/rNQYKkky9/MI1M4"
    "PRQ85rAwA5xgyoloq983SpTCmrFMAs3ybns4bpvoPSgHA",
    "argon2": "$argon2id$v=19$m=65536,t=3,p=4$AAECAwQFBgcICQoLDA0ODw$TvcXaOZNG00gvTK88nbg/vshSna+tAmL3puJ9eFOCcc",
    "ssha": "{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA==",
    "ssha256": "{SSHA256}"
    + base64.b64encode(hashlib.sha256(PASSWORD.encode() + SALT).digest() + SALT).decode(),
    "bcrypt": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
}
# The published Firebase scrypt test vector; its password is "user1password".
FIREBASE = (
    "$firebase-scrypt$hash=lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdR"
    "uid5lQ==$salt=42xEC+ixf3L2lw==$sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0"
    "QsEmYUSDzZvpjeJ9WmXA==$ss=Bw==$r=8$m=14"
)


def test_create_get_update_delete(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    user = workos_client.user_management.create_user(
        email="  Ada.Lovelace@Example.COM ",
        first_name="Ada",
        last_name="Lovelace",
        email_verified=True,
        external_id="member-test/1",
        metadata={"stytch_member_id": "member-test/1"},
        password=PasswordPlaintext(password="correct horse"),
    )
    assert user.id.startswith("user_") and user.email == "ada.lovelace@example.com"
    assert (user.name, user.email_verified, user.last_sign_in_at) == ("Ada Lovelace", True, None)
    assert workos_client.user_management.get_user(user.id).email == user.email
    assert workos_client.user_management.get_user_by_external_id("member-test/1").id == user.id
    stored = workos_emu.control.state()["users"][0]
    assert stored["password"] == "correct horse"
    raw = workos_client.request("get", ("user_management", "users", user.id))
    assert not {"password", "password_hash"} & set(raw)

    updated = workos_client.user_management.update_user(
        user.id, email="ada@example.com", first_name="Augusta", locale="en-GB", metadata={"k": "v"}
    )
    assert updated.email == "ada@example.com" and updated.email_verified is False
    assert (updated.first_name, updated.name, updated.locale) == ("Augusta", "Augusta Lovelace", "en-GB")
    assert updated.metadata == {"k": "v"} and updated.external_id == "member-test/1"
    workos_client.user_management.delete_user(user.id)
    with pytest.raises(NotFoundError):
        workos_client.user_management.get_user(user.id)
    with pytest.raises(NotFoundError):
        workos_client.user_management.delete_user(user.id)


def test_duplicate_email_and_external_id(workos_client: WorkOSClient) -> None:
    workos_client.user_management.create_user(email="dup@example.com", external_id="ext-1")
    with pytest.raises(BadRequestError) as err:
        workos_client.user_management.create_user(email="DUP@example.com ")
    assert err.value.code == "user_creation_error" and err.value.message == "Could not create user."
    assert err.value.errors is not None and err.value.errors[0]["code"] == "email_not_available"
    with pytest.raises(BadRequestError) as err:
        workos_client.user_management.create_user(email="other@example.com", external_id="ext-1")
    assert err.value.code == "user_creation_error"
    assert err.value.errors is not None and err.value.errors[0]["code"] == "external_id_already_used"


def test_update_conflicts_use_top_level_codes(workos_client: WorkOSClient) -> None:
    workos_client.user_management.create_user(email="taken@example.com", external_id="taken")
    user = workos_client.user_management.create_user(email="free@example.com")
    for kwargs, code in (
        ({"email": "Taken@example.com"}, "email_not_available"),
        ({"external_id": "taken"}, "external_id_already_used"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"locale": "!!"}, "invalid_locale"),
        ({"metadata": {"k": "v" * 601}}, "invalid_metadata"),
    ):
        with pytest.raises(BadRequestError) as err:
            workos_client.user_management.update_user(user.id, **kwargs)  # type: ignore[arg-type]
        assert err.value.code == code and not err.value.errors


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"password": "x", "password_hash": HASHES["ssha"], "password_hash_type": "ssha"}, 400,
         "password_and_password_hash_provided"),
        ({"password": "x", "password_hash_type": "ssha"}, 400, "password_and_password_hash_type_provided"),
        ({"password_salt_position": "prefix"}, 400, "password_salt_position_requires_password_hash"),
        ({"password_hash": "$2b$10$short", "password_hash_type": "bcrypt"}, 400, "invalid_password_hash"),
        ({"password_hash": HASHES["ssha"], "password_hash_type": "ssha", "password_salt_position": "prefix"},
         400, "invalid_password_hash"),
        ({"password_hash": HASHES["ssha"]}, 422, "invalid_request_parameters"),
        ({"password_hash": HASHES["ssha"], "password_hash_type": "md5"}, 422, "invalid_request_parameters"),
        ({"password": ""}, 400, "password_strength_error"),
        ({"email": "nope"}, 422, "invalid_request_parameters"),
    ],
)  # fmt: skip
def test_create_user_password_errors(
    workos_client: WorkOSClient, body: dict[str, str], status: int, code: str
) -> None:
    payload = {"email": "pw@example.com", **body}
    with pytest.raises((BadRequestError, UnprocessableEntityError)) as err:
        workos_client.request("post", ("user_management", "users"), body=payload)
    assert (err.value.status_code, err.value.code) == (status, code)


def test_list_filters_and_pagination(workos_client: WorkOSClient) -> None:
    users = [workos_client.user_management.create_user(email=f"u{i}@example.com").id for i in range(5)]
    org = workos_client.organizations.create_organization(name="Members")
    for user_id in users[1:3]:
        workos_client.organization_membership.create_organization_membership(
            user_id=user_id, organization_id=org.id
        )
    found = workos_client.user_management.list_users(email="U3@Example.com")
    assert [u.id for u in found.data] == [users[3]]
    members = workos_client.user_management.list_users(organization_id=org.id, order="asc")
    assert [u.id for u in members.data] == users[1:3]
    both = workos_client.user_management.list_users(organization_id=org.id, email="u4@example.com")
    assert both.data == []
    first = workos_client.user_management.list_users(limit=2)
    assert [u.id for u in first.data] == [users[4], users[3]]
    rest = list(first.auto_paging_iter())
    assert [u.id for u in rest] == users[::-1]


@pytest.mark.parametrize("hash_type", sorted(HASHES))
def test_imported_hashes_authenticate(workos_client: WorkOSClient, hash_type: str) -> None:
    position = "suffix" if hash_type == "ssha256" else None
    email = f"{hash_type}@example.com"
    workos_client.user_management.create_user(
        email=email, password=PasswordHashed(HASHES[hash_type], hash_type, position)
    )
    result = workos_client.user_management.authenticate_with_password(email=email, password=PASSWORD)
    assert result.user.email == email and str(result.authentication_method.value) == "Password"
    assert result.access_token and result.refresh_token and result.user.last_sign_in_at is not None
    with pytest.raises(BadRequestError) as err:
        workos_client.user_management.authenticate_with_password(email=email, password=PASSWORD + "x")
    assert err.value.code == "invalid_credentials"


def test_hash_set_by_update_and_firebase_scrypt(workos_client: WorkOSClient) -> None:
    user = workos_client.user_management.create_user(email="fb@example.com")
    with pytest.raises(BadRequestError):
        workos_client.user_management.authenticate_with_password(
            email="fb@example.com", password="user1password"
        )
    workos_client.user_management.update_user(user.id, password=PasswordHashed(FIREBASE, "firebase-scrypt"))
    ok = workos_client.user_management.authenticate_with_password(
        email="FB@example.com", password="user1password"
    )
    assert ok.user.id == user.id and ok.organization_id is None
    with pytest.raises(BadRequestError) as err:
        workos_client.user_management.update_user(
            user.id, password=PasswordHashed("$scrypt$v=1$junk", "scrypt")
        )
    assert err.value.code == "invalid_password_hash"


def test_authenticate_step_ups_mean_the_password_was_right(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    org = workos_client.organizations.create_organization(name="Step")
    user = workos_client.user_management.create_user(
        email="mfa@example.com", password=PasswordPlaintext(password="pw-1")
    )
    workos_client.organization_membership.create_organization_membership(
        user_id=user.id, organization_id=org.id, role=RoleSingle(role_slug="admin")
    )
    ok = workos_client.user_management.authenticate_with_password(email="mfa@example.com", password="pw-1")
    assert ok.organization_id == org.id
    with pytest.raises(BadRequestError) as err:
        workos_client.user_management.authenticate_with_password(email="nobody@example.com", password="pw-1")
    assert err.value.code == "invalid_credentials"

    workos_emu.control.seed({"settings": {"require_email_verification": True}})
    with pytest.raises(EmailVerificationRequiredError) as verify:
        workos_client.user_management.authenticate_with_password(email="mfa@example.com", password="pw-1")
    assert verify.value.status_code == 403 and verify.value.email == "mfa@example.com"
    assert verify.value.pending_authentication_token
    with pytest.raises(BadRequestError):  # a wrong password never reaches the step-up
        workos_client.user_management.authenticate_with_password(email="mfa@example.com", password="pw-2")

    workos_client.user_management.update_user(user.id, email_verified=True)
    factor = workos_client.multi_factor_auth.create_user_auth_factor(
        user.id, type="totp", totp_secret="JBSWY3DPEHPK3PXP"
    )
    with pytest.raises(MfaChallengeError) as mfa:
        workos_client.user_management.authenticate_with_password(email="mfa@example.com", password="pw-1")
    assert mfa.value.authentication_factors == [{"id": factor.authentication_factor.id, "type": "totp"}]
    assert mfa.value.user is not None and mfa.value.user["id"] == user.id


def test_authenticate_needs_the_client_credentials(workos_emu) -> None:  # type: ignore[no-untyped-def]
    with WorkOSClient(api_key=defaults.WORKOS_API_KEY, base_url=workos_emu.base_url, max_retries=0) as sdk:
        sdk.user_management.create_user(email="c@example.com", password=PasswordPlaintext(password="pw"))
        with pytest.raises(BadRequestError) as err:  # built without client_id
            sdk.user_management.authenticate_with_password(email="c@example.com", password="pw")
    assert err.value.error == "invalid_client"
    with (
        WorkOSClient(api_key="sk_test_wrong", client_id=defaults.WORKOS_CLIENT_ID, base_url=workos_emu.base_url,
                     max_retries=0) as wrong,
        pytest.raises(BadRequestError) as err,
    ):  # fmt: skip
        wrong.user_management.authenticate_with_password(email="c@example.com", password="pw")
    assert err.value.error == "invalid_client"


def test_async_users_and_authenticate(workos_emu) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        async with AsyncWorkOSClient(
            api_key=defaults.WORKOS_API_KEY,
            client_id=defaults.WORKOS_CLIENT_ID,
            base_url=workos_emu.base_url,
            max_retries=0,
        ) as workos_client:
            user = await workos_client.user_management.create_user(
                email="async@example.com", password=PasswordHashed(HASHES["ssha"], "ssha")
            )
            with pytest.raises(BadRequestError) as err:
                await workos_client.user_management.create_user(email="async@example.com")
            assert err.value.errors is not None and err.value.errors[0]["code"] == "email_not_available"
            ok = await workos_client.user_management.authenticate_with_password(
                email=user.email, password=PASSWORD
            )
            assert ok.user.id == user.id
            page = await workos_client.user_management.list_users(email="ASYNC@example.com")
            assert [u.id for u in page.data] == [user.id]
            await workos_client.user_management.delete_user(user.id)

    asyncio.run(scenario())

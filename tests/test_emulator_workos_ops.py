"""WorkOS emulator rate limits, faults, seeds and protocol details, through the SDK and raw HTTP."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from workos import (
    BadRequestError,
    NotFoundError,
    RateLimitExceededError,
    ServerError,
    UnprocessableEntityError,
    WorkOSClient,
    WorkOSError,
)
from workos._errors import APIError
from workos.organization_membership import RoleSingle
from workos.user_management import PasswordHashed, PasswordPlaintext

from stytch2workos_emulators import defaults

pytestmark = pytest.mark.timeout(60)

SSHA = "{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA=="  # "Migrated#Pass1", salt 01..08


@pytest.fixture
def raw(workos_emu) -> Iterator[http.client.HTTPConnection]:  # type: ignore[no-untyped-def]
    parts = urlsplit(workos_emu.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    yield conn
    conn.close()


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    key: str | None = None,
) -> tuple[int, dict[str, str], Any]:
    headers = {
        "Authorization": f"Bearer {key or defaults.WORKOS_API_KEY}",
        "Content-Type": "application/json",
    }
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return (
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        json.loads(data) if data else None,
    )


# -- rate limits ---------------------------------------------------------------------------------


def test_user_management_write_budget(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_rate_limits("scaled:2")  # 500 writes per 5 s
    for _ in range(500):
        with pytest.raises(UnprocessableEntityError):  # refused by validation, still counted
            workos_client.user_management.create_user(email="not-an-email")
    with pytest.raises(RateLimitExceededError) as err:
        workos_client.user_management.create_user(email="late@example.com")
    assert err.value.status_code == 429 and err.value.code == "rate_limit_exceeded"
    assert err.value.retry_after is not None and 1 <= err.value.retry_after <= 5
    assert err.value.response_json is not None and 0 < err.value.response_json["retry_after"] <= 5
    # Reads and non-user-management writes draw on other budgets.
    workos_client.user_management.list_users()
    workos_client.organizations.create_organization(name="Still fine")
    stats = workos_emu.control.stats()
    assert stats["rate_limited_by_budget"]["user_management_writes"] == 1
    assert stats["max_in_window"]["user_management_writes"] == 500


def test_authenticate_budget_is_per_email(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_client.user_management.create_user(
        email="a@example.com", password=PasswordPlaintext(password="pw")
    )
    workos_client.user_management.create_user(
        email="b@example.com", password=PasswordPlaintext(password="pw")
    )
    workos_emu.control.set_rate_limits("scaled:10")  # 10 per 6 s per email
    for _ in range(10):
        workos_client.user_management.authenticate_with_password(email="A@example.com", password="pw")
    with pytest.raises(RateLimitExceededError):
        workos_client.user_management.authenticate_with_password(email="a@example.com", password="pw")
    assert workos_client.user_management.authenticate_with_password(email="b@example.com", password="pw").user


def test_organization_delete_budget(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_rate_limits("scaled:10")  # 50 per 6 s
    for _ in range(50):
        with pytest.raises(NotFoundError):
            workos_client.organizations.delete_organization("org_missing")
    with pytest.raises(RateLimitExceededError):
        workos_client.organizations.delete_organization("org_missing")


def test_injected_429_carries_retry_after(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_faults(
        [{"route": "POST /user_management/users", "rate_limit_rate": 1, "retry_after": 3, "times": 1}]
    )
    with pytest.raises(RateLimitExceededError) as err:
        workos_client.user_management.create_user(email="r@example.com")
    assert err.value.retry_after == 3.0
    assert workos_client.user_management.create_user(email="r@example.com").email == "r@example.com"


# -- faults ----------------------------------------------------------------------------------------


def test_injected_5xx(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    org = workos_client.organizations.create_organization(name="Flaky")
    workos_emu.control.set_faults(
        [{"route": "GET /organizations/{id}", "error_rate": 1, "error_statuses": [503], "times": 1}]
    )
    with pytest.raises(ServerError) as err:
        workos_client.organizations.get_organization(org.id)
    assert err.value.status_code == 503 and err.value.request_id.startswith("req_")
    assert workos_client.organizations.get_organization(org.id).id == org.id


def test_hang_then_drop_is_a_transport_error_and_writes_nothing(
    workos_client: WorkOSClient, workos_emu
) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_faults(
        [{"route": "POST /organizations", "hang_rate": 1, "hang_seconds": 0.2, "times": 1}]
    )
    with pytest.raises(WorkOSError) as err:
        workos_client.organizations.create_organization(name="Hung")
    assert not isinstance(err.value, APIError)
    assert workos_client.organizations.list_organizations().data == []


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_commit_then_fail_on_create_user_still_creates_it(
    workos_client: WorkOSClient, workos_emu, mode: str
) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.set_faults(
        [
            {
                "route": "POST /user_management/users",
                "commit_then_fail_rate": 1,
                "commit_then_fail_mode": mode,
                "times": 1,
            }
        ]
    )
    with pytest.raises(WorkOSError) as err:
        workos_client.user_management.create_user(email="ghost@example.com", external_id="m-1")
    assert isinstance(err.value, ServerError) == (mode == "500")
    assert workos_client.user_management.get_user_by_external_id("m-1").email == "ghost@example.com"
    with pytest.raises(BadRequestError):  # the retry a workos_client would make now collides
        workos_client.user_management.create_user(email="ghost@example.com", external_id="m-1")


# -- seed, dump, reset -------------------------------------------------------------------------------


SEED: dict[str, Any] = {
    "settings": {"multiple_roles": False},
    "roles": [{"slug": "admin", "name": "Admin"}, {"slug": "member", "name": "Member"}],
    "organizations": [
        {
            "id": "org_01HZZZZZZZZZZZZZZZZZZZZZZ0",
            "name": "Seeded",
            "external_id": "stytch-org",
            "domains": [{"domain": "seeded.dev", "state": "verified"}],
            "metadata": {"tier": "gold"},
        }
    ],
    "organization_roles": {"org_01HZZZZZZZZZZZZZZZZZZZZZZ0": [{"slug": "org-viewer", "name": "Viewer"}]},
    "users": [
        {"id": "user_seed_1", "email": "Hash@Seeded.dev", "email_verified": True, "password_hash": SSHA,
         "password_hash_type": "ssha"},
        {"email": "plain@seeded.dev", "password": "pw", "external_id": "stytch-member"},
    ],
    "organization_memberships": [
        {"user_id": "user_seed_1", "organization_id": "org_01HZZZZZZZZZZZZZZZZZZZZZZ0",
         "role": {"slug": "org-viewer"}}
    ],
}  # fmt: skip


def test_seed_dump_round_trip(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.seed(SEED)
    org = workos_client.organizations.get_organization_by_external_id("stytch-org")
    assert (org.id, org.metadata, org.domains[0].domain) == (
        "org_01HZZZZZZZZZZZZZZZZZZZZZZ0",
        {"tier": "gold"},
        "seeded.dev",
    )
    ok = workos_client.user_management.authenticate_with_password(
        email="hash@seeded.dev", password="Migrated#Pass1"
    )
    assert ok.user.id == "user_seed_1" and ok.organization_id == org.id
    members = workos_client.organization_membership.list_organization_memberships(organization_id=org.id)
    assert [m.role.slug for m in members.data] == ["org-viewer"]
    plain = workos_client.user_management.get_user_by_external_id("stytch-member")
    m = workos_client.organization_membership.create_organization_membership(
        user_id=plain.id, organization_id=org.id, role=RoleSingle(role_slug="admin")
    )
    workos_client.user_management.update_user(plain.id, password=PasswordHashed(SSHA, "ssha"))
    workos_client.user_management.send_invitation(email="inv@seeded.dev", organization_id=org.id)
    workos_client.multi_factor_auth.create_user_auth_factor(
        plain.id, type="totp", totp_secret="JBSWY3DPEHPK3PXP"
    )

    state = workos_emu.control.state()
    users = {u["email"]: u for u in state["users"]}
    assert users["plain@seeded.dev"]["password_hash"] == SSHA and "password" not in users["plain@seeded.dev"]
    assert state["settings"] == {
        "multiple_roles": False,
        "require_email_verification": False,
        "allow_repeated_invitations": False,
    }
    assert {x["id"] for x in state["organization_memberships"]} >= {m.id}

    workos_emu.control.reset()
    assert workos_emu.control.state()["users"] == []
    workos_emu.control.seed(state)
    assert workos_emu.control.state() == state


def test_reset_restores_default_roles(workos_client: WorkOSClient, workos_emu) -> None:  # type: ignore[no-untyped-def]
    workos_emu.control.seed({"roles": [{"slug": "owner", "name": "Owner"}]})
    assert [r.slug for r in workos_client.authorization.list_environment_roles().data] == ["owner"]
    workos_emu.control.reset()
    assert [r.slug for r in workos_client.authorization.list_environment_roles().data] == ["admin", "member"]


@pytest.mark.parametrize(
    "seed",
    [
        {"organization_memberships": [{"user_id": "user_x", "organization_id": "org_x"}]},
        {"users": [{"email": "a@x.dev"}, {"email": "A@x.dev"}]},
        {"organizations": [{"external_id": "no-name"}]},
        {"organizations": "not a list"},
        {"organization_roles": ["not", "an", "object"]},
        {"userz": []},
    ],
)
def test_bad_seeds_are_refused(workos_emu, seed: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    from urllib.error import HTTPError

    with pytest.raises(HTTPError) as err:
        workos_emu.control.seed(seed)
    err.value.close()
    assert err.value.code == 400


# -- protocol details ----------------------------------------------------------------------------------


def test_every_answer_has_a_request_id_and_errors_have_workos_shapes(raw: http.client.HTTPConnection) -> None:
    status, headers, body = call(raw, "GET", "/organizations")
    assert status == 200 and headers["x-request-id"].startswith("req_") and body["object"] == "list"
    status, headers, body = call(raw, "GET", "/nowhere/at/all")
    assert status == 404 and body["code"] == "entity_not_found" and "x-request-id" in headers
    status, _, body = call(raw, "PATCH", "/organizations")
    assert status == 405
    status, _, body = call(raw, "POST", "/organizations", b"{not json")
    assert (status, body["code"]) == (422, "invalid_request_parameters")
    status, _, body = call(raw, "GET", "/organizations", key="sk_test_wrong")
    assert (status, body) == (401, {"message": "Unauthorized", "code": "unauthorized"})
    status, _, body = call(raw, "POST", "/organizations", b'{"name": "Raw"}')
    assert status == 201
    status, _, body = call(raw, "DELETE", f"/organizations/{body['id']}")
    assert (status, body) == (200, None)


def test_simple_requests_are_fast(raw: http.client.HTTPConnection) -> None:
    _, _, org = call(raw, "POST", "/organizations", b'{"name": "Speed"}')
    count = 300
    started = time.perf_counter()
    for _ in range(count):
        status, _, _ = call(raw, "GET", f"/organizations/{org['id']}")
        assert status == 200
    elapsed = time.perf_counter() - started
    # Generous for a shared CI core; a quiet machine does well over 1,000 requests/s.
    assert count / elapsed > 250

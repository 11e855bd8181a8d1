"""How WorkOS failures are described: what WorkOS said, never what the request carried."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workos._errors import BadRequestError, RateLimitExceededError, ServerError, WorkOSConnectionError

from stytch2workos.destination.client import WorkOSTarget, failure_of
from stytch2workos.destination.writes import hash_secrets
from stytch2workos.errors import REDACTED
from stytch2workos.settings import WorkOSCredentials

API_KEY = "sk_test_unit_key_never_printed"
HASH = "$scrypt$v=1$n=16384,r=8,p=1,kl=32$c2FsdHNhbHRzYWx0$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"


@pytest.fixture()
def target() -> Iterator[WorkOSTarget]:
    client = WorkOSTarget(WorkOSCredentials(API_KEY, base_url="http://127.0.0.1:9"))
    yield client
    client.close()


def test_the_message_comes_from_a_json_error_body_only() -> None:
    json_error = BadRequestError(
        "Validation failed.",
        response_json={"message": "Validation failed.", "code": "invalid", "errors": [{"code": "bad_hash"}]},
        request_id="req_1",
    )
    failure = failure_of(json_error)
    assert (failure.status, failure.code, failure.message, failure.request_id) == (
        400,
        "invalid:bad_hash",
        "Validation failed.",
        "req_1",
    )
    # Without a JSON body the SDK's message is the raw response: a proxy page, or an echo of
    # the request with its Authorization header.
    echoed = ServerError(f"<html>Authorization: Bearer {API_KEY}</html>", status_code=502)
    assert failure_of(echoed).message == "the response was not a WorkOS JSON error"
    oauth = BadRequestError("x", response_json={"error": "invalid_client", "error_description": "Bad id."})
    assert failure_of(oauth).message == "Bad id."


def test_failures_never_carry_the_api_key_or_the_hash_sent(target: WorkOSTarget) -> None:
    body = {"message": f"hash {HASH} rejected for key {API_KEY}", "code": "invalid"}
    for exc in (
        BadRequestError(body["message"], response_json=body),
        RateLimitExceededError(body["message"], response_json=body),
        WorkOSConnectionError(f"Connection failed: {API_KEY}"),
    ):
        described = target.failure(exc, *hash_secrets(HASH)).describe()
        assert API_KEY not in described and HASH not in described and REDACTED in described
    # WorkOS may quote one field of the hash: the salt and the digest are removed on their own too.
    salt = HASH.split("$")[-2]
    only_salt = BadRequestError("x", response_json={"message": f"salt {salt} too short"})
    assert salt not in target.failure(only_salt, *hash_secrets(HASH)).message


def test_a_long_message_is_clipped() -> None:
    failure = failure_of(BadRequestError("x", response_json={"message": "word " * 500}))
    assert len(failure.message) <= 300

"""WorkOS emulator: webhook endpoints, and signed delivery checked with the SDK's own verifier.

A receiver on a loopback port, started by each test, stands in for the tool's listener.
Every delivery it gets is verified with ``client.webhooks.verify_event`` (the SDK's
HMAC check and event parser), so the emulator's signing and the SDK cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from workos import ConflictError, NotFoundError, UnprocessableEntityError, WorkOSClient

from conftest import Emulator
from stytch2workos_emulators.workos.delivery import is_loopback
from stytch2workos_emulators.workos.webhooks import signature_header
from webhook_receiver import Receiver, serve

pytestmark = pytest.mark.timeout(60)

SECRET = "whsec_FakeTestSecretNotReal0123"
ORG = "org_01HZZZZZZZZZZZZZZZZZZZZZC1"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve("/webhooks/workos", Receiver()) as state:
        yield state


def _org_with_draft_connection(workos_emu: Emulator) -> None:
    workos_emu.control.seed(
        {
            "webhook_retry_delays": [0.05, 0.05],
            "organizations": [{"id": ORG, "name": "Gamma", "domains": ["gamma.dev"]}],
            "connections": [{"organization_id": ORG, "state": "draft", "external_id": "saml-1"}],
        }
    )


def test_completed_setup_is_delivered_signed_and_the_sdk_verifies_it(
    workos_client: WorkOSClient, workos_emu: Emulator, receiver: Receiver
) -> None:
    _org_with_draft_connection(workos_emu)
    endpoint = workos_emu.control.add_webhook_endpoint(receiver.url, SECRET)
    assert endpoint["status"] == "enabled" and "connection.activated" in endpoint["events"]
    workos_emu.control.complete_setup(ORG, "sso")
    workos_emu.control.complete_setup(ORG, "dsync")
    deliveries = receiver.wait_for(2)
    names = []
    for headers, body, _ in deliveries:
        assert headers["content-type"] == "application/json"
        event = workos_client.webhooks.verify_event(
            event_body=body, event_signature=headers["workos-signature"], secret=SECRET
        )
        names.append(event.event)
        listed = workos_client.events.list_events(events=[event.event]).data
        assert [e.id for e in listed] == [event.id]  # the same event the Events API lists
    assert names == ["connection.activated", "dsync.activated"]
    records = workos_emu.control.webhook_deliveries(settle=5)
    assert [(r["event"], r["status"], len(r["attempts"])) for r in records] == [
        ("connection.activated", "delivered", 1),
        ("dsync.activated", "delivered", 1),
    ]
    assert SECRET not in str(records)


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "timestamp", "no_space", "stale"],
)
def test_a_tampered_delivery_fails_the_sdk_check(
    workos_client: WorkOSClient, workos_emu: Emulator, receiver: Receiver, tamper: str
) -> None:
    _org_with_draft_connection(workos_emu)
    workos_emu.control.add_webhook_endpoint(receiver.url, SECRET)
    workos_emu.control.complete_setup(ORG, "sso")
    [(headers, body, _)] = receiver.wait_for(1)
    signature, secret = headers["workos-signature"], SECRET
    t_part, v_part = signature.split(", ")
    if tamper == "body":
        body = body.replace(b"active", b"inactive", 1)
    elif tamper == "secret":
        secret = SECRET.removeprefix("whsec_")  # the SDK uses the secret as given, prefix and all
    elif tamper == "timestamp":
        signature = f"t={int(t_part[2:]) + 1}, {v_part}"
    elif tamper == "no_space":
        signature = f"{t_part},{v_part}"
    elif tamper == "stale":
        old = int(time.time() * 1000) - 181_000
        signature = signature_header(SECRET, body, old)
    with pytest.raises(ValueError):
        workos_client.webhooks.verify_event(event_body=body, event_signature=signature, secret=secret)


def test_a_receiver_that_fails_once_gets_the_event_again(
    workos_client: WorkOSClient, workos_emu: Emulator, receiver: Receiver
) -> None:
    _org_with_draft_connection(workos_emu)
    receiver.failures = 1
    workos_emu.control.add_webhook_endpoint(receiver.url, SECRET, ["connection.activated"])
    workos_emu.control.complete_setup(ORG, "sso")
    (first_headers, first, status1), (second_headers, second, status2) = receiver.wait_for(2)
    assert (status1, status2) == (500, 200) and first == second
    for headers in (first_headers, second_headers):  # each attempt is signed afresh
        workos_client.webhooks.verify_header(
            event_body=second, event_signature=headers["workos-signature"], secret=SECRET
        )
    [record] = workos_emu.control.webhook_deliveries(settle=5)
    assert record["status"] == "delivered"
    assert [a["status"] for a in record["attempts"]] == [500, 200]


def test_retries_are_bounded(workos_emu: Emulator, receiver: Receiver) -> None:
    _org_with_draft_connection(workos_emu)
    receiver.failures = 100
    workos_emu.control.add_webhook_endpoint(receiver.url, SECRET)
    workos_emu.control.complete_setup(ORG, "sso")
    [record] = workos_emu.control.webhook_deliveries(settle=5)
    assert record["status"] == "failed" and len(record["attempts"]) == 3  # one try and two retries
    time.sleep(0.2)
    assert len(receiver.received) == 3


def test_unreachable_and_non_loopback_endpoints(workos_emu: Emulator, receiver: Receiver) -> None:
    _org_with_draft_connection(workos_emu)
    closed = receiver.url.rsplit(":", 1)[0] + ":9/closed"  # the discard port: nothing listens there
    workos_emu.control.seed(
        {
            "webhook_endpoints": [
                {"endpoint_url": closed, "secret": SECRET},
                {"endpoint_url": "https://hooks.example.com/workos", "secret": SECRET},
                {"endpoint_url": receiver.url + "?disabled", "secret": SECRET, "status": "disabled"},
                {"endpoint_url": receiver.url + "?dsync", "secret": SECRET, "events": ["dsync.activated"]},
            ]
        }
    )
    workos_emu.control.complete_setup(ORG, "sso")
    records = workos_emu.control.webhook_deliveries(settle=5)
    by_url = {r["endpoint_url"]: r for r in records}
    assert set(by_url) == {closed, "https://hooks.example.com/workos"}  # disabled and unsubscribed: none
    assert by_url[closed]["status"] == "failed"
    assert all(a["error"] and a["status"] is None for a in by_url[closed]["attempts"])
    skipped = by_url["https://hooks.example.com/workos"]
    assert skipped["status"] == "skipped" and skipped["attempts"] == [] and "loopback" in skipped["reason"]
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/hook", True),
        ("https://127.0.0.2/hook", True),
        ("http://[::1]:9000/hook", True),
        ("http://localhost/hook", True),
        ("ftp://127.0.0.1/hook", False),
        ("http://10.0.0.1/hook", False),
        ("http://127.0.0.1.nip.example/hook", False),
        ("https://hooks.example.com/hook", False),
        ("http:///no-host", False),
    ],
)
def test_only_loopback_urls_are_ever_contacted(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_reset_forgets_endpoints_and_deliveries(workos_emu: Emulator, receiver: Receiver) -> None:
    _org_with_draft_connection(workos_emu)
    workos_emu.control.add_webhook_endpoint(receiver.url, SECRET)
    workos_emu.control.complete_setup(ORG, "sso")
    workos_emu.control.webhook_deliveries(settle=5)
    workos_emu.control.reset()
    state = workos_emu.control.state()
    assert (state["webhook_endpoints"], state["webhook_deliveries"], state["events"]) == ([], [], [])
    assert state["webhook_retry_delays"] == [0.2, 1.0, 5.0]


# -- the endpoint API -------------------------------------------------------------------------


def test_webhook_endpoint_crud(workos_client: WorkOSClient) -> None:
    hooks = workos_client.webhooks
    made = hooks.create_webhook_endpoint(
        endpoint_url="https://hooks.example.com/a", events=["connection.activated", "dsync.activated"]
    )
    assert made.id.startswith("we_") and made.secret.startswith("whsec_") and len(made.secret) == 31
    assert str(made.status.value) == "enabled" and made.events == ["connection.activated", "dsync.activated"]
    other = hooks.create_webhook_endpoint(endpoint_url="https://hooks.example.com/b", events=["user.created"])
    assert [w.id for w in hooks.list_webhook_endpoints(order="asc").data] == [made.id, other.id]
    assert [w.id for w in hooks.list_webhook_endpoints(limit=1).auto_paging_iter()] == [other.id, made.id]
    changed = hooks.update_webhook_endpoint(made.id, status="disabled", events=["connection.deactivated"])
    assert str(changed.status.value) == "disabled" and changed.events == ["connection.deactivated"]
    assert changed.secret == made.secret
    with pytest.raises(ConflictError):
        hooks.update_webhook_endpoint(other.id, endpoint_url="https://hooks.example.com/a")
    hooks.delete_webhook_endpoint(made.id)
    with pytest.raises(NotFoundError):
        hooks.delete_webhook_endpoint(made.id)
    with pytest.raises(NotFoundError):
        hooks.update_webhook_endpoint(made.id, status="enabled")


@pytest.mark.parametrize(
    ("url", "events", "error", "code"),
    [
        ("http://hooks.example.com/a", ["user.created"], UnprocessableEntityError, "invalid_url"),
        ("https://", ["user.created"], UnprocessableEntityError, "invalid_url"),
        (
            "https://hooks.example.com/a",
            ["user.exploded"],
            UnprocessableEntityError,
            "invalid_request_parameters",
        ),
        ("https://hooks.example.com/a", [], UnprocessableEntityError, "invalid_request_parameters"),
        ("https://hooks.example.com/taken", ["user.created"], ConflictError, "duplicate_endpoint"),
    ],
)
def test_webhook_endpoint_refusals(
    workos_client: WorkOSClient, url: str, events: list[str], error: type[Exception], code: str
) -> None:
    workos_client.webhooks.create_webhook_endpoint(
        endpoint_url="https://hooks.example.com/taken", events=["user.created"]
    )
    with pytest.raises(error) as caught:
        workos_client.webhooks.create_webhook_endpoint(endpoint_url=url, events=events)
    assert getattr(caught.value, "code", None) == code

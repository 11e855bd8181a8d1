"""Stytch emulator: organization and member writes through the official SDK, and the
Svix-signed webhooks they send, each verified with the ``svix`` package (the library the
receiver uses) so the emulator's hand-written signing and Svix's scheme cannot drift apart.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest
from stytch import B2BClient
from stytch.core.response_base import StytchError
from svix.webhooks import Webhook, WebhookVerificationError

from conftest import Emulator
from stytch2workos_emulators import defaults
from stytch2workos_emulators.stytch.webhooks import SVIX_RETRY_DELAYS, signature
from webhook_receiver import Receiver, serve

pytestmark = pytest.mark.timeout(60)

SECRET = "whsec_" + base64.b64encode(b"fake-test-webhook-key-not-real!!").decode()
ORG = "organization-test-0e000000-0000-4000-8000-000000000001"
MEMBER = "member-test-0e000000-0000-4000-8000-000000000001"


def seed(url: str, **settings: Any) -> dict[str, Any]:
    return {
        "organizations": [{"organization_id": ORG, "organization_name": "Acme", "organization_slug": "acme"}],
        "members": [{"organization_id": ORG, "member_id": MEMBER, "email_address": "ada@acme.example"}],
        "webhooks": [{"url": url, "secret": SECRET}],
        "webhook_settings": {"retry_scale": 0.001, **settings},
    }


class SignedReceiver(Receiver):
    """Deliveries whose Svix signatures the tests check."""

    def events(self, count: int) -> list[dict[str, Any]]:
        """The payloads of the first ``count`` deliveries, each verified with svix."""
        out = []
        for headers, body, _ in self.wait_for(count)[:count]:
            Webhook(SECRET).verify(body, headers)  # raises on a bad signature
            out.append(json.loads(body))
        return out


@pytest.fixture
def receiver() -> Iterator[SignedReceiver]:
    with serve("/hooks", SignedReceiver()) as state:
        yield state


@pytest.fixture
def client(stytch_emu: Emulator) -> B2BClient:
    return B2BClient(
        defaults.STYTCH_PROJECT_ID,
        defaults.STYTCH_SECRET,
        environment=stytch_emu.base_url,
        suppress_warnings=True,
    )


def test_member_update_sends_a_signed_event_svix_verifies(
    stytch_emu: Emulator, client: B2BClient, receiver: SignedReceiver
) -> None:
    stytch_emu.control.seed(seed(receiver.url))
    started = time.time()
    answer = client.organizations.members.update(ORG, MEMBER, name="Ada L", roles=["editor"])
    assert answer.member.name == "Ada L"
    (event,) = receiver.events(1)
    headers = receiver.received[0][0]
    assert headers["svix-id"].startswith("msg_") and abs(int(headers["svix-timestamp"]) - started) < 5
    assert {k: event[k] for k in ("project_id", "action", "object_type", "source", "id", "vertical")} == {
        "project_id": defaults.STYTCH_PROJECT_ID,
        "action": "UPDATE",
        "object_type": "member",
        "source": "DIRECT",
        "id": MEMBER,
        "vertical": "B2B",
    }
    assert event["event_id"].startswith("event-test-")
    assert event["timestamp"].endswith("Z") and len(event["timestamp"].split(".")[1]) == 7  # microseconds
    assert event["member"]["name"] == "Ada L"
    assert [r["role_id"] for r in event["member"]["roles"]] == ["stytch_member", "editor"]
    (record,) = stytch_emu.control.stytch_webhook_deliveries(settle=5)
    assert (record["event_type"], record["status"], record["msg_id"]) == (
        "direct.member.update",
        "delivered",
        headers["svix-id"],
    )
    assert SECRET not in json.dumps(record)


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        ("body", "No matching signature found"),
        ("secret", "No matching signature found"),
        ("timestamp", "Message timestamp too old"),
    ],
)
def test_signature_is_svix_scheme(tamper: str, expected: str) -> None:
    """The emulator's signature passes svix's check, and fails it when anything is changed."""
    body, msg_id, now = b'{"id":"x"}', "msg_1", int(time.time())
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(now),
        "svix-signature": signature(SECRET, msg_id, now, body),
    }
    Webhook(SECRET).verify(body, headers)
    other = "whsec_" + base64.b64encode(b"another-fake-key").decode()
    if tamper == "body":
        body = b'{"id":"y"}'
    elif tamper == "secret":
        headers["svix-signature"] = signature(other, msg_id, now, body)
    else:
        old = now - 600
        headers.update({"svix-timestamp": str(old), "svix-signature": signature(SECRET, msg_id, old, body)})
    with pytest.raises(WebhookVerificationError, match=expected):
        Webhook(SECRET).verify(body, headers)


def test_retries_after_500_with_the_same_svix_id(
    stytch_emu: Emulator, client: B2BClient, receiver: SignedReceiver
) -> None:
    receiver.failures = 2
    stytch_emu.control.seed(seed(receiver.url))
    client.organizations.members.delete(ORG, MEMBER)
    deliveries = receiver.wait_for(3)
    assert [status for _, _, status in deliveries] == [500, 500, 200]
    assert len({h["svix-id"] for h, _, _ in deliveries}) == 1
    for headers, body, _ in deliveries:
        Webhook(SECRET).verify(body, headers)  # each attempt is signed afresh
    (record,) = stytch_emu.control.stytch_webhook_deliveries(settle=5)
    assert record["status"] == "delivered" and [a["status"] for a in record["attempts"]] == [500, 500, 200]
    gaps = [b["at"] - a["at"] for a, b in zip(record["attempts"], record["attempts"][1:], strict=False)]
    # Svix's 5 s and 5 min, scaled by 0.001.
    assert gaps[0] >= SVIX_RETRY_DELAYS[0] * 0.001 and gaps[1] >= SVIX_RETRY_DELAYS[1] * 0.001


def test_a_dead_endpoint_fails_after_the_whole_schedule(stytch_emu: Emulator, client: B2BClient) -> None:
    stytch_emu.control.seed(seed("http://127.0.0.1:9/closed", retry_scale=0.00001, timeout=1))
    client.organizations.members.update(ORG, MEMBER, name="x")
    (record,) = stytch_emu.control.stytch_webhook_deliveries(settle=10)
    assert record["status"] == "failed" and len(record["attempts"]) == 1 + len(SVIX_RETRY_DELAYS)


def test_each_write_sends_its_event_and_delete_has_no_object(
    stytch_emu: Emulator, client: B2BClient, receiver: SignedReceiver
) -> None:
    stytch_emu.control.seed(seed(receiver.url))
    org = client.organizations.create(organization_name="Globex", organization_slug="globex").organization
    renamed = client.organizations.update(org.organization_id, organization_name="Globex Corp").organization
    assert renamed.organization_name == "Globex Corp"
    member = client.organizations.members.create(
        org.organization_id, email_address="bo@globex.example"
    ).member
    client.organizations.members.delete(org.organization_id, member.member_id)
    client.organizations.delete(org.organization_id)
    events = receiver.events(5)
    by_order = sorted(events, key=lambda e: e["timestamp"])
    assert [(e["object_type"], e["action"], e["id"]) for e in by_order] == [
        ("organization", "CREATE", org.organization_id),
        ("organization", "UPDATE", org.organization_id),
        ("member", "CREATE", member.member_id),
        ("member", "DELETE", member.member_id),
        ("organization", "DELETE", org.organization_id),
    ]
    assert by_order[1]["organization"]["organization_name"] == "Globex Corp"
    assert by_order[2]["member"]["email_address"] == "bo@globex.example"
    for deleted in (by_order[3], by_order[4]):
        assert deleted["object_type"] not in deleted
    with pytest.raises(StytchError) as gone:
        client.organizations.get(org.organization_id)
    assert gone.value.details.error_type == "organization_not_found"


@pytest.mark.parametrize(
    ("source", "operation", "params", "body", "event_type"),
    [
        ("dashboard", "update_member", {"organization_id": ORG, "member_id": MEMBER}, {"name": "D"}, "dashboard.member.update"),
        ("scim", "create_member", {"organization_id": ORG}, {"email_address": "cy@acme.example"}, "scim.member.create"),
        ("scim", "delete_member", {"organization_id": ORG, "member_id": MEMBER}, {}, "scim.member.delete"),
        ("dashboard", "update_organization", {"organization_id": ORG}, {"organization_name": "Acme 2"}, "dashboard.organization.update"),
    ],
)  # fmt: skip
def test_changes_played_as_dashboard_or_scim_name_their_source(
    stytch_emu: Emulator,
    receiver: SignedReceiver,
    source: str,
    operation: str,
    params: dict[str, str],
    body: dict[str, Any],
    event_type: str,
) -> None:
    stytch_emu.control.seed(seed(receiver.url))
    stytch_emu.control.stytch_change(source, operation, body, **params)
    (event,) = receiver.events(1)
    assert event["source"] == source.upper()
    (record,) = stytch_emu.control.stytch_webhook_deliveries(settle=5)
    assert record["event_type"] == event_type


def test_update_changes_updated_at_and_search_sees_it(stytch_emu: Emulator, client: B2BClient) -> None:
    stytch_emu.control.seed({**seed("http://127.0.0.1:9/"), "webhooks": []})
    before = client.organizations.members.get(ORG, member_id=MEMBER).member
    client.organizations.members.update(ORG, MEMBER, name="New name")
    found = client.organizations.members.search(organization_ids=[ORG]).members
    assert [m.name for m in found] == ["New name"]
    assert found[0].updated_at is not None and found[0].updated_at >= (before.updated_at or "")
    orgs = client.organizations.search().organizations
    client.organizations.update(ORG, organization_name="Renamed")
    assert [o.organization_name for o in client.organizations.search().organizations] == ["Renamed"]
    assert len(orgs) == 1


def test_duplicate_knob_sends_each_message_twice_with_one_id(
    stytch_emu: Emulator, client: B2BClient, receiver: SignedReceiver
) -> None:
    stytch_emu.control.seed(seed(receiver.url, duplicate=True))
    client.organizations.members.update(ORG, MEMBER, name="Twice")
    first, second = receiver.wait_for(2)
    assert first[0]["svix-id"] == second[0]["svix-id"] and first[1] == second[1]


def test_reorder_knob_delivers_a_batch_newest_first(
    stytch_emu: Emulator, client: B2BClient, receiver: SignedReceiver
) -> None:
    stytch_emu.control.seed(seed(receiver.url, reorder_window=0.3))
    for name in ("one", "two", "three"):
        client.organizations.members.update(ORG, MEMBER, name=name)
    assert [e["member"]["name"] for e in receiver.events(3)] == ["three", "two", "one"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "ftp://127.0.0.1/", "secret": SECRET}, "http(s) url"),
        ({"url": "http://127.0.0.1/", "secret": "plain"}, "whsec_"),
        ({"url": "http://127.0.0.1/", "secret": "whsec_***"}, "base64"),
    ],
)
def test_bad_endpoints_are_refused(stytch_emu: Emulator, body: dict[str, str], message: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        stytch_emu.control.add_stytch_webhook_endpoint(body["url"], body["secret"])
    assert refused.value.code == 400 and message in json.loads(refused.value.read())["error"]


@pytest.mark.parametrize(
    ("call", "error_type"),
    [
        (lambda c: c.organizations.create(organization_name="X", organization_slug="acme"), "organization_slug_already_used"),
        (lambda c: c.organizations.create(organization_name="X", organization_slug="a b"), "invalid_organization_slug"),
        (lambda c: c.organizations.update("organization-test-nope", organization_name="X"), "organization_not_found"),
        (lambda c: c.organizations.delete("organization-test-nope"), "organization_not_found"),
    ],
)  # fmt: skip
def test_refused_writes_send_nothing(
    stytch_emu: Emulator, client: B2BClient, call: Any, error_type: str
) -> None:
    stytch_emu.control.seed(seed("http://127.0.0.1:9/"))
    with pytest.raises(StytchError) as refused:
        call(client)
    assert refused.value.details.error_type == error_type
    assert stytch_emu.control.stytch_webhook_deliveries() == []

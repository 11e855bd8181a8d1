"""Garbled success answers and repeated invitations, through the official SDKs over loopback.

A garbled answer is the nastiest unknown outcome: the write happened and the status
says so, but the body cannot be read. These tests pin down what each SDK does with
one (the product must treat it as "look up before sending again") and that the
emulator applied the write exactly once.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pydantic
import pytest
from stytch import B2BClient
from workos import BadRequestError, WorkOSClient, WorkOSError
from workos._errors import APIError

from conftest import Emulator
from helpers import small_seed
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.faults import FaultRule, parse_spec, rule_from_json

pytestmark = pytest.mark.timeout(60)

ORG_ROUTE = "POST /organizations"
USER_ROUTE = "POST /user_management/users"
INVITE_ROUTE = "POST /user_management/invitations"
MEMBERSHIP_ROUTE = "POST /user_management/organization_memberships"


# -- the rule: spec string and control API --------------------------------------------------


def test_spec_string_carries_garble_fields() -> None:
    [rule] = parse_spec(f"route={INVITE_ROUTE},garble_rate=0.25,garble_mode=not_json,times=2")
    assert (rule.route, rule.garble_rate, rule.garble_mode, rule.times) == (INVITE_ROUTE, 0.25, "not_json", 2)
    assert parse_spec("garble_rate=1")[0].garble_mode == "missing_fields"
    assert rule_from_json(rule.to_json()) == rule


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("garble_rate=1,garble_mode=html", "garble_mode must be one of missing_fields, not_json"),
        ("garble_rate=1.5", "garble_rate must be between 0 and 1"),
        ("garble_rat=1", "unknown fault field"),
    ],
)
def test_bad_garble_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spec(spec)


def test_control_api_takes_garble_rules_as_json_and_refuses_bad_ones(workos_emu: Emulator) -> None:
    rule = {"route": ORG_ROUTE, "garble_rate": 1, "garble_mode": "not_json"}
    workos_emu.control.set_faults([rule])
    listed = workos_emu.control._call("GET", "faults")["rules"]
    assert [(r["route"], r["garble_rate"], r["garble_mode"]) for r in listed] == [
        (ORG_ROUTE, 1.0, "not_json")
    ]
    with pytest.raises(urllib.error.HTTPError) as err:
        workos_emu.control.set_faults([{**rule, "garble_mode": "empty"}])
    assert err.value.code == 400
    assert "garble_mode" in json.loads(err.value.read())["error"]


# -- WorkOS: what the SDK raises, and the write applied once ---------------------------------

# Each write: its route, the SDK call (given the ids of a user and an organization that
# exist), and the state collection the write adds to.
Write = Callable[[WorkOSClient, str, str], object]
WRITES: list[tuple[str, Write, str]] = [
    (ORG_ROUTE, lambda c, u, o: c.organizations.create_organization(name="Garbled", external_id="x-1"), "organizations"),
    (USER_ROUTE, lambda c, u, o: c.user_management.create_user(email="new@garble.example"), "users"),
    (
        INVITE_ROUTE,
        lambda c, u, o: c.user_management.send_invitation(email="inv@garble.example", organization_id=o),
        "invitations",
    ),
    (
        MEMBERSHIP_ROUTE,
        lambda c, u, o: c.organization_membership.create_organization_membership(user_id=u, organization_id=o),
        "organization_memberships",
    ),
]  # fmt: skip


def _base(client: WorkOSClient) -> tuple[str, str]:
    user = client.user_management.create_user(email="base@garble.example")
    org = client.organizations.create_organization(name="Base")
    return user.id, org.id


@pytest.mark.parametrize(("route", "write", "collection"), WRITES, ids=[w[0] for w in WRITES])
def test_missing_fields_raises_a_plain_workos_error_after_the_write(
    workos_client: WorkOSClient, workos_emu: Emulator, route: str, write: Write, collection: str
) -> None:
    user_id, org_id = _base(workos_client)
    before = len(workos_emu.control.state()[collection])
    workos_emu.control.reset_stats()
    # A catch-all rule: the lookups below are reads, which a garble never touches.
    workos_emu.control.set_faults(spec="route=*,garble_rate=1,garble_mode=missing_fields,times=1")
    with pytest.raises(WorkOSError) as err:
        write(workos_client, user_id, org_id)
    # Not an APIError (no status, no code): the SDK wraps the model's KeyError.
    assert type(err.value) is WorkOSError and not isinstance(err.value, APIError)
    assert isinstance(err.value.__cause__, KeyError)
    assert str(err.value).startswith("Unexpected API response while parsing ")
    assert len(workos_emu.control.state()[collection]) == before + 1
    stats = workos_emu.control.stats()
    assert stats["faults_fired"] == {"garble": 1}
    assert stats["requests"][route] == 1


@pytest.mark.parametrize(("route", "write", "collection"), WRITES, ids=[w[0] for w in WRITES])
def test_not_json_makes_the_sdk_return_none_after_the_write(
    workos_client: WorkOSClient, workos_emu: Emulator, route: str, write: Write, collection: str
) -> None:
    user_id, org_id = _base(workos_client)
    before = len(workos_emu.control.state()[collection])
    workos_emu.control.set_faults([{"route": route, "garble_rate": 1, "garble_mode": "not_json", "times": 1}])
    # No exception at all: the SDK swallows the JSON error and hands back None.
    assert write(workos_client, user_id, org_id) is None
    assert len(workos_emu.control.state()[collection]) == before + 1
    assert workos_emu.control.stats()["faults_fired"] == {"garble": 1}


def test_not_json_is_the_real_answer_cut_short(workos_emu: Emulator) -> None:
    workos_emu.control.set_faults(spec=f"route={ORG_ROUTE},garble_rate=1,garble_mode=not_json")
    parts = urlsplit(workos_emu.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {defaults.WORKOS_API_KEY}", "Content-Type": "application/json"}
        conn.request("POST", "/organizations", body=b'{"name": "Cut"}', headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 201
    assert response.getheader("content-type") == "application/json"
    assert response.getheader("x-request-id", "").startswith("req_")
    assert body.startswith(b'{"object":"organization"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    [org] = workos_emu.control.state()["organizations"]
    assert org["name"] == "Cut"


def test_a_refused_write_is_not_garbled_and_keeps_the_fault(
    workos_client: WorkOSClient, workos_emu: Emulator
) -> None:
    workos_client.organizations.create_organization(name="First", external_id="dup")
    workos_emu.control.set_faults([{"route": ORG_ROUTE, "garble_rate": 1, "times": 1}])
    with pytest.raises(BadRequestError) as err:
        workos_client.organizations.create_organization(name="Again", external_id="dup")
    assert err.value.code == "external_id_already_used"
    assert workos_emu.control.stats()["faults_fired"] == {}
    # The one garble the rule allows is still there for the next write that succeeds.
    with pytest.raises(WorkOSError):
        workos_client.organizations.create_organization(name="Second", external_id="other")
    assert workos_client.organizations.create_organization(name="Third").name == "Third"
    assert workos_emu.control.stats()["faults_fired"] == {"garble": 1}
    assert len(workos_emu.control.state()["organizations"]) == 3


def test_garble_needs_a_write_and_a_body(workos_client: WorkOSClient, workos_emu: Emulator) -> None:
    org = workos_client.organizations.create_organization(name="Gone soon")
    workos_emu.control.set_faults(spec="route=*,garble_rate=1")
    assert workos_client.organizations.get_organization(org.id).name == "Gone soon"  # a read
    workos_client.organizations.delete_organization(org.id)  # an empty answer: nothing to spoil
    assert workos_emu.control.stats()["faults_fired"] == {}
    assert workos_emu.control.state()["organizations"] == []


def test_garble_never_stacks_on_commit_then_fail(workos_client: WorkOSClient, workos_emu: Emulator) -> None:
    commit_then_fail = {"route": ORG_ROUTE, "commit_then_fail_rate": 1, "times": 1}
    garble = {"route": ORG_ROUTE, "garble_rate": 1, "times": 1}
    workos_emu.control.set_faults([commit_then_fail, garble])
    with pytest.raises(APIError) as err:
        workos_client.organizations.create_organization(name="Once")
    assert err.value.status_code == 500
    assert workos_emu.control.stats()["faults_fired"] == {"commit_then_fail": 1}
    # In the other order, the first rule to fire wins just the same.
    workos_emu.control.reset_stats()
    workos_emu.control.set_faults([garble, commit_then_fail])
    with pytest.raises(WorkOSError) as garbled:
        workos_client.organizations.create_organization(name="Twice")
    assert not isinstance(garbled.value, APIError)
    assert workos_emu.control.stats()["faults_fired"] == {"garble": 1}
    assert len(workos_emu.control.state()["organizations"]) == 2


# -- Stytch: the same rule through the shared server layer -----------------------------------


def test_stytch_sdk_fails_validation_on_either_garble(stytch_emu: Emulator) -> None:
    seed = small_seed()
    org_id = seed["organizations"][0]["organization_id"]
    stytch_emu.control.seed(seed)
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    for mode in ("missing_fields", "not_json"):
        stytch_emu.control.set_faults(spec=f"route=POST */members,garble_rate=1,garble_mode={mode}")
        with pytest.raises(pydantic.ValidationError):
            client.organizations.members.create(org_id, f"{mode}@acme.example")
    emails = {m["email_address"] for m in stytch_emu.control.state()["members"]}
    assert {"missing_fields@acme.example", "not_json@acme.example"} <= emails
    assert stytch_emu.control.stats()["faults_fired"] == {"garble": 2}


# -- repeated invitations ------------------------------------------------------------------


def _invite(client: WorkOSClient, org_id: str | None) -> Any:
    return client.user_management.send_invitation(email="Twice@Invite.example", organization_id=org_id)


@pytest.mark.parametrize("with_org", [True, False], ids=["to-organization", "no-organization"])
def test_a_repeated_invitation_is_refused_by_default(
    workos_client: WorkOSClient, workos_emu: Emulator, with_org: bool
) -> None:
    org_id = workos_client.organizations.create_organization(name="Invites").id if with_org else None
    _invite(workos_client, org_id)
    with pytest.raises(BadRequestError) as err:
        _invite(workos_client, org_id)
    assert err.value.code == (
        "email_already_invited_to_organization" if with_org else "email_already_invited"
    )
    assert len(workos_emu.control.state()["invitations"]) == 1


@pytest.mark.parametrize("with_org", [True, False], ids=["to-organization", "no-organization"])
def test_repeated_invitations_mode_creates_another_pending_one(
    workos_client: WorkOSClient, workos_emu: Emulator, with_org: bool
) -> None:
    workos_emu.control.set_settings({"allow_repeated_invitations": True})
    org_id = workos_client.organizations.create_organization(name="Invites").id if with_org else None
    first, second = _invite(workos_client, org_id), _invite(workos_client, org_id)
    assert first.id != second.id and first.token != second.token
    listed = workos_client.user_management.list_invitations(email="twice@invite.example").data
    assert sorted(i.id for i in listed) == sorted([first.id, second.id])
    assert {(i.state, i.organization_id) for i in listed} == {("pending", org_id)}
    # Switched back off, the refusal returns.
    workos_emu.control.set_settings({"allow_repeated_invitations": False})
    with pytest.raises(BadRequestError):
        _invite(workos_client, org_id)


def test_repeated_invitations_mode_comes_from_the_seed_and_survives_a_dump(workos_emu: Emulator) -> None:
    assert workos_emu.control.state()["settings"]["allow_repeated_invitations"] is False
    workos_emu.control.seed(
        {"settings": {"allow_repeated_invitations": True}, "organizations": [{"name": "S"}]}
    )
    dumped = workos_emu.control.state()
    assert dumped["settings"]["allow_repeated_invitations"] is True
    workos_emu.control.reset()
    assert workos_emu.control.state()["settings"]["allow_repeated_invitations"] is False
    workos_emu.control.seed(dumped)
    assert workos_emu.control.state()["settings"] == dumped["settings"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"allow_repeated_invitation": True}, "unknown setting(s): allow_repeated_invitation"),
        ({"allow_repeated_invitations": "yes"}, "must be true or false"),
    ],
)
def test_bad_settings_are_refused(workos_emu: Emulator, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        workos_emu.control.set_settings(settings)
    assert err.value.code == 400
    assert message in json.loads(err.value.read())["error"]


def test_fault_rule_defaults_leave_garble_off() -> None:
    rule = FaultRule()
    assert (rule.garble_rate, rule.garble_mode) == (0.0, "missing_fields")

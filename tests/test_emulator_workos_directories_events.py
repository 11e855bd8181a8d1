"""WorkOS emulator: directories, Admin Portal links, the Events API and the customer finishing setup.

All through the official SDK over loopback; directories exist only through the seed
or the control action, as WorkOS has no create-directory API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from workos import BadRequestError, NotFoundError, UnprocessableEntityError, WorkOSClient
from workos.sso import CreateConnectionSAMLOptions, CreateProtocolOptionsSAML

from conftest import Emulator

pytestmark = pytest.mark.timeout(60)

ORG_A = "org_01HZZZZZZZZZZZZZZZZZZZZZA1"
ORG_B = "org_01HZZZZZZZZZZZZZZZZZZZZZB1"
HANDOFF_EVENTS = ["connection.activated", "connection.deactivated", "dsync.activated", "dsync.deleted"]


def _seed_orgs(workos_emu: Emulator) -> None:
    workos_emu.control.seed(
        {
            "organizations": [
                {"id": ORG_A, "name": "Alpha", "domains": [{"domain": "alpha.dev", "state": "verified"}]},
                {"id": ORG_B, "name": "Beta", "domains": ["beta.dev"]},
            ]
        }
    )


def _draft_connection(client: WorkOSClient, org: str) -> str:
    options = CreateConnectionSAMLOptions(idp_entity_id="https://idp.example.test/entity")
    made = client.sso.create_connection(
        organization_id=org, protocol_options=CreateProtocolOptionsSAML(saml_options=options)
    )
    return made.id


# -- directories ------------------------------------------------------------------------------


def test_seeded_directories_list_get_and_delete(workos_client: WorkOSClient, workos_emu: Emulator) -> None:
    _seed_orgs(workos_emu)
    directories: list[dict[str, Any]] = [
        {"organization_id": ORG_A, "name": "Alpha Okta", "type": "okta scim v2.0",
         "metadata": {"users": {"active": 42, "inactive": 3}, "groups": 5}},
        {"organization_id": ORG_A, "name": "Alpha HR", "type": "workday", "state": "unlinked"},
        {"organization_id": ORG_B, "name": "Beta Entra", "type": "azure scim v2.0", "state": "validating"},
    ]  # fmt: skip
    workos_emu.control.seed({"directories": directories})
    listed = workos_client.directory_sync.list_directories(order="asc").data
    assert [(d.name, str(d.state.value), d.domain) for d in listed] == [
        ("Alpha Okta", "linked", "alpha.dev"),
        ("Alpha HR", "unlinked", "alpha.dev"),
        ("Beta Entra", "validating", "beta.dev"),
    ]
    okta = workos_client.directory_sync.get_directory(listed[0].id)
    assert str(okta.type.value) == "okta scim v2.0" and okta.external_key
    assert okta.metadata is not None and (okta.metadata.users.active, okta.metadata.groups) == (42, 5)

    def names(**filters: Any) -> list[str]:
        pages = workos_client.directory_sync.list_directories(order="asc", **filters).auto_paging_iter()
        return [d.name for d in pages]

    assert names(organization_id=ORG_A, limit=1) == ["Alpha Okta", "Alpha HR"]
    assert names(search="entra") == ["Beta Entra"]
    assert names(domain="beta.dev") == ["Beta Entra"]
    assert names(organization_id=ORG_B, search="okta") == []

    workos_client.directory_sync.delete_directory(okta.id)
    with pytest.raises(NotFoundError):
        workos_client.directory_sync.get_directory(okta.id)
    [deleted] = workos_client.events.list_events(events=["dsync.deleted"]).data
    assert (deleted.data.id, str(deleted.data.state.value)) == (okta.id, "deleting")
    workos_client.organizations.delete_organization(ORG_B)
    assert names() == ["Alpha HR"]  # directories go with their organization


@pytest.mark.parametrize(
    ("directory", "problem"),
    [
        ({"organization_id": "org_missing"}, "unknown organization"),
        ({"organization_id": ORG_A, "type": "ldap"}, "unknown directory type"),
        ({"organization_id": ORG_A, "state": "active"}, "directory state"),
    ],
)
def test_bad_seeded_directories_are_refused(
    workos_emu: Emulator, directory: dict[str, Any], problem: str
) -> None:
    _seed_orgs(workos_emu)
    with pytest.raises(Exception, match="400") as caught:
        workos_emu.control.seed({"directories": [directory]})
    assert problem in caught.value.read().decode()  # type: ignore[attr-defined]


# -- Admin Portal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "intent",
    [
        "sso",
        "dsync",
        "audit_logs",
        "log_streams",
        "domain_verification",
        "certificate_renewal",
        "bring_your_own_key",
    ],
)
def test_portal_links_per_intent_expire_after_five_minutes(
    workos_client: WorkOSClient, workos_emu: Emulator, intent: str
) -> None:
    _seed_orgs(workos_emu)
    link = workos_client.admin_portal.generate_link(
        organization=ORG_A, intent=intent, return_url="https://app.example.test/settings"
    )
    assert link.link.startswith("https://setup.workos.test/")
    [record] = workos_emu.control.state()["portal_links"]
    assert (record["intent"], record["link"], record["return_url"]) == (
        intent,
        link.link,
        "https://app.example.test/settings",
    )
    issued = datetime.fromisoformat(record["created_at"])
    assert datetime.fromisoformat(record["expires_at"]) - issued == timedelta(minutes=5)
    assert abs(issued - datetime.now(UTC)) < timedelta(minutes=1)


# -- Events API -------------------------------------------------------------------------------


def _event(name: str, org: str, at: str, object_id: str) -> dict[str, Any]:
    """A seeded event with a complete connection.* payload (the SDK parses every field)."""
    state = "inactive" if name == "connection.deactivated" else "active"
    data = {
        "object": "connection", "id": object_id, "organization_id": org, "state": state, "name": "Okta",
        "connection_type": "OktaSAML", "created_at": at, "updated_at": at, "external_key": "k" + object_id,
        "status": "linked" if state == "active" else "unlinked", "domains": [],
    }  # fmt: skip
    return {"event": name, "data": data, "created_at": at}


def test_events_list_filters(workos_client: WorkOSClient, workos_emu: Emulator) -> None:
    _seed_orgs(workos_emu)
    now = datetime.now(UTC).replace(microsecond=0)

    def at(days_ago: float) -> str:
        return (now - timedelta(days=days_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    seeded = [
        _event("connection.activated", ORG_A, at(40), "conn_too_old"),  # past the 30-day retention
        _event("connection.activated", ORG_A, at(10), "conn_a1"),
        _event("connection.deactivated", ORG_A, at(8), "conn_a1"),
        _event("connection.activated", ORG_B, at(6), "conn_b1"),
        _event("emulator.custom_note", ORG_A, at(5), "note_1"),
        _event("connection.activated", ORG_A, at(2), "conn_a2"),
    ]
    workos_emu.control.seed({"events": seeded})

    def ids(**filters: Any) -> list[str]:
        filters.setdefault("events", ["connection.activated", "connection.deactivated"])
        return [e.data.id for e in workos_client.events.list_events(**filters).auto_paging_iter()]

    # Oldest first, retention applied, only the names asked for.
    assert ids() == ["conn_a1", "conn_a1", "conn_b1", "conn_a2"]
    assert ids(events=["connection.activated"], limit=1) == ["conn_a1", "conn_b1", "conn_a2"]
    assert ids(organization_id=ORG_A) == ["conn_a1", "conn_a1", "conn_a2"]
    assert ids(range_start=now - timedelta(days=9)) == ["conn_a1", "conn_b1", "conn_a2"]
    assert ids(range_start=now - timedelta(days=9), range_end=now - timedelta(days=3)) == [
        "conn_a1",
        "conn_b1",
    ]
    assert ids(range_end=(now - timedelta(days=7)).isoformat().replace("+00:00", "Z")) == [
        "conn_a1",
        "conn_a1",
    ]
    page = workos_client.events.list_events(events=["connection.activated"], limit=2)
    assert [e.data.id for e in page.data] == ["conn_a1", "conn_b1"] and page.list_metadata.after is not None
    rest = workos_client.events.list_events(events=["connection.activated"], after=page.list_metadata.after)
    assert [e.data.id for e in rest.data] == ["conn_a2"] and rest.list_metadata.after is None
    # A name the SDK does not know comes back as EventSchemaUnknown, payload as seeded.
    [note] = workos_client.events.list_events(events=["emulator.custom_note"]).data
    assert note.to_dict()["data"]["id"] == "note_1"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({}, UnprocessableEntityError),
        (
            {"events": "connection.activated", "range_start": "2026-01-01T00:00:00+00:00"},
            UnprocessableEntityError,
        ),
        ({"events": "connection.activated", "range_end": "yesterday"}, UnprocessableEntityError),
        ({"events": "connection.activated", "limit": "101"}, UnprocessableEntityError),
        ({"events": "connection.activated", "after": "not-a-cursor"}, UnprocessableEntityError),
        ({"events": "connection.activated", "organization_id": "org_missing"}, BadRequestError),
    ],
)
def test_events_list_refusals(
    workos_client: WorkOSClient, query: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        workos_client.request("get", ("events",), params=query)


# -- the customer finishing setup ------------------------------------------------------------


def test_complete_setup_activates_the_connection_and_emits_the_event(
    workos_client: WorkOSClient, workos_emu: Emulator
) -> None:
    _seed_orgs(workos_emu)
    conn = _draft_connection(workos_client, ORG_A)
    other = _draft_connection(workos_client, ORG_B)
    assert workos_client.events.list_events(events=HANDOFF_EVENTS).data == []

    workos_emu.control.complete_setup(ORG_A, "sso")
    assert str(workos_client.sso.get_connection(conn).state.value) == "active"
    assert str(workos_client.sso.get_connection(other).state.value) == "draft"
    [event] = workos_client.events.list_events(events=HANDOFF_EVENTS, organization_id=ORG_A).data
    assert event.event == "connection.activated"
    data = event.data
    assert (data.id, data.organization_id, str(data.state.value), str(data.status.value)) == (
        conn,
        ORG_A,
        "active",
        "linked",
    )
    assert [d.domain for d in data.domains] == ["alpha.dev"] and data.external_key
    assert event.context is not None and event.context.actor is not None
    assert str(event.context.actor.source.value) == "admin_portal"

    workos_emu.control.complete_setup(ORG_A, "sso")  # already active: nothing new
    assert len(workos_client.events.list_events(events=HANDOFF_EVENTS).data) == 1
    workos_emu.control.set_object_state("inactive", connection_id=conn)
    latest = workos_client.events.list_events(events=HANDOFF_EVENTS).data[-1]
    assert latest.event == "connection.deactivated" and str(latest.data.state.value) == "inactive"
    assert latest.context is not None and latest.context.actor is not None
    assert str(latest.context.actor.source.value) == "dashboard"


def test_complete_setup_without_a_connection_makes_one(
    workos_client: WorkOSClient, workos_emu: Emulator
) -> None:
    _seed_orgs(workos_emu)
    workos_emu.control.complete_setup(ORG_B, "sso", connection_type="AzureSAML")
    [made] = workos_client.sso.list_connections(organization_id=ORG_B).data
    assert (str(made.connection_type.value), str(made.state.value), made.name) == (
        "AzureSAML",
        "active",
        "Beta",
    )


def test_complete_setup_for_directory_sync(workos_client: WorkOSClient, workos_emu: Emulator) -> None:
    _seed_orgs(workos_emu)
    workos_emu.control.seed(
        {"directories": [{"organization_id": ORG_A, "state": "unlinked", "name": "Alpha"}]}
    )
    workos_emu.control.complete_setup(ORG_A, "dsync")
    workos_emu.control.complete_setup(ORG_B, "dsync", directory_type="okta scim v2.0")
    states = {
        d.organization_id: (str(d.state.value), str(d.type.value))
        for d in workos_client.directory_sync.list_directories().data
    }
    assert states == {ORG_A: ("linked", "generic scim v2.0"), ORG_B: ("linked", "okta scim v2.0")}
    events = workos_client.events.list_events(events=HANDOFF_EVENTS).data
    assert [(e.event, e.data.organization_id) for e in events] == [
        ("dsync.activated", ORG_A),
        ("dsync.activated", ORG_B),
    ]
    # A linked directory reads "active" in the event payload (the SDK's DsyncActivatedDataState).
    assert str(events[0].data.state.value) == "active" and [d.domain for d in events[0].data.domains] == [
        "alpha.dev"
    ]


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ({"complete_setup": [{"organization_id": "org_missing", "kind": "sso"}]}, "unknown organization"),
        ({"complete_setup": [{"organization_id": ORG_A, "kind": "scim"}]}, "sso or dsync"),
        ({"set_state": [{"connection_id": "conn_missing", "state": "active"}]}, "known connection"),
        (
            {"set_state": [{"directory_id": "directory_missing", "state": "linked"}]},
            "known connection or directory",
        ),
        ({"set_state": [{"directory_id": "x", "state": "linked", "source": "idp"}]}, "source must be"),
        ({"feature_flags": {"connections_api": "no"}}, "feature_flags"),
        ({"webhook_endpoints": [{"endpoint_url": "ftp://127.0.0.1/hook"}]}, "http(s) endpoint_url"),
        (
            {"webhook_endpoints": [{"endpoint_url": "http://127.0.0.1/h", "events": ["nope"]}]},
            "unknown event",
        ),
        (
            {"events": [{"event": "connection.activated", "data": {}, "created_at": "2026-01-01"}]},
            "ending in Z",
        ),
        ({"webhook_retry_delays": [1, 100]}, "webhook_retry_delays"),
    ],
)
def test_bad_control_actions_are_400_with_the_reason(
    workos_emu: Emulator, action: dict[str, Any], problem: str
) -> None:
    _seed_orgs(workos_emu)
    with pytest.raises(Exception, match="400") as caught:
        workos_emu.control.seed(action)
    assert problem in caught.value.read().decode()  # type: ignore[attr-defined]

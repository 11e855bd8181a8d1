"""Where each organization's connections and directories stand: the pure derivation, table-driven."""

from __future__ import annotations

import pytest

from stytch2workos.config import ConnectionsConfig
from stytch2workos.destination.handoff import WorkOSObject, WorkOSState, derive, event_row
from stytch2workos.transform.connections import decide
from stytch2workos.workspace.handoff import EventRow, Outcome
from test_transform_connections import ORG, oidc, saml, scim

W_ORG = "org_1"
T0, T1, T2 = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"
SAML = decide("saml", saml(), ConnectionsConfig())
PENDING = decide("saml", saml(connection_id="saml-connection-test-p", status="pending"), ConnectionsConfig())
SCIM = decide("scim", scim(), ConnectionsConfig())
OIDC = decide("oidc", oidc(), ConnectionsConfig())


def conn(id_: str, state: str) -> WorkOSObject:
    return WorkOSObject(id_, W_ORG, "connection", state)


def directory(id_: str, state: str) -> WorkOSObject:
    return WorkOSObject(id_, W_ORG, "directory", state)


def event(n: int, name: str, object_id: str, actor: str, at: str) -> EventRow:
    return EventRow(f"event_{n}", name, object_id, W_ORG, actor, at)


CREATED = Outcome("created", "conn_1", None, None, T0)
HANDOFF = Outcome("handoff", None, "connections_api_unavailable", "…", T0)
DIR_HANDOFF = Outcome("handoff", None, "directory_needs_admin_portal", "…", T0)


@pytest.mark.parametrize(
    ("outcome", "objects", "events", "state", "since", "evidence"),
    [
        (
            CREATED,
            [conn("conn_1", "active")],
            [event(1, "connection.activated", "conn_1", "api", T1)],
            "recreated",
            T1,
            "events_api",
        ),
        (CREATED, [conn("conn_1", "active")], [], "recreated", T0, None),
        (
            CREATED,
            [conn("conn_1", "active")],
            [event(1, "connection.activated", "conn_1", "admin_portal", T1)],
            "activated",
            T1,
            "events_api",
        ),
        (CREATED, [conn("conn_1", "draft")], [], "waiting", T0, None),
        (
            CREATED,
            [conn("conn_1", "inactive")],
            [event(1, "connection.deactivated", "conn_1", "dashboard", T1)],
            "failed",
            T0,
            None,
        ),
        (CREATED, [], [], "failed", None, None),
        (HANDOFF, [], [], "waiting", T0, None),
        (HANDOFF, [conn("conn_9", "draft")], [], "waiting", T0, None),
        (
            HANDOFF,
            [conn("conn_9", "active")],
            [event(2, "connection.activated", "conn_9", "admin_portal", T2)],
            "activated",
            T2,
            "events_api",
        ),
        (
            Outcome("failed", None, "invalid_connection_type", "WorkOS HTTP 422", T0),
            [],
            [],
            "failed",
            T0,
            None,
        ),
        (None, [], [], "waiting", None, None),
    ],
)
def test_sso_states(
    outcome: Outcome | None,
    objects: list[WorkOSObject],
    events: list[EventRow],
    state: str,
    since: str | None,
    evidence: str | None,
) -> None:
    outcomes = {} if outcome is None else {("connection", SAML.source_id): outcome}
    [org] = derive([SAML], {ORG: "Acme"}, {ORG: W_ORG}, outcomes, WorkOSState(tuple(objects), tuple(events)))
    [line] = org.lines
    assert (line.state, line.since, line.evidence) == (state, since, evidence)
    assert org.done == (state in ("recreated", "activated"))


@pytest.mark.parametrize(
    ("objects", "state"),
    [([], "waiting"), ([directory("d1", "validating")], "waiting"), ([directory("d1", "linked")], "activated"),
     ([directory("d1", "invalid_credentials")], "failed")],
)  # fmt: skip
def test_directory_states(objects: list[WorkOSObject], state: str) -> None:
    outcomes = {("directory", SCIM.source_id): DIR_HANDOFF}
    [org] = derive([SCIM], {}, {ORG: W_ORG}, outcomes, WorkOSState(tuple(objects), ()))
    assert org.lines[0].state == state


def test_a_webhook_event_counts_before_the_events_api_and_a_later_deactivation_undoes_it() -> None:
    outcomes = {("connection", SAML.source_id): CREATED}
    api = (event(1, "connection.activated", "conn_1", "api", T1),)
    stored = [event(1, "connection.activated", "conn_1", "api", T1)]
    state = WorkOSState((conn("conn_1", "active"),), api)
    [org] = derive([SAML], {}, {ORG: W_ORG}, outcomes, state, stored)
    assert (org.lines[0].since, org.lines[0].evidence) == (T1, "webhook")
    later = (*api, event(3, "connection.deactivated", "conn_1", "dashboard", T2))
    [org] = derive([SAML], {}, {ORG: W_ORG}, outcomes, WorkOSState((conn("conn_1", "active"),), later))
    assert org.lines[0].evidence is None and org.lines[0].since == T0


def test_skipped_never_blocks_and_an_all_skipped_organization_is_not_listed() -> None:
    outcomes = {("connection", SAML.source_id): CREATED}
    state = WorkOSState((conn("conn_1", "active"),), ())
    [org] = derive([SAML, PENDING], {}, {ORG: W_ORG}, outcomes, state)
    assert [line.state for line in org.lines] == ["recreated", "skipped"] and org.done
    assert derive([PENDING], {}, {ORG: W_ORG}, {}, state) == []


def test_an_organization_not_imported_waits() -> None:
    [org] = derive([SAML, SCIM], {}, {}, {}, WorkOSState((), ()))
    assert not org.done and {line.detail for line in org.lines} == {
        "organization not imported yet: run import"
    }


def test_one_customer_connection_satisfies_every_handed_off_one_and_recreated_ones_do_not() -> None:
    outcomes = {
        ("connection", SAML.source_id): CREATED,
        ("connection", OIDC.source_id): HANDOFF,
    }
    only_ours = WorkOSState((conn("conn_1", "active"),), ())
    [org] = derive([SAML, OIDC], {}, {ORG: W_ORG}, outcomes, only_ours)
    assert [line.state for line in org.lines] == ["recreated", "waiting"] and not org.done
    theirs = WorkOSState((conn("conn_1", "active"), conn("conn_2", "active")), ())
    [org] = derive([SAML, OIDC], {}, {ORG: W_ORG}, outcomes, theirs)
    assert [line.state for line in org.lines] == ["recreated", "activated"] and org.done


def test_event_row_reads_an_sdk_event_dict() -> None:
    row = event_row(
        {
            "id": "event_1",
            "event": "dsync.activated",
            "created_at": T1,
            "data": {"id": "directory_1", "organization_id": W_ORG},
            "context": {"actor": {"source": "admin_portal"}},
        },
        T2,
    )
    assert row == EventRow("event_1", "dsync.activated", "directory_1", W_ORG, "admin_portal", T1, T2)
    assert event_row({"id": "e", "event": "x", "data": "junk"}).object_id is None

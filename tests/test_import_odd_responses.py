"""Answers the SDK cannot read, and a WorkOS that accepts repeated invitations.

A 2xx the SDK cannot parse is not a transient error: it is never retried, the entity is
looked up instead. An invitation is an email to a person, so it is sent exactly once per
invitee even where WorkOS would accept a second one (as WorkOS's own public emulator does),
whatever answers were lost and however often the import was killed.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, start_cli
from stytch2workos.destination.client import WorkOSTarget
from stytch2workos.errors import Unreadable
from stytch2workos.settings import WorkOSCredentials
from stytch2workos.transform.records import OrgRequest
from stytch2workos_emulators import defaults
from test_import import (
    CREATE_ROUTES,
    ORGS,
    Project,
    assert_matches,
    expected_state,
    import_json,
    project,
    seed_roles,
    workos_state,
    write_config,
    writes,
    ws,
)

__all__ = ["project", "ws"]  # fixtures shared with test_import


def posts(stats: dict[str, Any], route: str) -> int:
    return int(stats["requests"].get(route, 0))


def garble_every_create(rate: float) -> list[dict[str, Any]]:
    return [
        {"route": route, "garble_rate": rate, "garble_mode": mode}
        for route in CREATE_ROUTES
        for mode in ("missing_fields", "not_json")
    ]


def test_unreadable_answers_are_looked_up_and_nothing_is_sent_twice(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    seed_roles(workos_emu, project.slugs)
    workos_emu.control.set_settings({"allow_repeated_invitations": True})
    workos_emu.control.set_faults(garble_every_create(0.25), seed=3)
    summary = import_json(["-w", str(ws)], workos_emu)
    stats = workos_emu.control.stats()
    assert stats["faults_fired"].get("garble", 0) >= 40
    exp = expected_state(project.seed, project.role_map)
    assert summary["failures"] == []
    # Every create went out once: an unreadable answer was followed by a lookup, not a resend.
    assert posts(stats, "POST /organizations") == ORGS
    assert posts(stats, "POST /user_management/users") == len(exp.users)
    assert posts(stats, "POST /user_management/organization_memberships") == len(exp.memberships)
    assert posts(stats, "POST /user_management/invitations") == len(exp.invitations)
    assert all(summary["run"][k].get("recovered", 0) > 0 for k in ("organization", "user", "invitation"))
    assert_matches(workos_state(workos_emu), exp)


def test_one_invitation_per_invitee_when_repeats_are_accepted_through_lost_answers_and_kills(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    seed_roles(workos_emu, project.slugs)
    write_config(ws, project.role_map, pacing={"concurrency": 4})
    workos_emu.control.set_settings({"allow_repeated_invitations": True})
    rules: list[dict[str, Any]] = [{"route": "POST *", "latency_ms": 25}]
    rules += [
        {"route": route, "commit_then_fail_rate": 0.2, "commit_then_fail_mode": mode}
        for route in CREATE_ROUTES
        for mode in ("500", "drop")
    ]
    workos_emu.control.set_faults(rules, seed=5)
    env = cli_env(None, workos_emu.base_url)
    rng = random.Random(21)
    for _ in range(3):
        target = writes(workos_emu.control.stats()) + rng.randint(20, 120)
        proc = start_cli(["import", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    workos_emu.control.set_faults([{"route": "POST *", "commit_then_fail_rate": 0.2}], seed=6)
    summary = import_json(["-w", str(ws)], workos_emu)
    assert summary["failures"] == []
    exp = expected_state(project.seed, project.role_map)
    actual = workos_state(workos_emu)
    assert_matches(actual, exp)  # duplicates == []: no second pending invitation anywhere
    assert len(actual.invitations) == len(exp.invitations)


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("missing_fields", "Organization lacks the field 'id'"),
        ("not_json", "the answer was empty or not JSON"),
    ],
)
def test_an_unreadable_answer_says_what_and_is_not_retried(
    workos_emu: Emulator, mode: str, says: str
) -> None:
    workos_emu.control.set_faults([{"route": "POST /organizations", "garble_rate": 1, "garble_mode": mode}])
    creds = WorkOSCredentials(defaults.WORKOS_API_KEY, defaults.WORKOS_CLIENT_ID, workos_emu.base_url)
    req = OrgRequest("org-1", "Acme", "org-1", (), ())
    with WorkOSTarget(creds) as target, pytest.raises(Unreadable) as raised:
        orgs = target.client.organizations
        target.call("general", lambda: orgs.create_organization(name=req.name, external_id=req.external_id))
    failure = raised.value.failure
    assert failure.code == "unreadable_response"
    assert says in failure.message and "SDK" in failure.message
    assert posts(workos_emu.control.stats(), "POST /organizations") == 1

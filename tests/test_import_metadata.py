"""Stytch metadata arriving in WorkOS: the real CLI against both emulators, read back through the SDK.

The expected WorkOS metadata is written out here from the planted records and the rules
``migration.toml`` documents ([metadata]); what WorkOS cannot take must be reported by
``plan`` (in the plan.json import leaves) and, key by key, by ``readiness``.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from workos import WorkOSClient

from conftest import Emulator
from helpers import cli_env, run_cli
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.project import generate_project

LONG_VALUE = "planted-long-value-" * 40  # 760 characters: over WorkOS's 600
LONG_KEY = "a_key_name_that_is_longer_than_forty_chars"  # 42 characters
FAST = {"writes_per_10s": 100000, "reads_per_10s": 100000, "general_per_60s": 1000000}


def plant(seed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One active member with a unique address and one organization, with metadata of every kind."""
    counts: dict[str, int] = {}
    for m in seed["members"]:
        counts[m["email_address"].lower()] = counts.get(m["email_address"].lower(), 0) + 1
    member = next(
        m for m in seed["members"] if m["status"] == "active" and counts[m["email_address"].lower()] == 1
    )
    member["trusted_metadata"] = {
        "plan": "gold",
        "seats": 12,
        "flags": {"beta": True, "regions": ["eu", "us"]},
        "bio": LONG_VALUE,
        LONG_KEY: "fits, but its key does not",
    }
    member["untrusted_metadata"] = {"theme": "dark", "plan": "self-chosen"}
    member["retired_email_addresses"] = [
        {"email_id": "member-email-test-planted", "email_address": "former.name@retired.example"}
    ]
    org = next(o for o in seed["organizations"] if o["organization_id"] == member["organization_id"])
    org["trusted_metadata"] = {"tier": "enterprise", "renewal": 2025, "notes": LONG_VALUE}
    return member, org


@pytest.fixture
def workspace(stytch_server: RunningServer, tmp_path: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    project = generate_project(orgs=4, members=40, seed=3)
    member, org = plant(project.seed)
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    control.seed(project.seed)
    ws = tmp_path / "ws"
    env = cli_env(stytch_server.base_url)
    for args in (["export", "--searches-per-minute", "600000"], ["init"]):
        run = run_cli([*args, "-w", str(ws)], env)
        assert run.code == 0, run.stderr
    control.reset()
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    # What init wrote, with retired addresses carried and WorkOS's budgets out of the way.
    assert "retired_emails = false" in text
    text = text.replace("retired_emails = false", "retired_emails = true")
    for name, value in FAST.items():
        text = re.sub(rf"(?m)^{name} = \d+$", f"{name} = {value}", text)
    (ws / "migration.toml").write_text(text, encoding="utf-8")
    return ws, member, org


def test_metadata_arrives_in_workos_and_what_does_not_fit_is_reported(
    workspace: tuple[Path, dict[str, Any], dict[str, Any]], workos_emu: Emulator, workos_client: WorkOSClient
) -> None:
    ws, member, org = workspace
    slugs = sorted(set(tomllib.loads((ws / "migration.toml").read_text())["roles"]["map"].values()))
    workos_emu.control.seed({"roles": [{"slug": s, "name": s.title()} for s in slugs]})
    env = cli_env(None, workos_emu.base_url)
    # Problems of other kinds that block (roles the generated project's RBAC leaves unsettled)
    # are accepted, as an operator would after review: this test is about metadata.
    plan = run_cli(["plan", "-w", str(ws), "--json"], env)
    assert plan.code in (0, 1), plan.stderr
    accept = [f"--accept={p['code']}" for p in plan.json()["problems"] if p["severity"] == "blocking"]
    run = run_cli(["import", "-w", str(ws), "--yes", "--json", *accept], env)
    assert run.code in (0, 1), run.stderr
    result = run.json()
    # WorkOS refuses a whole record whose metadata is over its limits: none was sent. (Other
    # kinds, such as organization roles, are other tests' business.)
    assert [f for f in result["failures"] if f["kind"] in ("organization", "user")] == []
    assert set(result["ledger"]["user"]) == set(result["ledger"]["organization"]) == {"created"}

    email = member["email_address"].strip().lower()
    (user,) = workos_client.user_management.list_users(email=email).data
    assert user.metadata == {
        "stytch_member_id": member["member_id"],
        "stytch_retired_emails": '["former.name@retired.example"]',
        "plan": "gold",
        "seats": "12",
        "flags": '{"beta":true,"regions":["eu","us"]}',
        "untrusted_theme": "dark",
        "untrusted_plan": "self-chosen",
    }
    (workos_org,) = [
        o
        for o in workos_client.organizations.list_organizations(limit=100).auto_paging_iter()
        if o.external_id == org["organization_id"]
    ]
    assert workos_org.metadata == {
        "stytch_organization_id": org["organization_id"],
        "stytch_organization_slug": org["organization_slug"],
        "tier": "enterprise",
        "renewal": "2025",
    }
    # Every user keeps its way back to Stytch, whatever else its metadata holds.
    every = list(workos_client.user_management.list_users(limit=100).auto_paging_iter())
    assert every and all(u.metadata.get("stytch_member_id", "").startswith("member-test-") for u in every)

    # plan (run by import, which leaves plan.json) counts the records; readiness lists every key.
    left_by_plan = json.loads((ws / "plan.json").read_text(encoding="utf-8"))
    problem = next(p for p in left_by_plan["problems"] if p["code"] == "metadata_not_carried")
    assert problem["severity"] == "warning"
    readiness = run_cli(["readiness", "-w", str(ws), "--json"], env)
    assert readiness.code == 0, readiness.stderr
    with (ws / "metadata-not-carried.csv").open(encoding="utf-8", newline="") as handle:
        left = list(csv.DictReader(handle))
    mine = {
        (r["kind"], r["record"], r["key"], r["reason"])
        for r in left
        if r["stytch_id"] in (member["member_id"], org["organization_id"])
    }
    assert mine == {
        ("user", email, "bio", "value_too_long"),
        ("user", email, LONG_KEY, "key_too_long"),
        ("organization", org["organization_name"], "notes", "value_too_long"),
    }
    assert problem["count"] == len({(r["kind"], r["record"]) for r in left})
    assert readiness.json()["metadata_not_carried"]["keys"] == len(left)
    for text in (
        run.stdout,
        run.stderr,
        readiness.stdout,
        json.dumps(left_by_plan),
        *(r["detail"] for r in left),
    ):
        assert "planted-long-value" not in text

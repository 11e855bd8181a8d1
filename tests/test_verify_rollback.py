"""`verify` after `rollback`, end to end: the real CLI against both emulators over loopback.

The project and the WorkOS environment are test_rollback's (exported and imported once per
module, each test starting from a copy). After a finished rollback verify checks that
nothing the rollback removed is left, lists what it kept, and that what the migration only
reused is still there; a leftover is planted through the official SDK.
"""

# ruff: noqa: F811
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from conftest import Emulator
from helpers import cli_env, run_cli

# test_rollback's seed and fixtures: tests name them as parameters (hence F811 above).
from test_rollback import O1, migrated, rollback, sdk, template  # noqa: F401

Migrated = tuple[Path, dict[str, Any], dict[str, str]]


def verify(ws: Path, emu: Emulator, expect: int) -> dict[str, Any]:
    run = run_cli(["verify", "-w", str(ws), "--json"], cli_env(None, emu.base_url))
    assert run.code == expect, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    doc: dict[str, Any] = run.json()
    assert doc["mode"] == "rollback"
    assert set(doc["totals"]) == {"left", "missing", "kept"}
    return doc


def findings(doc: dict[str, Any], category: str) -> list[tuple[str, str, str | None]]:
    return [(f["kind"], f["key"], f["workos_id"]) for f in doc["examples"][category]]


def test_verify_after_a_rollback_lists_the_kept_then_names_each_leftover_and_each_reused_one_gone(
    migrated: Migrated, workos_emu: Emulator
) -> None:
    ws, _, ids = migrated
    with sdk(workos_emu) as client:
        ada = client.user_management.list_users(email="ada@acme.example").data[0]
        client.organization_membership.create_organization_membership(
            user_id=ada.id, organization_id=ids["other"]
        )
    rollback(ws, workos_emu, "--yes", expect=1)  # ada is kept: she belongs to Other too
    workos_emu.control.reset_stats()
    doc = verify(ws, workos_emu, 0)
    assert doc["ok"] is True and doc["totals"] == {"left": 0, "missing": 0, "kept": 1}
    (kept,) = doc["examples"]["kept"]
    assert (kept["kind"], kept["key"], kept["workos_id"]) == ("user", "ada@acme.example", ada.id)
    assert "memberships this migration did not make" in kept["detail"]
    # Everything the rollback removed, and what the migration reused (Beta, bob, two roles).
    assert doc["checked"] == {
        "connection": 1,
        "invitation": 1,
        "membership": 6,
        "org_role": 2,
        "organization": 3,
        "permission": 2,
        "role": 2,
        "user": 4,
    }
    # Lists only, and only those the ledgers call for: no membership list of an organization
    # the rollback deleted (Acme's members went with it), the own roles of Beta (reused) alone.
    requests = workos_emu.control.stats()["requests"]
    assert all(route.startswith("GET ") for route in requests)
    assert doc["list_calls"]["per_list"]["memberships"] == 1
    assert doc["list_calls"]["per_list"]["organization roles"] == 1
    # A pilot's scope means nothing to a rollback, which undid the whole migration.
    run = run_cli(["verify", "-w", str(ws), "--org", O1], cli_env(None, workos_emu.base_url))
    assert run.code == 2 and "without --org" in run.stderr and "Traceback" not in run.stderr, run.stderr

    # Re-created since: an organization with the external id, a user with the email address;
    # and the user the migration only reused is deleted by someone.
    with sdk(workos_emu) as client:
        planted = client.organizations.create_organization(name="Acme again", external_id=O1)
        dan = client.user_management.create_user(email="Dan@acme.example")
        client.user_management.delete_user(ids["bob"])
    run = run_cli(["verify", "-w", str(ws)], cli_env(None, workos_emu.base_url))
    assert run.code == 1, run.stderr + run.stdout
    assert "after the rollback" in run.stdout and "2 left, 1 missing, 1 kept" in run.stdout, run.stdout
    csv_path = ws / "verify-findings.csv"
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert [(r["category"], r["kind"], r["key"], r["workos_id"], r["found"]) for r in rows] == [
        ("left", "organization", O1, planted.id, "Acme again"),
        ("left", "user", "dan@acme.example", dan.id, dan.email),
        ("missing", "user", "bob@acme.example", ids["bob"], "(deleted)"),
        ("kept", "user", "ada@acme.example", ada.id, ""),
    ]
    assert csv_path.stat().st_mode & 0o077 == 0
    # status shows the last verify for what it was.
    status = run_cli(["status", "-w", str(ws)], cli_env())
    assert status.code == 0, status.stderr
    (line,) = [line for line in status.stdout.splitlines() if line.startswith("Verify")]
    assert line.startswith("Verify (after the rollback): not clean"), line
    assert line.endswith("2 left, 1 reused ones missing, 1 kept on purpose"), line


def test_an_unfinished_rollback_is_named_and_a_new_import_returns_to_the_migration_check(
    migrated: Migrated, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    ws, _, _ = migrated
    refuse = {"route": "DELETE /user_management/users/*", "error_rate": 1.0, "error_statuses": [422]}
    workos_emu.control.set_faults([refuse])
    done = rollback(ws, workos_emu, "--yes", expect=1)
    assert {f["kind"] for f in done["failures"]} == {"user"}
    workos_emu.control.clear_faults()
    run = run_cli(["verify", "-w", str(ws), "--json"], cli_env(None, workos_emu.base_url))
    assert run.code == 1 and run.stdout == "", run.stdout
    (line,) = run.stderr.strip().splitlines()
    assert (
        "did not finish" in line
        and "(4 users still to undo, 4 of them refused" in line
        and "rollback --apply" in line
    ), line

    # Import again: what the rollback removed is created afresh, so the migration is what
    # WorkOS should hold again (the users it could not delete are still the migration's).
    env = cli_env(stytch_emu.base_url, workos_emu.base_url)
    run = run_cli(["import", "-w", str(ws), "--yes", "--json"], env)
    assert run.code == 0, run.stderr + run.stdout
    run = run_cli(["verify", "-w", str(ws), "--json"], env)
    assert run.code == 0, run.stderr + run.stdout
    assert run.json()["mode"] == "migration"

"""`rollback` end to end: the real CLI against both emulators over loopback.

WorkOS is seeded, through the official SDK, with what an environment holds before the
migration: environment roles, an organization the import reuses (same external id) with
a member of its own, a user the import reuses (same email), and an unrelated
organization with its member. After import (and a sync), `rollback --yes` must leave the
emulator's state exactly as it was before the import, as its control API dumps it.
"""

from __future__ import annotations

import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stytch import B2BClient
from workos import RateLimitExceededError, WorkOSClient
from workos.organization_membership import RoleSingle
from workos.user_management import PasswordPlaintext

from conftest import Emulator
from helpers import cli_env, run_cli, start_cli
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer

O1, O2, O3 = (f"organization-test-0000000{i}-0000-4000-8000-000000000000" for i in (1, 2, 3))
OIDC = f"oidc-connection-test-{'2' * 8}-0000-4000-8000-000000000000"
ROLE_MAP = {"stytch_admin": "admin", "stytch_member": "member"}
FAST = "writes_per_10s = 100000\nreads_per_10s = 100000\ngeneral_per_60s = 1000000\n"
# Dumped keys compared before and after; revoked invitations stay in WorkOS by design.
COMPARED = (
    "settings",
    "permissions",
    "roles",
    "organization_roles",
    "organizations",
    "users",
    "organization_memberships",
    "invitations",
    "connections",
)


def mid(n: int) -> str:
    return f"member-test-{n:08d}-0000-4000-8000-000000000000"


def _direct(role: str) -> dict[str, Any]:
    return {"role_id": role, "sources": [{"type": "direct_assignment", "details": {}}]}


def stytch_seed() -> dict[str, Any]:
    def org(oid: str, name: str, n: int, **kw: Any) -> dict[str, Any]:
        created = f"2024-01-0{n}T00:00:00Z"
        return {
            "organization_id": oid,
            "organization_name": name,
            "organization_slug": name.lower(),
            "created_at": created,
            "updated_at": created,
            **kw,
        }

    def member(n: int, oid: str, email: str, status: str = "active", *roles: str) -> dict[str, Any]:
        return {
            "member_id": mid(n),
            "organization_id": oid,
            "email_address": email,
            "name": email.split("@")[0].title(),
            "status": status,
            "roles": [_direct("stytch_member"), *(_direct(r) for r in roles)],
            "is_admin": "stytch_admin" in roles,
            "email_address_verified": status == "active",
            "created_at": f"2024-01-0{n}T00:00:00Z",
            "updated_at": f"2024-02-0{n}T00:00:00Z",
        }

    def grants(resource: str, *actions: str) -> list[dict[str, Any]]:
        return [{"resource_id": resource, "actions": list(actions)}]

    return {
        "organizations": [
            org(
                O1,
                "Acme",
                1,
                email_allowed_domains=["acme.example"],
                custom_roles=[
                    {"role_id": "support", "description": "", "permissions": grants("documents", "read")}
                ],
            ),
            org(
                O2,
                "Beta",
                2,
                custom_roles=[
                    {"role_id": "approver", "description": "", "permissions": grants("documents", "write")}
                ],
            ),
            org(
                O3,
                "Gamma",
                3,
                sso_active_connections=[
                    {"connection_id": OIDC, "display_name": "Entra", "identity_provider": "microsoft-entra"}
                ],
                sso_default_connection_id=OIDC,
            ),
        ],
        "members": [
            member(1, O1, "ada@acme.example", "active", "stytch_admin"),
            member(2, O1, "bob@acme.example"),
            member(3, O1, "carol@acme.example", "invited"),
            member(4, O1, "dan@acme.example", "active", "support"),
            member(5, O2, "ada@acme.example"),
            member(6, O2, "erin@beta.example", "active", "approver"),
            member(7, O3, "frank@gamma.example"),
        ],
        "sso_connections": {
            O3: {
                "oidc_connections": [
                    {
                        "connection_id": OIDC,
                        "display_name": "Entra",
                        "client_id": "client-1",
                        "client_secret": "oidc-client-secret-FAKE",
                        "issuer": "https://login.idp.example/v2.0",
                        "identity_provider": "microsoft-entra",
                    }
                ]
            }
        },
        "rbac_policy": {
            "roles": [
                {"role_id": "stytch_member", "description": "Everyone", "permissions": []},
                {"role_id": "stytch_admin", "description": "Admins", "permissions": []},
            ],
            "resources": [{"resource_id": "documents", "description": "Docs", "actions": ["read", "write"]}],
            "scopes": [],
        },
    }


def sdk(emu: Emulator) -> WorkOSClient:
    return WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=emu.base_url,
        max_retries=0,
    )


def seed_workos(emu: Emulator) -> dict[str, str]:
    """What WorkOS holds before the migration; the ids of the pieces tests refer to."""
    emu.control.seed({"roles": [{"slug": s, "name": s.title()} for s in ("admin", "member")]})
    with sdk(emu) as client:
        beta = client.organizations.create_organization(name="Beta (already here)", external_id=O2)
        other = client.organizations.create_organization(name="Other", external_id="other-1")
        zed = client.user_management.create_user(email="zed@beta.example", first_name="Zed")
        olga = client.user_management.create_user(email="olga@other.example")
        bob = client.user_management.create_user(email="bob@acme.example", first_name="Bob")
        oms = client.organization_membership
        oms.create_organization_membership(user_id=zed.id, organization_id=beta.id)
        oms.create_organization_membership(
            user_id=olga.id, organization_id=other.id, role=RoleSingle(role_slug="admin")
        )
    return {"beta": beta.id, "other": other.id, "bob": bob.id}


def normalized(emu: Emulator) -> dict[str, Any]:
    state = emu.control.state()
    result = {k: state[k] for k in COMPARED}
    result["invitations"] = [i for i in state["invitations"] if i["state"] == "pending"]
    result["organization_roles"] = {k: v for k, v in state["organization_roles"].items() if v}
    return result


def writes(stats: dict[str, Any]) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET "))


@dataclass(frozen=True)
class Template:
    workspace: Path  # exported and imported once for the module
    before: dict[str, Any]  # WorkOS before the import, normalized
    imported: dict[str, Any]  # WorkOS right after the import: the emulator's full dump
    ids: dict[str, str]


@pytest.fixture(scope="module")
def template(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Template:
    """Export, init and import once; each test starts from copies (CLI runs are the slow part)."""
    stytch, workos = (
        Emulator(s.base_url, EmulatorControl(s.base_url)) for s in (stytch_server, workos_server)
    )
    for emu in (stytch, workos):
        emu.control.reset()
        emu.control.set_rate_limits("off")
    ids = seed_workos(workos)
    before = normalized(workos)
    stytch.control.seed(stytch_seed())
    ws = tmp_path_factory.mktemp("rollback") / "ws"
    env = cli_env(stytch.base_url, workos.base_url)
    run = run_cli(["export", "-w", str(ws), "--searches-per-minute", "600000"], env)
    assert run.code == 0, run.stderr
    run = run_cli(["init", "-w", str(ws)], env)
    assert run.code == 0, run.stderr
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    (ws / "migration.toml").write_text(text.split("[pacing]")[0] + "[pacing]\n" + FAST, encoding="utf-8")
    run = run_cli(["import", "-w", str(ws), "--yes", "--json"], env)
    assert run.code == 0, run.stderr + run.stdout
    return Template(ws, before, workos.control.state(), ids)


@pytest.fixture
def migrated(
    template: Template, stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path
) -> tuple[Path, dict[str, Any], dict[str, str]]:
    """A workspace imported into a seeded WorkOS: (workspace, WorkOS state before import, seeded ids)."""
    stytch_emu.control.seed(stytch_seed())
    workos_emu.control.seed(template.imported)
    ws = tmp_path / "ws"
    shutil.copytree(template.workspace, ws)
    return ws, template.before, template.ids


def rollback(ws: Path, emu: Emulator, *args: str, expect: int = 0) -> dict[str, Any]:
    run = run_cli(["rollback", "-w", str(ws), "--json", *args], cli_env(None, emu.base_url))
    assert run.code == expect, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    result: dict[str, Any] = run.json()
    return result


def test_dry_run_changes_nothing_then_yes_restores_the_seed_and_a_rerun_does_nothing(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    ws, before, _ = migrated
    imported = normalized(workos_emu)
    assert imported != before
    workos_emu.control.reset_stats()
    plan = rollback(ws, workos_emu)
    assert writes(workos_emu.control.stats()) == 0
    assert normalized(workos_emu) == imported
    assert plan["dry_run"] is True
    # ada, dan, frank made (bob reused); Acme and Gamma made (Beta reused); carol invited;
    # ada×2, dan, frank memberships and bob's in Acme; support in Acme, approver in Beta.
    assert plan["planned"] == {
        "invitation": 1,
        "membership": 6,
        "connection": 1,
        "user": 4,
        "org_role": 2,
        "organization": 2,
        "permission": 2,
    }
    assert plan["untouched"] == {"user": 1, "organization": 1, "role": 2}
    assert plan["kept"] == [] and plan["manual"] == []

    done = rollback(ws, workos_emu, "--yes")
    assert done["failures"] == [] and done["kept"] == []
    assert normalized(workos_emu) == before
    assert sum(done["outcomes"]["membership"].values()) == 6

    workos_emu.control.reset_stats()
    again = rollback(ws, workos_emu, "--yes")
    assert again["planned"] == {} and again["outcomes"] == {}
    assert writes(workos_emu.control.stats()) == 0

    # The import ledger says "rolled_back": a later import creates everything afresh.
    run = run_cli(
        ["import", "-w", str(ws), "--yes", "--json"], cli_env(stytch_emu.base_url, workos_emu.base_url)
    )
    assert run.code == 0, run.stderr + run.stdout
    assert _shape(normalized(workos_emu)) == _shape(imported)


def _shape(state: dict[str, Any]) -> dict[str, Any]:
    """The state without ids and times: what a fresh import must reproduce."""
    users = {u["id"]: u["email"] for u in state["users"]}
    orgs = {o["id"]: o["name"] for o in state["organizations"]}
    return {
        "orgs": sorted(orgs.values()),
        "users": sorted(users.values()),
        "memberships": sorted(
            (users[m["user_id"]], orgs[m["organization_id"]], m["status"], str(m["role"]))
            for m in state["organization_memberships"]
        ),
        "invitations": sorted((i["email"], orgs[i["organization_id"]]) for i in state["invitations"]),
        "permissions": sorted(p["slug"] for p in state["permissions"]),
        "org_roles": sorted(
            (orgs[o], r["slug"]) for o, rs in state["organization_roles"].items() for r in rs
        ),
        "connections": sorted(orgs[c["organization_id"]] for c in state["connections"]),
    }


def test_what_sync_created_is_rolled_back_too(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    ws, before, _ = migrated
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_emu.base_url)
    client.organizations.members.create(O2, "gina@beta.example", name="Gina Green")
    created = client.organizations.create(organization_name="Delta", email_allowed_domains=["delta.example"])
    client.organizations.members.create(
        created.organization.organization_id, "hank@delta.example", name="Hank"
    )
    env = cli_env(stytch_emu.base_url, workos_emu.base_url)
    run = run_cli(["sync", "-w", str(ws), "--yes", "--json"], env)
    assert run.code == 0, run.stderr + run.stdout
    emails = {u["email"] for u in normalized(workos_emu)["users"]}
    assert {"gina@beta.example", "hank@delta.example"} <= emails
    done = rollback(ws, workos_emu, "--yes")
    assert done["failures"] == [] and done["kept"] == []
    assert normalized(workos_emu) == before


def test_a_user_with_an_outside_membership_is_kept_then_deleted_with_force(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], workos_emu: Emulator
) -> None:
    ws, before, ids = migrated
    with sdk(workos_emu) as client:
        ada = client.user_management.list_users(email="ada@acme.example").data[0]
        outside = client.organization_membership.create_organization_membership(
            user_id=ada.id, organization_id=ids["other"]
        )
    plan = rollback(ws, workos_emu)
    assert [(k["kind"], k["workos_id"], k["code"]) for k in plan["kept"]] == [
        ("user", ada.id, "outside_memberships")
    ]
    done = rollback(ws, workos_emu, "--yes", expect=1)
    assert [(k["kind"], k["code"]) for k in done["kept"]] == [("user", "outside_memberships")]
    state = normalized(workos_emu)
    assert [u["email"] for u in state["users"] if u["id"] == ada.id] == ["ada@acme.example"]
    assert [m["id"] for m in state["organization_memberships"] if m["user_id"] == ada.id] == [outside.id]

    forced = rollback(ws, workos_emu, "--yes", "--force")
    assert forced["kept"] == [] and forced["outcomes"] == {"user": {"deleted": 1}}
    assert normalized(workos_emu) == before


def test_an_organization_with_outside_members_is_kept_with_its_roles_and_connection(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], workos_emu: Emulator
) -> None:
    ws, _, _ = migrated
    with sdk(workos_emu) as client:
        gamma = client.organizations.get_organization_by_external_id(O3)
        olga = client.user_management.list_users(email="olga@other.example").data[0]
        client.organization_membership.create_organization_membership(
            user_id=olga.id, organization_id=gamma.id
        )
    done = rollback(ws, workos_emu, "--yes", expect=1)
    kept = {(k["kind"], k["code"]) for k in done["kept"]}
    assert kept == {("organization", "outside_members"), ("connection", "organization_kept")}
    state = normalized(workos_emu)
    assert [o["name"] for o in state["organizations"] if o["id"] == gamma.id] == ["Gamma"]
    assert [c["organization_id"] for c in state["connections"]] == [gamma.id]
    assert {u["email"] for u in state["users"]} == {
        "zed@beta.example",
        "olga@other.example",
        "bob@acme.example",
    }


def test_a_signed_in_user_is_kept(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], workos_emu: Emulator
) -> None:
    ws, _, _ = migrated
    with sdk(workos_emu) as client:
        frank = client.user_management.list_users(email="frank@gamma.example").data[0]
        client.user_management.update_user(frank.id, password=PasswordPlaintext(password="Correct-Horse-42"))
        client.user_management.authenticate_with_password(
            email="frank@gamma.example", password="Correct-Horse-42"
        )
    # The dry run, as a person reads it: the table on stdout, who would be kept on stderr.
    run = run_cli(["rollback", "-w", str(ws)], cli_env(None, workos_emu.base_url))
    assert run.code == 0 and "dry run" in run.stdout, run.stderr
    kept = [line for line in run.stderr.splitlines() if frank.id in line]
    assert kept == [f"  user frank@gamma.example ({frank.id}): the user has signed in to WorkOS"]
    # --apply asks first, naming the environment; anything but yes writes nothing.
    workos_emu.control.reset_stats()
    run = run_cli(["rollback", "-w", str(ws), "--apply"], cli_env(None, workos_emu.base_url), stdin="n\n")
    assert run.code == 1 and "Nothing was written" in run.stderr, run.stderr
    assert workos_emu.base_url in run.stderr and writes(workos_emu.control.stats()) == 0


def test_kill_9_mid_rollback_then_rerun_gives_the_same_end_state(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], workos_emu: Emulator
) -> None:
    ws, before, _ = migrated
    imported = normalized(workos_emu)
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    (ws / "migration.toml").write_text(text + "concurrency = 1\n", encoding="utf-8")
    workos_emu.control.set_faults(
        [{"route": "DELETE *", "latency_ms": 150}, {"route": "POST *", "latency_ms": 150}]
    )
    env = cli_env(None, workos_emu.base_url)
    for target in (2, 7):
        workos_emu.control.reset_stats()
        proc = start_cli(["rollback", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "rollback made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    workos_emu.control.clear_faults()
    halfway = normalized(workos_emu)
    assert halfway != before and len(halfway["organization_memberships"]) < len(
        imported["organization_memberships"]
    )
    done = rollback(ws, workos_emu, "--yes")
    assert done["failures"] == [] and done["kept"] == []
    assert normalized(workos_emu) == before
    workos_emu.control.reset_stats()
    third = rollback(ws, workos_emu, "--yes")
    assert third["planned"] == {} and writes(workos_emu.control.stats()) == 0


def test_deletes_whose_answer_was_lost_are_looked_up_not_failed(
    migrated: tuple[Path, dict[str, Any], dict[str, str]], workos_emu: Emulator
) -> None:
    ws, before, _ = migrated
    # Every delete and revoke is applied, then answered with a 500 or a dropped connection.
    workos_emu.control.set_faults(
        [
            {"route": "DELETE *", "commit_then_fail_rate": 1.0, "times": 6},
            {
                "route": "POST */revoke",
                "commit_then_fail_rate": 1.0,
                "commit_then_fail_mode": "drop",
                "times": 1,
            },
        ]
    )
    done = rollback(ws, workos_emu, "--yes")
    assert done["failures"] == []
    # Found absent after a lost answer: this run's own delete, not someone else's.
    assert done["outcomes"]["invitation"] == {"deleted": 1}
    assert done["outcomes"]["membership"] == {"deleted": 6}
    assert normalized(workos_emu) == before


# -- the organization-delete budget: 50 per 60 s per key -----------------------------------------

SCALE = 30  # the emulator's windows divided by 30: 50 organization deletes per 2 s


def _organizations(emu: Emulator, n: int) -> list[str]:
    with sdk(emu) as client:
        return [
            client.organizations.create_organization(name=f"Org {i}", external_id=f"o-{i}").id
            for i in range(n)
        ]


def test_the_emulator_refuses_the_51st_organization_delete_in_a_window(workos_emu: Emulator) -> None:
    ids = _organizations(workos_emu, 51)
    workos_emu.control.set_rate_limits(f"scaled:{SCALE}")
    with sdk(workos_emu) as client:
        for org_id in ids[:50]:
            client.organizations.delete_organization(org_id)
        with pytest.raises(RateLimitExceededError) as refused:
            client.organizations.delete_organization(ids[50])
    assert refused.value.retry_after is not None and refused.value.retry_after >= 1
    assert refused.value.code == "rate_limit_exceeded"
    assert workos_emu.control.stats()["rate_limited_by_budget"]["organization_deletes"] == 1


def test_rollback_paces_organization_deletes_under_their_budget(workos_emu: Emulator, tmp_path: Path) -> None:
    from stytch2workos.config import MigrationConfig, Pacing
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.destination.rollback import run_rollback
    from stytch2workos.pacing import ORGANIZATION_DELETES, Budget
    from stytch2workos.settings import WorkOSCredentials
    from stytch2workos.workspace import Workspace
    from stytch2workos.workspace.ledger import Ledger

    ids = _organizations(workos_emu, 55)
    workos_emu.control.set_rate_limits(f"scaled:{SCALE}")
    # The documented budget with the emulator's window; safety leaves room for a busy machine.
    budget = Budget(
        ORGANIZATION_DELETES.name, ORGANIZATION_DELETES.limit, ORGANIZATION_DELETES.window / SCALE
    )
    pacing = Pacing(writes_per_10s=100_000, reads_per_10s=100_000, general_per_60s=1_000_000, safety=0.8)
    creds = WorkOSCredentials(defaults.WORKOS_API_KEY, defaults.WORKOS_CLIENT_ID, workos_emu.base_url)
    with Workspace(tmp_path / "ws") as ws:
        ledger = Ledger(ws)
        for i, org_id in enumerate(ids):
            ledger.record("organization", f"o-{i}", "created", org_id)
        with WorkOSTarget(creds, pacing, organization_deletes=budget) as target:
            result = run_rollback(ws, target, MigrationConfig(pacing=pacing), apply=True)
    assert dict(result.outcomes) == {("organization", "deleted"): 55}
    stats = workos_emu.control.stats()
    assert stats["rate_limited_by_budget"]["organization_deletes"] == 0
    assert 30 <= stats["max_in_window"]["organization_deletes"] <= 50
    with sdk(workos_emu) as client:
        assert client.organizations.list_organizations(limit=100).data == []

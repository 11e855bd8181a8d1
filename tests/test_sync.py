"""`sync` end to end: the real CLI against both emulators over loopback.

Stytch is changed through the official ``stytch`` SDK after an import; what WorkOS should
then hold is computed here from the Stytch emulator's own state, by the rules the README
documents, and read back through the official ``workos`` SDK.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stytch import B2BClient
from workos import WorkOSClient
from workos.organization_membership import RoleSingle

from conftest import Emulator
from helpers import Run, cli_env, run_cli, start_cli
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer

ROLE_MAP = {"stytch_admin": "admin", "stytch_member": "member"}
FAST = {"writes_per_10s": 100_000, "reads_per_10s": 100_000, "general_per_60s": 1_000_000, "concurrency": 4}
O1, O2 = (f"organization-test-0000000{i}-0000-4000-8000-000000000000" for i in (1, 2))


def mid(n: int) -> str:
    return f"member-test-{n:08d}-0000-4000-8000-000000000000"


def seed() -> dict[str, Any]:
    def org(oid: str, name: str, slug: str, domains: list[str]) -> dict[str, Any]:
        created = "2024-01-01T00:00:00Z" if oid == O1 else "2024-01-02T00:00:00Z"
        return {
            "organization_id": oid,
            "organization_name": name,
            "organization_slug": slug,
            "email_allowed_domains": domains,
            "created_at": created,
            "updated_at": created,
        }

    def member(n: int, oid: str, email: str, name: str, status: str = "active", admin: bool = False) -> dict:
        roles = [{"role_id": "stytch_member", "sources": [{"type": "direct_assignment", "details": {}}]}]
        if admin:
            roles.append(
                {"role_id": "stytch_admin", "sources": [{"type": "direct_assignment", "details": {}}]}
            )
        return {
            "member_id": mid(n),
            "organization_id": oid,
            "email_address": email,
            "name": name,
            "status": status,
            "roles": roles,
            "is_admin": admin,
            "email_address_verified": status == "active",
            "created_at": f"2024-01-0{n}T00:00:00Z",
            "updated_at": f"2024-02-0{n}T00:00:00Z",
        }

    return {
        "organizations": [
            org(O1, "Acme", "acme", ["acme.example"]),
            org(O2, "Beta", "beta", ["beta.example"]),
        ],
        "members": [
            member(1, O1, "ada@acme.example", "Ada Lovelace", admin=True),
            member(2, O2, "ada@acme.example", "Ada Lovelace"),
            member(3, O1, "bob@acme.example", "Bob Builder"),
            member(4, O1, "carol@acme.example", "Carol", status="invited"),
            member(5, O1, "dave@acme.example", "Dave Davis"),
            member(6, O2, "erin@beta.example", "Erin Early"),
            member(7, O2, "frank@beta.example", "Frank Fine"),
        ],
    }


def write_config(ws: Path, **sync: str) -> None:
    lines = ["[roles.map]", *(f'{k} = "{v}"' for k, v in ROLE_MAP.items()), "", "[pacing]"]
    lines += [f"{k} = {v}" for k, v in FAST.items()]
    lines += ["", "[sync]", *(f'{k} = "{v}"' for k, v in sync.items())]
    (ws / "migration.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def cli(args: list[str], stytch: Emulator, workos: Emulator) -> Run:
    return run_cli(args, cli_env(stytch.base_url, workos.base_url))


def stytch_client(emu: Emulator) -> B2BClient:
    return B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=emu.base_url)


def workos_client(emu: Emulator) -> WorkOSClient:
    return WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=emu.base_url,
        max_retries=0,
    )


@dataclass(frozen=True)
class Imported:
    """The seed exported and imported once per module: the workspace and WorkOS's state."""

    template: Path
    workos_state: dict[str, Any]


@pytest.fixture(scope="module")
def imported_once(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Imported:
    stytch, workos = EmulatorControl(stytch_server.base_url), EmulatorControl(workos_server.base_url)
    for control in (stytch, workos):
        control.reset()
        control.set_rate_limits("off")
    stytch.seed(seed())
    workos.seed({"roles": [{"slug": s, "name": s.title()} for s in ("admin", "member")]})
    ws = tmp_path_factory.mktemp("sync") / "template"
    env = cli_env(stytch_server.base_url, workos_server.base_url)
    run = run_cli(["export", "-w", str(ws), "--json", "--searches-per-minute", "600000"], env)
    assert run.code == 0, run.stderr + run.stdout
    write_config(ws)
    run = run_cli(["import", "-w", str(ws), "--yes", "--json"], env)
    assert run.code == 0, run.stderr + run.stdout
    return Imported(ws, workos.state())


@pytest.fixture
def imported(imported_once: Imported, stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path) -> Path:
    """A copy of the workspace exported from the seed and imported into WorkOS, with both
    emulators as the import left them (restored from the module's one import)."""
    stytch_emu.control.seed(seed())
    workos_emu.control.seed(imported_once.workos_state)
    ws = tmp_path / "ws"
    shutil.copytree(imported_once.template, ws)
    return ws


def change_stytch(emu: Emulator) -> None:
    """New members and an organization, a rename made admin, an address change, invited →
    active, a deletion, an organization renamed with a new domain."""
    # Invited → active happens when the person signs in; the emulator's state plays that.
    state = emu.control.state()
    for m in state["members"]:
        if m["member_id"] == mid(4):
            m.update(status="active", email_address_verified=True, updated_at="2024-03-01T00:00:00Z")
    emu.control.seed({k: v for k, v in state.items() if k in ("organizations", "members", "rbac_policy")})
    client = stytch_client(emu)
    client.organizations.members.update(O1, mid(3), name="Robert Builder", roles=["stytch_admin"])
    client.organizations.members.delete(O1, mid(5))
    client.organizations.members.update(O2, mid(6), email_address="erin.new@beta.example")
    client.organizations.members.create(O2, "gina@beta.example", name="Gina Green")
    client.organizations.update(
        O2, organization_name="Beta Corp", email_allowed_domains=["beta.example", "beta.test"]
    )
    created = client.organizations.create(organization_name="Gamma", email_allowed_domains=["gamma.example"])
    client.organizations.members.create(
        created.organization.organization_id, "hank@gamma.example", name="Hank Hill"
    )


# -- what WorkOS should hold, from the Stytch emulator's state ---------------------------------


def expected(stytch: Emulator, deleted_members: str = "deactivate") -> dict[str, Any]:
    state = stytch.control.state()
    orgs = {o["organization_id"]: o for o in state["organizations"]}
    people: dict[str, list[dict[str, Any]]] = {}
    for m in state["members"]:
        people.setdefault(m["email_address"].strip().lower(), []).append(m)
    users: dict[str, Any] = {}
    memberships: dict[tuple[str, str], Any] = {}
    invitations: set[tuple[str, str]] = set()
    for email, group in people.items():
        for m in group:
            held = {r["role_id"] for r in m["roles"]} | {"stytch_member"}
            slugs = sorted(ROLE_MAP[r] for r in held if r in ROLE_MAP)
            where = (email, m["organization_id"])
            if m["status"] == "active":
                memberships[where] = ("active", slugs)
            elif m["status"] == "invited":
                invitations.add(where)
        alive = [m for m in group if m["status"] != "deleted"]
        if any(m["status"] == "active" for m in alive):
            named = sorted(alive, key=lambda m: m["updated_at"])
            users[email] = {
                "name": " ".join(unicodedata.normalize("NFC", named[-1]["name"]).split()),
                "email_verified": any(m["email_address_verified"] for m in alive),
            }
    return {
        "orgs": {
            oid: (o["organization_name"], sorted(d.lower() for d in o["email_allowed_domains"]))
            for oid, o in orgs.items()
        },
        "users": users,
        "memberships": memberships,
        "invitations": invitations,
    }


def actual(emu: Emulator) -> dict[str, Any]:
    emu.control.clear_faults()
    with workos_client(emu) as client:
        orgs = list(client.organizations.list_organizations(limit=100).auto_paging_iter())
        users = list(client.user_management.list_users(limit=100).auto_paging_iter())
        email_of = {u.id: u.email for u in users}
        memberships: dict[tuple[str, str], Any] = {}
        invitations: set[tuple[str, str]] = set()
        for o in orgs:
            for m in client.organization_membership.list_organization_memberships(
                organization_id=o.id, statuses=["active", "inactive", "pending"], limit=100
            ).auto_paging_iter():
                key = (email_of[m.user_id], str(o.external_id))
                assert key not in memberships, f"two memberships for {key}"
                memberships[key] = (m.status, sorted(r.slug for r in m.roles))
            for i in client.user_management.list_invitations(
                organization_id=o.id, limit=100
            ).auto_paging_iter():
                if i.state == "pending":
                    invitations.add((i.email, str(o.external_id)))
    return {
        "orgs": {str(o.external_id): (o.name, sorted(d.domain for d in o.domains)) for o in orgs},
        "users": {
            u.email: {
                "name": " ".join(p for p in (u.first_name, u.last_name) if p),
                "email_verified": u.email_verified,
            }
            for u in users
        },
        "memberships": memberships,
        "invitations": invitations,
    }


def assert_in_step(stytch: Emulator, workos: Emulator, deleted_members: str = "deactivate") -> None:
    exp, got = expected(stytch), actual(workos)
    assert got["orgs"] == exp["orgs"]
    # Dave's member was deleted in Stytch: his user stays, his membership ended.
    assert got["users"] == {
        **exp["users"],
        "dave@acme.example": {"name": "Dave Davis", "email_verified": True},
    }
    ended = {("dave@acme.example", O1): ("inactive", ["member"])} if deleted_members == "deactivate" else {}
    assert got["memberships"] == {**exp["memberships"], **ended}
    assert got["invitations"] == exp["invitations"]


def writes(stats: dict[str, Any]) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET "))


# -- tests ---------------------------------------------------------------------------------------


def test_sync_brings_workos_in_step_and_a_second_sync_writes_nothing(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    erin = actual(workos_emu)["users"]
    assert "erin@beta.example" in erin
    change_stytch(stytch_emu)

    workos_emu.control.reset_stats()
    run = cli(["sync", "-w", str(imported), "--dry-run", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    preview = run.json()
    assert writes(workos_emu.control.stats()) == 0
    assert preview["changes"]["counts"] == {
        "invitation revoke": 1,
        "membership end": 1,
        "membership update": 1,
        "organization update": 1,
        "user rename": 1,
        "user update": 1,
    }
    # Carol (invited, now active), Gina and Hank; Erin's new address is her user renamed.
    assert preview["creates"] == {"membership": 3, "organization": 1, "user": 3}

    with workos_client(workos_emu) as client:
        erin_id = client.user_management.list_users(email="erin@beta.example").data[0].id
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    summary = run.json()
    assert summary["conflicts"] == [] and summary["failures"] == []
    assert summary["users_without_membership"] == {"count": 1, "examples": ["dave@acme.example"]}
    assert_in_step(stytch_emu, workos_emu)
    with workos_client(workos_emu) as client:
        # The address changed on the same WorkOS user: nobody lost their sign-in.
        assert client.user_management.list_users(email="erin.new@beta.example").data[0].id == erin_id
    # verify, from the refreshed snapshot, agrees: nothing missing or different.
    checked = cli(["verify", "-w", str(imported), "--json"], stytch_emu, workos_emu)
    assert checked.code == 0, checked.stderr + checked.stdout
    assert checked.json()["totals"] == {"missing": 0, "different": 0, "unexpected": 0}

    # --watch: each cycle a full refresh and apply; now in step, none writes anything.
    workos_emu.control.reset_stats()
    env = cli_env(stytch_emu.base_url, workos_emu.base_url)
    proc = start_cli(["sync", "-w", str(imported), "--yes", "--json", "--watch", "1"], env)
    assert proc.stdout is not None
    cycles = [json.loads(proc.stdout.readline()) for _ in range(2)]
    proc.send_signal(signal.SIGTERM)  # while it waits for the third cycle
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [(c["changes"]["counts"], c["creates"], c["import"]) for c in cycles] == [({}, {}, {})] * 2
    # One read before the first cycle (a refused key is said at once); the quiet cycles add none,
    # import's stages skipped too.
    assert workos_emu.control.stats()["requests"] == {"GET /authorization/roles": 1}
    assert_in_step(stytch_emu, workos_emu)

    # Something the ledger lacks (a new member) is what runs import's stages again.
    stytch_client(stytch_emu).organizations.members.create(O1, "ivy@acme.example", name="Ivy Ink")
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    assert set(run.json()["timings"]) == {"baseline", "refresh", "plan", "apply", "import"}
    made = run.json()["import"]
    assert made["user"].get("created") == 1 and made["membership"].get("created") == 1
    assert_in_step(stytch_emu, workos_emu)


def test_kill_9_during_sync_then_resume_gives_the_same_state(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    change_stytch(stytch_emu)
    # Slow writes, one at a time: the kill lands in the middle of applying.
    write_config(imported)
    text = (imported / "migration.toml").read_text().replace("concurrency = 4", "concurrency = 1")
    (imported / "migration.toml").write_text(text)
    workos_emu.control.set_faults(
        [{"route": "P* *", "latency_ms": 150}, {"route": "DELETE *", "latency_ms": 150}]
    )
    env = cli_env(stytch_emu.base_url, workos_emu.base_url)
    for target in (2, 5):
        before = writes(workos_emu.control.stats())
        proc = start_cli(["sync", "-w", str(imported), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < before + target and proc.poll() is None:
            assert time.monotonic() < deadline, "sync made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    workos_emu.control.clear_faults()
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    assert run.json()["resumed"] is True
    assert_in_step(stytch_emu, workos_emu)


def _frank_membership(emu: Emulator) -> tuple[str, list[str]]:
    with workos_client(emu) as client:
        user = client.user_management.list_users(email="frank@beta.example").data[0]
        m = client.organization_membership.list_organization_memberships(user_id=user.id).data[0]
        return m.id, sorted(r.slug for r in m.roles)


def test_a_role_changed_in_workos_is_a_conflict_reported_then_overwritten_and_delete_policy(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    membership_id, roles = _frank_membership(workos_emu)
    assert roles == ["member"]
    # An admin gives Frank another role in WorkOS; Stytch makes him an admin too.
    with workos_client(workos_emu) as client:
        client.organization_membership.update_organization_membership(
            membership_id, role=RoleSingle(role_slug="admin")
        )
    client_s = stytch_client(stytch_emu)
    client_s.organizations.members.update(O2, mid(7), roles=["stytch_admin"])
    client_s.organizations.members.delete(O1, mid(5))
    write_config(imported, deleted_members="delete")

    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 1, run.stderr
    conflicts = run.json()["conflicts"]
    assert [(c["kind"], c["key"], c["field"], c["live"], c["resolution"]) for c in conflicts] == [
        ("membership", mid(7), "roles", ["admin"], "reported")
    ]
    assert _frank_membership(workos_emu)[1] == ["admin"]  # left as WorkOS has it
    # The deleted member's membership is gone; the user stays.
    got = actual(workos_emu)
    assert ("dave@acme.example", O1) not in got["memberships"] and "dave@acme.example" in got["users"]

    write_config(imported, deleted_members="delete", conflicts="stytch")
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    assert [c["resolution"] for c in run.json()["conflicts"]] == ["overwritten"]
    # Nothing new, and [sync] is no input of import's: its stages were skipped.
    assert run.json()["import"] == {}
    assert _frank_membership(workos_emu)[1] == ["admin", "member"]
    assert_in_step(stytch_emu, workos_emu, "delete")

    # A configuration import decides by ([statuses]) runs them again: Carol's invitation
    # is now skipped by policy (the ledger says so; sync leaves what it does not speak for).
    text = (imported / "migration.toml").read_text()
    (imported / "migration.toml").write_text(text.replace("[sync]", '[statuses]\ninvited = "skip"\n\n[sync]'))
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    assert run.json()["import"]["skip"] == {"skipped": 1, "unchanged": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--watch", "5"], "--watch runs unattended"),
        (["--watch", "0", "--yes"], "greater than 0"),
        (["--searches-per-minute", "0", "--yes"], "at least 1"),
    ],
)
def test_bad_usage_is_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    run = run_cli(["sync", "-w", str(tmp_path), *args], cli_env("http://127.0.0.1:9", "http://127.0.0.1:9"))
    assert run.code == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_one_record_at_a_time_goes_through_the_same_engine(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    """The webhook receiver's entry points: the current record of a member or organization."""
    from stytch2workos.config import load_config
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.destination.sync import SyncEngine, seed_baseline
    from stytch2workos.destination.sync_records import RecordSync
    from stytch2workos.settings import workos_credentials
    from stytch2workos.workspace import Workspace

    client = stytch_client(stytch_emu)
    client.organizations.members.update(O1, mid(3), name="Robert Builder", roles=["stytch_admin"])
    client.organizations.members.delete(O1, mid(5))
    client.organizations.update(O2, organization_name="Beta Corp")
    created = client.organizations.create(organization_name="Gamma", email_allowed_domains=["gamma.example"])
    new_org = created.organization.organization_id
    state = stytch_emu.control.state()
    members = {m["member_id"]: m for m in state["members"]}
    orgs = {o["organization_id"]: o for o in state["organizations"]}

    config = load_config(imported)
    env = cli_env(stytch_emu.base_url, workos_emu.base_url)
    with (
        Workspace(imported, create=False) as ws,
        WorkOSTarget(workos_credentials(env), config.pacing) as target,
    ):
        seed_baseline(ws, config)
        records = RecordSync(SyncEngine(ws, target, config))
        for _ in range(2):  # at-least-once delivery: the second time changes nothing
            records.apply_member(mid(3), members[mid(3)])
            records.apply_member(mid(5), None)
            records.apply_organization(O2, orgs[O2])
            records.apply_organization(new_org, orgs[new_org])
    got = actual(workos_emu)
    assert got["users"]["bob@acme.example"]["name"] == "Robert Builder"
    assert got["memberships"][("bob@acme.example", O1)] == ("active", ["admin", "member"])
    assert got["memberships"][("dave@acme.example", O1)] == ("inactive", ["member"])
    assert got["orgs"][O2][0] == "Beta Corp" and got["orgs"][new_org] == ("Gamma", ["gamma.example"])
    # A full sync afterwards finds only what no record was applied for (nothing here).
    workos_emu.control.reset_stats()
    run = cli(["sync", "-w", str(imported), "--yes", "--json"], stytch_emu, workos_emu)
    assert run.code == 0, run.stderr + run.stdout
    assert run.json()["changes"]["counts"] == {}
    assert writes(workos_emu.control.stats()) == 0

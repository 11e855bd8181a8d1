"""`plan`, `import` and `mapping` end to end: the real CLI against both emulators over loopback.

Expectations are computed here, from the generated Stytch seed and the rules the README and
``migration.toml`` document, without the tool's own mapping code; the WorkOS side is read
back through the official ``workos`` SDK.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import signal
import stat
import time
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from workos import WorkOSClient

from conftest import Emulator
from helpers import Run, cli_env, run_cli, start_cli
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.project import generate_project

ORGS, MEMBERS, SEED = 10, 200, 7
FAST = {"writes_per_10s": 100_000, "reads_per_10s": 100_000, "general_per_60s": 1_000_000, "concurrency": 8}
CREATE_ROUTES = (
    "POST /organizations",
    "POST /user_management/users",
    "POST /user_management/organization_memberships",
    "POST /user_management/invitations",
)


# -- the exported project, shared by every test (each gets its own copy) ----------------------


@dataclass(frozen=True)
class Project:
    seed: dict[str, Any]
    template: Path  # an exported workspace, never imported into
    role_map: dict[str, str]  # as `init` proposed it, in priority order

    @property
    def slugs(self) -> list[str]:
        return sorted(set(self.role_map.values()))


@pytest.fixture(scope="module")
def project(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    seed = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED).seed
    control.seed(seed)
    template = tmp_path_factory.mktemp("import") / "template"
    env = cli_env(stytch_server.base_url)
    run = run_cli(["export", "-w", str(template), "--json", "--searches-per-minute", "600000"], env)
    assert run.code == 0, run.stderr
    run = run_cli(["init", "-w", str(template)], env)
    assert run.code == 0, run.stderr
    role_map = tomllib.loads((template / "migration.toml").read_text(encoding="utf-8"))["roles"]["map"]
    control.reset()
    return Project(seed, template, dict(role_map))


@pytest.fixture
def ws(project: Project, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(project.template, path)
    write_config(path, project.role_map)
    return path


def write_config(
    ws: Path,
    role_map: dict[str, str],
    *,
    statuses: dict[str, str] | None = None,
    roles: dict[str, bool] | None = None,
    pacing: dict[str, Any] | None = None,
) -> None:
    def table(name: str, values: dict[str, Any]) -> list[str]:
        return [f"[{name}]", *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items()), ""]

    lines = table("roles", roles or {}) + table("roles.map", role_map)
    lines += table("statuses", statuses or {}) + table("pacing", {**FAST, **(pacing or {})})
    (ws / "migration.toml").write_text("\n".join(lines), encoding="utf-8")


def seed_roles(emu: Emulator, slugs: list[str]) -> None:
    """Environment roles made by hand before the migration, without permissions (import no
    longer needs them: it creates every role, and fills in roles that hold no permissions).
    Organizations' own org- roles live in their organizations, so they are not seeded here."""
    emu.control.seed(
        {
            "roles": [
                {"slug": s, "name": s.replace("_", " ").title()} for s in slugs if not s.startswith("org-")
            ]
        }
    )


def cli(args: list[str], emu: Emulator, stdin: str | None = None, **env: str) -> Run:
    return run_cli(args, cli_env(None, emu.base_url, **env), stdin=stdin)


# -- what WorkOS should hold, derived from the seed ---------------------------------------------


@dataclass
class Expected:
    orgs: set[str]  # external ids
    users: dict[str, dict[str, Any]]  # email → attributes
    memberships: dict[tuple[str, str], frozenset[str]]  # (email, org external id) → role slugs
    invitations: dict[tuple[str, str], str | None]  # (email, org external id) → role slug
    membership_members: dict[tuple[str, str], str]  # (email, org) → Stytch member id


def expected_state(
    seed: dict[str, Any],
    role_map: dict[str, str],
    *,
    invited: str = "invite",
    pending: str = "invite",
    multiple: bool = True,
    explicit_only: bool = False,
    only: set[str] | None = None,
    stytch_external_ids: bool = False,
) -> Expected:
    """What the README promises: one user per lower-cased email, mapped roles, invitations."""
    priority = list(role_map)
    # A WorkOS organization's external id: the Stytch id, or the Stytch external id if asked.
    ext = {
        o["organization_id"]: (o.get("organization_external_id") if stytch_external_ids else None)
        or o["organization_id"]
        for o in seed["organizations"]
    }

    def slugs_of(m: dict[str, Any]) -> list[str]:
        held = {"stytch_member"}
        for role in m["roles"]:
            direct = any(s["type"] == "direct_assignment" for s in role["sources"])
            if direct or not explicit_only:
                held.add(role["role_id"])
        ranked = sorted(held, key=priority.index)
        return [role_map[r] for r in ranked]

    members = [m for m in seed["members"] if only is None or m["organization_id"] in only]
    policy = {"active": "import", "invited": invited, "pending": pending, "deleted": "skip"}
    exp = Expected(
        {
            ext[o["organization_id"]]
            for o in seed["organizations"]
            if only is None or o["organization_id"] in only
        },
        {},
        {},
        {},
        {},
    )
    people: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        people.setdefault(m["email_address"].strip().lower(), []).append(m)
    for email, group in people.items():
        for m in group:
            action = policy[m["status"]]
            slugs = slugs_of(m)
            if action == "import":
                chosen = frozenset(slugs if multiple else slugs[:1])
                exp.memberships[(email, ext[m["organization_id"]])] = chosen
                exp.membership_members[(email, ext[m["organization_id"]])] = m["member_id"]
            elif action == "invite":
                exp.invitations[(email, ext[m["organization_id"]])] = slugs[0]
        if any((email, ext[m["organization_id"]]) in exp.memberships for m in group):
            alive = [m for m in group if m["status"] != "deleted"]
            named = sorted((m for m in alive if m["name"].strip()), key=lambda m: m["updated_at"])
            by_age = sorted(alive, key=lambda m: (m["created_at"], m["member_id"]))
            exp.users[email] = {
                "email_verified": any(m["email_address_verified"] for m in alive),
                "name": " ".join(unicodedata.normalize("NFC", named[-1]["name"]).split()) if named else None,
                "external_id": next((m["external_id"] for m in by_age if m["external_id"]), None),
            }
    return exp


# -- what WorkOS holds, read through the official SDK -------------------------------------------


@dataclass
class Actual:
    orgs: dict[str, str]  # external id → id
    users: dict[str, Any]  # email → User
    memberships: dict[tuple[str, str], Any]  # (email, org external id) → membership
    invitations: dict[tuple[str, str], Any]  # (email, org external id) → pending invitation
    duplicates: list[str]
    domains: dict[str, dict[str, str]]  # org external id → domain → state


def workos_state(emu: Emulator) -> Actual:
    emu.control.clear_faults()
    client = WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=emu.base_url,
        max_retries=0,
    )
    try:
        orgs = list(client.organizations.list_organizations(limit=100).auto_paging_iter())
        users = list(client.user_management.list_users(limit=100).auto_paging_iter())
        email_of = {u.id: u.email for u in users}
        ext_of = {o.id: o.external_id for o in orgs}
        memberships: list[Any] = []
        invitations: list[Any] = []
        for o in orgs:
            memberships += client.organization_membership.list_organization_memberships(
                organization_id=o.id, statuses=["active", "inactive", "pending"], limit=100
            ).auto_paging_iter()
            invitations += client.user_management.list_invitations(
                organization_id=o.id, limit=100
            ).auto_paging_iter()
    finally:
        client.close()
    counts = Counter(
        [f"organization {o.external_id}" for o in orgs]
        + [f"user {u.email}" for u in users]
        + [f"membership {email_of[m.user_id]} in {ext_of[m.organization_id]}" for m in memberships]
        + [
            f"invitation {i.email} to {ext_of[i.organization_id]}"
            for i in invitations
            if i.state == "pending"
        ]
    )
    return Actual(
        {str(o.external_id): o.id for o in orgs},
        {u.email: u for u in users},
        {(email_of[m.user_id], str(ext_of[m.organization_id])): m for m in memberships},
        {(i.email, str(ext_of[i.organization_id])): i for i in invitations if i.state == "pending"},
        sorted(k for k, n in counts.items() if n > 1),
        {
            str(o.external_id): {d.domain: str(getattr(d.state, "value", d.state)) for d in o.domains}
            for o in orgs
        },
    )


def assert_matches(actual: Actual, exp: Expected, *, attributes: bool = True) -> None:
    assert actual.duplicates == []
    assert set(actual.orgs) == exp.orgs
    assert set(actual.users) == set(exp.users)
    got_memberships = {k: frozenset(r.slug for r in m.roles) for k, m in actual.memberships.items()}
    assert got_memberships == exp.memberships
    assert all(m.status == "active" for m in actual.memberships.values())
    assert {k: i.role_slug for k, i in actual.invitations.items()} == exp.invitations
    if attributes:
        got_users = {
            email: {
                "email_verified": u.email_verified,
                "name": " ".join(p for p in (u.first_name, u.last_name) if p) or None,
                "external_id": u.external_id,
            }
            for email, u in actual.users.items()
        }
        assert got_users == exp.users


def import_json(args: list[str], emu: Emulator, expect: int = 0) -> dict[str, Any]:
    run = cli(["import", "--yes", "--json", *args], emu)
    assert run.code == expect, run.stderr
    result: dict[str, Any] = run.json()
    return result


def writes(stats: dict[str, Any]) -> int:
    return sum(n for route, n in stats["requests"].items() if not route.startswith("GET "))


def ledger_total(summary: dict[str, Any], kind: str) -> int:
    return sum(summary["ledger"].get(kind, {}).values())


# -- tests ----------------------------------------------------------------------------------------


def test_import_matches_the_seed_rerun_changes_nothing_and_mapping_is_right(
    project: Project, ws: Path, workos_emu: Emulator, tmp_path: Path
) -> None:
    seed_roles(workos_emu, project.slugs)
    exp = expected_state(project.seed, project.role_map)
    # The generated project exercises what matters here.
    assert len(exp.users) < len(exp.memberships) and exp.invitations
    assert any(len(v) > 1 for v in exp.memberships.values())

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 0, plan.stderr
    doc = plan.json()
    assert doc["organizations"] == {"create": ORGS}
    assert doc["users"] == {"create": len(exp.users)}
    assert (doc["memberships"], doc["invitations"]) == (len(exp.memberships), len(exp.invitations))
    deleted = sum(1 for m in project.seed["members"] if m["status"] == "deleted")
    assert doc["skipped"] == {"deleted": deleted}
    assert {p["code"] for p in doc["problems"]} <= {
        "shared_domain",
        "email_case_variants",
        "invitation_emails",
        # Roles: the hand-made ones get Stytch's permissions; Stytch's own are not carried;
        # implicit rules become explicit slugs.
        "roles_updated",
        "stytch_permissions",
        "implicit_roles",
        # Members WorkOS has no flag for, and people whose members' metadata differs.
        "locked_members",
        "breakglass_members",
        "retired_email_addresses",
        "metadata_not_carried",
    }
    # Every invitation is an email to a person: the plan says how many WorkOS will send.
    assert doc["invitation_emails"] == len(exp.invitations)
    assert workos_emu.control.stats()["statuses"].keys() == {"200"}  # plan only reads

    first = import_json(["-w", str(ws)], workos_emu)
    assert first["failures"] == []
    assert first["ledger"]["organization"] == {"created": ORGS}
    assert first["ledger"]["user"] == {"created": len(exp.users)}
    assert first["ledger"]["membership"] == {"created": len(exp.memberships)}
    assert first["ledger"]["invitation"] == {"created": len(exp.invitations)}
    assert first["run"]["membership"] == {"created": len(exp.memberships)}
    actual = workos_state(workos_emu)
    assert_matches(actual, exp)

    # A rerun finds everything in the ledger and writes nothing.
    before = workos_emu.control.state()
    workos_emu.control.reset_stats()
    again = import_json(["-w", str(ws)], workos_emu)
    assert again["ledger"] == first["ledger"]
    assert {outcome for row in again["run"].values() for outcome in row} == {"unchanged"}
    assert again["run"]["membership"] == {"unchanged": len(exp.memberships)}
    assert writes(workos_emu.control.stats()) == 0
    assert workos_emu.control.state() == before

    # The id map: every imported member → its person's user and its membership.
    csv_path, json_path = tmp_path / "map.csv", tmp_path / "map.json"
    assert cli(["mapping", "-w", str(ws), "-o", str(csv_path)], workos_emu).code == 0
    assert cli(["mapping", "-w", str(ws), "-o", str(json_path), "--format", "json"], workos_emu).code == 0
    for path in (csv_path, json_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == json.loads(json_path.read_text(encoding="utf-8"))
    orgs = {r["stytch_id"]: r["workos_id"] for r in rows if r["kind"] == "organization"}
    assert orgs == actual.orgs
    members = {r["stytch_id"]: r for r in rows if r["kind"] == "member"}
    for (email, org_id), member_id in exp.membership_members.items():
        row = members[member_id]
        assert row["stytch_organization_id"] == org_id
        assert row["workos_user_id"] == actual.users[email].id
        assert row["workos_id"] == actual.memberships[(email, org_id)].id
    by_member = {m["member_id"]: m for m in project.seed["members"]}
    invited = {
        (by_member[r["stytch_id"]]["email_address"].lower(), r["stytch_organization_id"]): r[
            "workos_invitation_id"
        ]
        for r in rows
        if r["kind"] == "member" and r["workos_invitation_id"]
    }
    assert invited == {k: i.id for k, i in actual.invitations.items()}

    # For scripts: what was written, as JSON.
    summary = cli(["mapping", "-w", str(ws), "-o", str(tmp_path / "again.csv"), "--json"], workos_emu)
    assert summary.code == 0, summary.stderr
    assert summary.json() == {"file": str(tmp_path / "again.csv"), "format": "csv", "rows": len(rows)}


def test_init_reports_the_config_it_wrote_as_json(
    project: Project, tmp_path: Path, workos_emu: Emulator
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(project.template, ws)
    run = cli(["init", "-w", str(ws), "--force", "--json"], workos_emu)
    assert run.code == 0, run.stderr
    assert run.json()["config"] == str(ws / "migration.toml")
    assert (ws / "migration.toml").is_file()


def test_kill_9_at_random_points_then_resume(project: Project, ws: Path, workos_emu: Emulator) -> None:
    seed_roles(workos_emu, project.slugs)
    write_config(ws, project.role_map, pacing={"concurrency": 4})
    workos_emu.control.set_faults([{"route": "POST *", "latency_ms": 25}])
    env = cli_env(None, workos_emu.base_url)
    rng = random.Random(9)
    total_writes = ORGS + 450  # an upper bound for this project
    kills = []
    for _ in range(3):
        seen = writes(workos_emu.control.stats())
        target = seen + rng.randint(5, total_writes // 4)
        proc = start_cli(["import", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        kills.append((target, proc.returncode))
    assert [code for _, code in kills] == [-signal.SIGKILL] * 3, kills

    summary = import_json(["-w", str(ws)], workos_emu)
    assert summary["failures"] == []
    exp = expected_state(project.seed, project.role_map)
    assert_matches(workos_state(workos_emu), exp)
    # Every record is in the ledger once, whatever the kills interrupted.
    assert ledger_total(summary, "membership") == len(exp.memberships)
    assert ledger_total(summary, "user") == len(exp.users)


def test_lost_responses_429_storms_and_5xx(project: Project, ws: Path, workos_emu: Emulator) -> None:
    seed_roles(workos_emu, project.slugs)
    write_config(ws, project.role_map, pacing={"concurrency": 16})
    # The first three organizations surely lose their answer; then every create may.
    rules: list[dict[str, Any]] = [
        {
            "route": "POST /organizations",
            "commit_then_fail_rate": 1,
            "commit_then_fail_mode": "drop",
            "times": 3,
        }
    ]
    for route in CREATE_ROUTES:
        # Commit-then-fail: the write is applied, the answer is a 500 or a dropped connection.
        for mode in ("500", "drop"):
            rules.append({"route": route, "commit_then_fail_rate": 0.14, "commit_then_fail_mode": mode})
    rules += [
        {"route": "*", "error_rate": 0.05, "error_statuses": [500, 502, 503]},
        # A storm: a burst of 429s early on, with the shortest Retry-After WorkOS sends.
        {"route": "*", "rate_limit_rate": 0.5, "retry_after": 0, "times": 8},
    ]
    workos_emu.control.set_faults(rules, seed=11)
    summary = import_json(["-w", str(ws)], workos_emu)
    stats = workos_emu.control.stats()
    fired = stats["faults_fired"]
    assert (
        fired.get("commit_then_fail", 0) >= 60 and fired.get("rate_limit") == 8 and fired.get("error", 0) > 0
    )
    assert stats["statuses"].get("dropped", 0) >= 20 and stats["statuses"].get("500", 0) >= 20
    # Every dropped answer was retried (a 500 too, but some of those were injected on retries).
    assert summary["retries"] >= stats["statuses"]["dropped"]
    assert summary["failures"] == []
    exp = expected_state(project.seed, project.role_map)
    assert_matches(workos_state(workos_emu), exp)
    # A lost answer is looked up before any resend: the record is in the ledger as recovered, once.
    assert all(
        summary["run"][kind].get("recovered", 0) > 0 for kind in ("organization", "user", "membership")
    )
    assert ledger_total(summary, "membership") == len(exp.memberships)
    assert ledger_total(summary, "user") == len(exp.users)


def test_existing_users_and_organizations_are_reused(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    exp = expected_state(project.seed, project.role_map)
    orgs = project.seed["organizations"][:2]
    org_ids = [o["organization_id"] for o in orgs]
    # One of them already has a membership (with the role it should get anyway).
    member_only = next(k for k, v in sorted(exp.memberships.items()) if k[1] in org_ids and v == {"member"})
    emails = [member_only[0]]
    emails += sorted(
        e for e in exp.users if e not in emails and any((e, o) in exp.memberships for o in org_ids)
    )[:3]
    emails += sorted(e for e in exp.users if e not in emails)[:2]
    seed_roles(workos_emu, project.slugs)
    workos_emu.control.seed(
        {
            "organizations": [
                {
                    "id": f"org_EXISTING{i}",
                    "name": f"Pilot {o['organization_name']}",
                    "external_id": o["organization_id"],
                }
                for i, o in enumerate(orgs)
            ],
            # Same people, differently cased addresses.
            "users": [
                {"id": f"user_EXISTING{i}", "email": e.upper(), "first_name": "Pre"}
                for i, e in enumerate(emails)
            ],
            "organization_memberships": [
                {
                    "user_id": "user_EXISTING0",
                    "organization_id": f"org_EXISTING{org_ids.index(member_only[1])}",
                    "role_slug": "member",
                }
            ],
        }
    )
    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 0, plan.stderr
    doc = plan.json()
    assert doc["organizations"] == {"create": ORGS - 2, "reuse": 2}
    assert doc["users"] == {"create": len(exp.users) - len(emails), "reuse": len(emails)}
    problems = {p["code"]: p for p in doc["problems"]}
    assert problems["existing_users"]["count"] == len(emails)
    assert problems["existing_organizations"]["count"] == 2
    assert [row["action"] for row in doc["per_organization"]].count("reuse") == 2

    summary = import_json(["-w", str(ws)], workos_emu)
    assert summary["failures"] == []
    assert summary["ledger"]["organization"] == {"created": ORGS - 2, "reused": 2}
    assert summary["ledger"]["user"] == {"created": len(exp.users) - len(emails), "reused": len(emails)}
    actual = workos_state(workos_emu)
    assert_matches(actual, exp, attributes=False)
    assert {actual.orgs[o["organization_id"]] for o in orgs} == {"org_EXISTING0", "org_EXISTING1"}
    assert {actual.users[e].id for e in emails} == {f"user_EXISTING{i}" for i in range(len(emails))}
    assert actual.users[emails[0]].first_name == "Pre"  # reused as it is, not overwritten
    assert summary["ledger"]["membership"] == {"created": len(exp.memberships) - 1, "reused": 1}


def test_org_pilot_imports_only_that_organization(project: Project, ws: Path, workos_emu: Emulator) -> None:
    seed_roles(workos_emu, project.slugs)
    orgs = sorted(project.seed["organizations"], key=lambda o: o["created_at"])
    # The pilot: a later organization listing a domain an earlier one lists too, with its own
    # Stytch external id, people who are also elsewhere, and invitations.
    owners: dict[str, list[dict[str, Any]]] = {}
    for o in orgs:
        for domain in o["email_allowed_domains"]:
            owners.setdefault(domain, []).append(o)
    first, pilot_org = next(found for found in owners.values() if len(found) > 1)[:2]
    pilot = pilot_org["organization_id"]
    assert pilot_org["organization_external_id"]
    write_config(ws, project.role_map)
    config = (ws / "migration.toml").read_text(encoding="utf-8")
    config += '\n[organizations]\nexternal_id = "organization_external_id"\ndomain_state = "verified"\n'
    (ws / "migration.toml").write_text(config, encoding="utf-8")
    full = expected_state(project.seed, project.role_map, stytch_external_ids=True)
    exp = expected_state(project.seed, project.role_map, only={pilot}, stytch_external_ids=True)
    shared = Counter(email for email, _ in full.memberships)
    assert exp.invitations and any(shared[email] > 1 for email, _ in exp.memberships)

    summary = import_json(["-w", str(ws), "--org", pilot], workos_emu)
    assert summary["failures"] == []
    actual = workos_state(workos_emu)
    assert_matches(actual, exp)
    assert set(actual.orgs) == {pilot_org["organization_external_id"]}
    assert len(actual.users) < len(full.users)
    # The shared domain belongs to the earlier organization: the pilot gets it as pending.
    shared_domain = next(d for d in pilot_org["email_allowed_domains"] if d in first["email_allowed_domains"])
    assert actual.domains[pilot_org["organization_external_id"]][shared_domain] == "pending"

    # The rest later: together they are the same as one full import.
    summary = import_json(["-w", str(ws)], workos_emu)
    assert summary["failures"] == []
    actual = workos_state(workos_emu)
    assert_matches(actual, full, attributes=False)
    first_ext = first.get("organization_external_id") or first["organization_id"]
    assert actual.domains[first_ext][shared_domain] == "verified"


def test_a_role_neither_in_workos_nor_created_blocks_until_accepted_then_retry_failed_completes(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    # Import creates every role the map names from the policy and the organizations' own
    # roles. What still blocks is a slug nobody will create: here an organization's own role
    # mapped to an environment slug by mistake (an organization role's slug starts with
    # org-, so it is not created), which no environment role in WorkOS has either.
    base = expected_state(project.seed, project.role_map)
    holders = Counter(slug for slugs in base.memberships.values() for slug in slugs)
    # An organization's role few members hold, and one an invitation carries.
    org_slug = min(
        (s for s in set(base.invitations.values()) if s.startswith("org-") and holders[s]),
        key=lambda s: holders[s],
    )
    role_id = next(r for r, s in project.role_map.items() if s == org_slug)
    missing = org_slug.removeprefix("org-").replace("_", "-")
    role_map = {r: missing if r == role_id else s for r, s in project.role_map.items()}
    write_config(ws, role_map)
    exp = expected_state(project.seed, role_map)

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 1, plan.stderr
    problems = {p["code"]: p for p in plan.json()["problems"]}
    assert (problems["missing_role"]["severity"], problems["missing_role"]["examples"]) == (
        "blocking",
        [missing],
    )
    assert problems["invalid_slug"]["severity"] == "blocking"
    assert all(missing in e for e in problems["invalid_slug"]["examples"])

    refused = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert refused.code == 2
    assert "missing_role" in refused.stderr and "--accept" in refused.stderr
    assert writes(workos_emu.control.stats()) == 0  # not even a role

    accepted = import_json(
        ["-w", str(ws), "--accept", "missing_role", "--accept", "invalid_slug"], workos_emu, expect=1
    )
    failed = {(f["kind"], f["source_id"]): f["code"] for f in accepted["failures"]}
    want = {
        ("membership", exp.membership_members[k]): "invalid_role"
        for k, slugs in exp.memberships.items()
        if missing in slugs
    }
    by_member = {
        (m["email_address"].lower(), m["organization_id"]): m["member_id"]
        for m in project.seed["members"]
        if m["status"] != "deleted"
    }
    want |= {
        ("invitation", by_member[k]): "invalid_role" for k, slug in exp.invitations.items() if slug == missing
    }
    assert want and failed == want
    partial = workos_state(workos_emu)
    assert set(partial.memberships) == {k for k, slugs in exp.memberships.items() if missing not in slugs}

    # Fix the cause (create the role in WorkOS, as in its dashboard), then retry what failed.
    with WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=workos_emu.base_url,
        max_retries=0,
    ) as client:
        client.authorization.create_environment_role(slug=missing, name="Support")
    done = import_json(["-w", str(ws), "--retry-failed", "--accept", "invalid_slug"], workos_emu)
    assert done["failures"] == []
    assert done["run"]["membership"]["created"] == sum(1 for k in want if k[0] == "membership")
    assert_matches(workos_state(workos_emu), exp)


def test_status_policy_role_options_and_confirmation(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    seed_roles(workos_emu, project.slugs)
    options: dict[str, Any] = {
        "invited": "import",
        "pending": "skip",
        "multiple": False,
        "explicit_only": True,
    }
    write_config(
        ws,
        project.role_map,
        statuses={"invited": "import", "pending": "skip"},
        roles={"multiple": False, "explicit_only": True},
    )
    exp = expected_state(project.seed, project.role_map, **options)
    default = expected_state(project.seed, project.role_map)
    # Each option matters for this project: the outcomes differ from the defaults.
    assert exp.invitations == {} and default.invitations
    assert set(exp.memberships) > set(default.memberships)
    assert all(len(slugs) == 1 for slugs in exp.memberships.values())
    any_role = expected_state(project.seed, project.role_map, multiple=False)
    assert any(exp.memberships[k] != any_role.memberships[k] for k in any_role.memberships)

    # A typo in migration.toml is named, brackets and all (not swallowed as terminal markup).
    good = (ws / "migration.toml").read_text(encoding="utf-8")
    (ws / "migration.toml").write_text(good.replace('"invited"', '"invite"'), encoding="utf-8")
    run = cli(["plan", "-w", str(ws)], workos_emu)
    assert run.code == 2
    assert "error: [statuses] has unknown key(s) invite; known: invited, pending" in run.stderr
    (ws / "migration.toml").write_text(good, encoding="utf-8")

    # Without --yes, import asks; "n" (or no answer at all) writes nothing.
    workos_emu.control.reset_stats()
    for answer in ("n\n", ""):
        run = cli(["import", "-w", str(ws)], workos_emu, stdin=answer)
        assert run.code == 1, run.stderr
        assert "Write these changes to WorkOS?" in run.stderr and "Nothing was written" in run.stderr
        assert "Traceback" not in run.stderr
        # invited members become memberships here, pending ones are skipped: no email at all.
        assert "WorkOS will email 0 invitation(s)" in run.stderr and "[statuses]" in run.stderr
    assert writes(workos_emu.control.stats()) == 0

    run = cli(["import", "-w", str(ws), "--json"], workos_emu, stdin="y\n")
    assert run.code == 0, run.stderr
    summary = run.json()
    assert summary["failures"] == []
    assert_matches(workos_state(workos_emu), exp)
    pending = sum(1 for m in project.seed["members"] if m["status"] == "pending")
    deleted = sum(1 for m in project.seed["members"] if m["status"] == "deleted")
    assert summary["run"]["skip"] == {"skipped": pending + deleted}
    assert "invitation" not in summary["ledger"]

    # A wrong key: one clear line, exit 3, and the key itself is never printed.
    wrong = "sk_test_" + "WRONG0KEY0FAKE" * 3
    run = cli(["import", "-w", str(ws), "--yes"], workos_emu, WORKOS_API_KEY=wrong)
    assert run.code == 3, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "WORKOS_API_KEY" in lines[0] and "401" in lines[0]
    assert wrong[-10:] not in run.stdout + run.stderr

"""Stytch's roles and permissions into a fresh WorkOS environment, with no step by hand.

A hand-written, hostile Stytch project (custom roles, grants over several resources with
``*`` and Stytch's own ``stytch.*``, organizations' own roles in several organizations,
implicit role rules of every kind) goes export → init → plan → import into a WorkOS
emulator holding only ``admin`` and ``member``. What WorkOS must hold is written out
here from the seed by hand, not derived with the tool's code; memberships are checked
with test_import's ``expected_state``, which maps roles the way the README documents.
"""

from __future__ import annotations

import json
import signal
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from workos import WorkOSClient

from conftest import Emulator
from helpers import Run, cli_env, run_cli, start_cli
from stytch2workos_emulators import defaults
from test_import import assert_matches, expected_state, workos_state, writes

O1, O2, O3 = (f"organization-test-0000000{i}-0000-4000-8000-000000000000" for i in (1, 2, 3))
SAML = "saml-connection-test-11111111-0000-4000-8000-000000000000"
SCIM = "scim-connection-test-22222222-0000-4000-8000-000000000000"
EXTERNAL = "external-connection-test-33333333-0000-4000-8000-000000000000"

DOCS = {"documents:read", "documents:write", "documents:share", "documents:delete"}
# What WorkOS must hold afterwards, from the seed below by hand.
ENV_ROLES = {
    "admin": DOCS,  # stytch_admin: stytch.* left out, documents:* expanded
    "member": {"documents:read"},  # stytch_member: stytch.self:* left out
    "editor": {"documents:read", "documents:write", "documents:share"},
    "viewer": {"documents:read", "projects:read"},
    "billing_admin": {"billing:read", "billing:manage"},
    "auditor": {"reports:read", "reports:export.csv"},
}
ORG_ROLES = {
    O1: {
        "org-support": {"documents:read", "reports:read", "reports:export.csv"},
        "org-contractor": {"projects:read"},
    },
    O2: {"org-support": DOCS, "org-approver": {"billing:read", "billing:manage"}},
    O3: {},
}
PERMISSIONS = set().union(*ENV_ROLES.values(), *(p for roles in ORG_ROLES.values() for p in roles.values()))


def _direct() -> dict[str, Any]:
    return {"type": "direct_assignment", "details": {}}


def _roles(*held: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    roles: dict[str, list[dict[str, Any]]] = {"stytch_member": [_direct()]}
    for role_id, source in held:
        roles.setdefault(role_id, []).append(source)
    return [{"role_id": r, "sources": s} for r, s in roles.items()]


def grants(**resources: list[str]) -> list[dict[str, Any]]:
    return [{"resource_id": r.replace("__", "."), "actions": a} for r, a in resources.items()]


def hostile_seed(*, colliding: bool = False) -> dict[str, Any]:
    """Three organizations, every kind of role source, and (``colliding``) two roles and two
    permissions whose names land on one WorkOS slug."""

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

    def member(
        n: int, oid: str, email: str, status: str = "active", *held: tuple[str, dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "member_id": f"member-test-{n:08d}-0000-4000-8000-000000000000",
            "organization_id": oid,
            "email_address": email,
            "status": status,
            "name": f"Person {n}",
            "external_id": None,
            "email_address_verified": status == "active",
            "created_at": f"2024-02-{n:02d}T00:00:00Z",
            "updated_at": f"2024-03-{n:02d}T00:00:00Z",
            "roles": _roles(*held),
        }

    by_domain = {"type": "email_assignment", "details": {"email_domain": "acme.example"}}
    by_saml = {"type": "sso_connection", "details": {"connection_id": SAML}}

    def saml_group(group: str) -> dict[str, Any]:
        return {"type": "sso_connection_group", "details": {"connection_id": SAML, "group": group}}

    by_scim = {"type": "scim_connection_group", "details": {"connection_id": SCIM, "group_id": "g-aud"}}
    roles = [
        ("stytch_member", grants(stytch__self=["*"], documents=["read"])),
        ("stytch_admin", grants(stytch__organization=["*"], stytch__member=["*"], documents=["*"])),
        ("editor", grants(documents=["read", "write", "share"])),
        ("viewer", grants(documents=["read"], projects=["read"])),
        ("billing_admin", grants(billing=["*"])),
        ("auditor", grants(reports=["*"])),
    ]
    resources = [
        ("documents", ["read", "write", "share", "delete"]),
        ("billing", ["read", "manage"]),
        ("reports", ["read", "export.csv"]),
        ("projects", ["read", "update"]),  # update: granted by nobody, so not created
    ]
    members = [
        member(
            1,
            O1,
            "ada@acme.example",
            "active",
            ("stytch_admin", _direct()),
            ("editor", by_domain),
            ("support", _direct()),
        ),
        member(
            2,
            O1,
            "bob@acme.example",
            "active",
            ("viewer", by_saml),
            ("billing_admin", saml_group("Finance")),
            ("editor", by_domain),
        ),
        member(3, O1, "carol@acme.example", "invited", ("contractor", _direct())),
        member(4, O2, "Ada@Acme.example", "active", ("support", _direct()), ("approver", _direct())),
        member(5, O2, "dan@beta.example", "active", ("auditor", by_scim)),
        member(6, O2, "erin@beta.example", "pending", ("editor", _direct()), ("approver", _direct())),
        member(7, O2, "fay@beta.example", "deleted", ("editor", _direct())),
        member(8, O3, "gus@gamma.example"),
        member(9, O3, "hal@gamma.example", "active", ("viewer", _direct())),
        member(
            10,
            O1,
            "ivy@acme.example",
            "active",
            ("stytch_admin", saml_group("IT Admins")),
            ("editor", by_domain),
        ),
    ]
    if colliding:
        roles += [("Data Team", grants(projects=["read"])), ("data-team", grants(Reports=["read"]))]
        resources.append(("Reports", ["read"]))  # Reports:read and reports:read: one slug
        members += [
            member(11, O3, "jo@gamma.example", "active", ("Data Team", _direct())),
            member(12, O3, "kim@gamma.example", "active", ("data-team", _direct())),
        ]
    return {
        "organizations": [
            org(
                O1,
                "Acme",
                1,
                email_allowed_domains=["acme.example"],
                rbac_email_implicit_role_assignments=[{"domain": "acme.example", "role_id": "editor"}],
                custom_roles=[
                    {
                        "role_id": "support",
                        "description": "Answers tickets",
                        "permissions": grants(documents=["read"], reports=["*"]),
                    },
                    {"role_id": "contractor", "description": "", "permissions": grants(projects=["read"])},
                ],
            ),
            org(
                O2,
                "Beta",
                2,
                custom_roles=[
                    {
                        "role_id": "support",
                        "description": "Beta's support",
                        "permissions": grants(documents=["*"]),
                    },
                    {
                        "role_id": "approver",
                        "description": "Approves",
                        "permissions": grants(billing=["read", "manage"]),
                    },
                ],
            ),
            org(O3, "Gamma", 3),
        ],
        "members": members,
        "sso_connections": {
            O1: {
                "saml_connections": [
                    {
                        "connection_id": SAML,
                        "display_name": "Okta",
                        "idp_entity_id": "http://idp.example/exk1",
                        "idp_sso_url": "https://idp.example/sso",
                        "identity_provider": "okta",
                        "saml_connection_implicit_role_assignments": [{"role_id": "viewer"}],
                        "saml_group_implicit_role_assignments": [
                            {"role_id": "billing_admin", "group": "Finance"},
                            {"role_id": "stytch_admin", "group": "IT Admins"},
                        ],
                    }
                ]
            },
            O3: {
                "external_connections": [
                    {
                        "connection_id": EXTERNAL,
                        "external_organization_id": O1,
                        "external_connection_id": SAML,
                        "display_name": "Acme's Okta",
                        "external_group_implicit_role_assignments": [
                            {"role_id": "viewer", "group": "Everyone"}
                        ],
                    }
                ]
            },
        },
        "scim_connections": {
            O2: {
                "connection_id": SCIM,
                "display_name": "Entra SCIM",
                "identity_provider": "microsoft-entra",
                "bearer_token_last_four": "abcd",
                "scim_group_implicit_role_assignments": [
                    {"role_id": "auditor", "group_id": "g-aud", "group_name": "Auditors"}
                ],
            }
        },
        "rbac_policy": {
            "roles": [{"role_id": r, "description": f"The {r} role", "permissions": p} for r, p in roles],
            "resources": [{"resource_id": r, "description": r.title(), "actions": a} for r, a in resources],
            "scopes": [],
        },
    }


# -- running it ------------------------------------------------------------------------------------


def exported(stytch_emu: Emulator, path: Path, seed: dict[str, Any]) -> dict[str, str]:
    """Export ``seed`` into a workspace at ``path``, run init with fast pacing; the role map init wrote."""
    stytch_emu.control.seed(seed)
    env = cli_env(stytch_emu.base_url)
    assert run_cli(["export", "-w", str(path), "--searches-per-minute", "600000"], env).code == 0
    run = run_cli(["init", "-w", str(path)], env)
    assert run.code == 0, run.stderr
    text = (path / "migration.toml").read_text(encoding="utf-8")
    fast = "[pacing]\nwrites_per_10s = 100000\nreads_per_10s = 100000\ngeneral_per_60s = 1000000\n"
    (path / "migration.toml").write_text(
        text.split("[pacing]")[0] + fast + "concurrency = 4\n", encoding="utf-8"
    )
    return dict(tomllib.loads(text)["roles"]["map"])


def cli(args: list[str], emu: Emulator) -> Run:
    return run_cli(args, cli_env(None, emu.base_url))


def import_json(ws: Path, emu: Emulator, *args: str, expect: int = 0) -> dict[str, Any]:
    run = cli(["import", "-w", str(ws), "--yes", "--json", *args], emu)
    assert run.code == expect, run.stderr
    result: dict[str, Any] = run.json()
    return result


def sdk(emu: Emulator) -> WorkOSClient:
    return WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=emu.base_url,
        max_retries=0,
    )


def workos_roles(emu: Emulator) -> tuple[list[str], dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """Every permission slug (duplicates kept), environment roles and each organization's own roles."""
    with sdk(emu) as client:
        authz = client.authorization
        permissions = [p.slug for p in authz.list_permissions(limit=100).auto_paging_iter()]
        env = {r.slug: set(r.permissions) for r in authz.list_environment_roles().data}
        own: dict[str, dict[str, set[str]]] = {}
        for org in client.organizations.list_organizations(limit=100).auto_paging_iter():
            roles = authz.list_organization_roles(org.id).data
            own[str(org.external_id)] = {
                r.slug: set(r.permissions) for r in roles if r.type == "OrganizationRole"
            }
    return permissions, env, own


def assert_roles(emu: Emulator, env_roles: dict[str, set[str]] = ENV_ROLES) -> None:
    permissions, env, own = workos_roles(emu)
    assert sorted(permissions) == sorted(PERMISSIONS)  # each once
    assert env == env_roles
    assert own == ORG_ROLES


# -- tests -----------------------------------------------------------------------------------------


def test_a_fresh_environment_needs_no_step_by_hand(
    stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path
) -> None:
    seed = hostile_seed()
    ws = tmp_path / "ws"
    role_map = exported(stytch_emu, ws, seed)
    # init proposes org- slugs for the organizations' own roles, and lists each permission.
    assert role_map == {
        "stytch_admin": "admin",
        "approver": "org-approver",
        "auditor": "auditor",
        "billing_admin": "billing_admin",
        "contractor": "org-contractor",
        "editor": "editor",
        "support": "org-support",
        "viewer": "viewer",
        "stytch_member": "member",
    }
    config = tomllib.loads((ws / "migration.toml").read_text(encoding="utf-8"))
    assert set(config["permissions"]["map"]) == PERMISSIONS and config["roles"]["existing"] == "stop"
    assert workos_roles(workos_emu) == ([], {"admin": set(), "member": set()}, {})

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 0, plan.stderr
    doc = plan.json()
    assert doc["roles"]["permissions"] == {"create": len(PERMISSIONS)}
    # admin and member exist without permissions: they are given Stytch's.
    assert doc["roles"]["environment_roles"] == {"update": 2, "create": 4}
    assert doc["roles"]["organization_roles"] == {"create": 4}
    problems = {p["code"]: p for p in doc["problems"]}
    assert "missing_role" not in problems
    assert problems["implicit_roles"]["severity"] == "info"
    assert (
        problems["implicit_roles"]["count"] == 6
    )  # email 1, SAML connection 1 + groups 2, SCIM 1, external 1
    # stytch_member's stytch.self, stytch_admin's stytch.organization and stytch.member.
    assert problems["stytch_permissions"]["count"] == 3
    assert problems["roles_updated"]["examples"] == [
        "admin: +documents:read, +documents:write, +documents:share, +documents:delete",
        "member: +documents:read",
    ]

    run = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert run.code == 0, run.stderr
    for kind in ("permission", "role", "org_role"):
        assert kind in run.stdout  # the roles stage shows in the ledger table
    exp = expected_state(seed, role_map)
    assert_matches(workos_state(workos_emu), exp)
    assert {k: set(v) for k, v in exp.memberships.items()}[("ada@acme.example", O1)] == {
        "admin",
        "editor",
        "org-support",
        "member",
    }
    assert_roles(workos_emu)

    # A second run writes nothing at all.
    workos_emu.control.reset_stats()
    again = import_json(ws, workos_emu)
    assert writes(workos_emu.control.stats()) == 0
    assert {outcome for row in again["run"].values() for outcome in row} == {"unchanged"}
    assert again["ledger"]["permission"] == {"created": len(PERMISSIONS)}
    assert again["ledger"]["role"] == {"created": 4, "reused": 2}
    assert again["ledger"]["org_role"] == {"created": 4}

    # The id map carries the roles too.
    out = tmp_path / "map.json"
    assert cli(["mapping", "-w", str(ws), "-o", str(out), "--format", "json"], workos_emu).code == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    org_roles = {(r["stytch_organization_id"], r["stytch_id"]) for r in rows if r["kind"] == "org_role"}
    assert org_roles == {(O1, "support"), (O1, "contractor"), (O2, "support"), (O2, "approver")}
    assert {r["stytch_id"] for r in rows if r["kind"] == "permission"} == PERMISSIONS
    assert all(r["workos_id"] for r in rows if r["kind"] in ("permission", "role", "org_role"))


def test_kill_9_during_the_role_stage_then_resume(
    stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path
) -> None:
    seed = hostile_seed()
    ws = tmp_path / "ws"
    role_map = exported(stytch_emu, ws, seed)
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    (ws / "migration.toml").write_text(text.replace("concurrency = 4", "concurrency = 1"), encoding="utf-8")
    # One write at a time, each held on the wire: 9 permissions, then admin's update (10),
    # auditor's create (11) and its permissions (12), ... then the organizations' own roles.
    workos_emu.control.set_faults(
        [
            {"route": "POST /authorization/*", "latency_ms": 150},
            {"route": "PUT /authorization/*", "latency_ms": 150},
        ]
    )
    env = cli_env(None, workos_emu.base_url)
    stops = []
    for at in (4, 11, 15, 26):
        proc = start_cli(["import", "-w", str(ws), "--yes", "--json"], env)
        deadline = time.monotonic() + 60
        while writes(workos_emu.control.stats()) < at and proc.poll() is None:
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        stops.append(proc.returncode)
    assert stops == [-signal.SIGKILL] * 4
    workos_emu.control.clear_faults()
    # Stopped inside the roles stage: not every organization has its own roles yet.
    assert workos_roles(workos_emu)[2] != ORG_ROLES
    summary = import_json(ws, workos_emu)
    assert summary["failures"] == []
    assert_roles(workos_emu)
    assert_matches(workos_state(workos_emu), expected_state(seed, role_map))
    # One ledger row per Stytch name, whatever the kills interrupted.
    assert sum(summary["ledger"]["permission"].values()) == len(PERMISSIONS)
    assert sum(summary["ledger"]["role"].values()) == len(ENV_ROLES)
    assert sum(summary["ledger"]["org_role"].values()) == 4


def test_multiple_roles_off_gives_one_role_each_and_says_who(
    stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path
) -> None:
    seed = hostile_seed()
    ws = tmp_path / "ws"
    role_map = exported(stytch_emu, ws, seed)
    workos_emu.control.set_settings({"multiple_roles": False})
    exp = expected_state(seed, role_map, multiple=False)
    several = expected_state(seed, role_map)
    narrowed = {several.membership_members[k] for k, slugs in several.memberships.items() if len(slugs) > 1}
    assert len(narrowed) >= 4

    run = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert run.code == 0, run.stderr
    assert f"{len(narrowed)} member(s) got one role instead of several" in run.stderr
    ada = several.membership_members[("ada@acme.example", O1)]
    assert f"{ada}: kept admin; left off editor, org-support, member" in run.stderr
    assert_matches(workos_state(workos_emu), exp)
    assert all(len(slugs) == 1 for slugs in exp.memberships.values())
    assert_roles(workos_emu)
    # Only the first refusal costs a request: the rest were sent with one role directly.
    statuses = workos_emu.control.stats()["statuses"]
    assert 1 <= statuses.get("422", 0) <= 4  # at most one per worker in flight

    summary = import_json(ws, workos_emu)
    assert summary["narrowed"]["count"] == len(narrowed)
    assert {m["source_id"] for m in summary["narrowed"]["members"]} == narrowed


def test_names_that_collide_stop_the_plan_before_any_write(
    stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path
) -> None:
    seed = hostile_seed(colliding=True)
    ws = tmp_path / "ws"
    role_map = exported(stytch_emu, ws, seed)
    assert role_map["Data Team"] == role_map["data-team"] == "data-team"

    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 1, plan.stderr
    found = next(p for p in plan.json()["problems"] if p["code"] == "slug_collision")
    assert found["severity"] == "blocking"
    # In the map's priority order (init lists custom roles sorted), and first seen.
    assert found["examples"] == [
        "data-team ← Data Team, data-team",
        "reports:read ← reports:read, Reports:read",
    ]
    refused = cli(["import", "-w", str(ws), "--yes"], workos_emu)
    assert refused.code == 2 and "slug_collision" in refused.stderr
    assert writes(workos_emu.control.stats()) == 0

    # Renamed in migration.toml, as the problem says: each gets its own slug.
    path = ws / "migration.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('"Data Team" = "data-team"', '"Data Team" = "data-team-legacy"')
    text = text.replace('"Reports:read" = "reports:read"', '"Reports:read" = "legacy-reports:read"')
    path.write_text(text, encoding="utf-8")
    assert cli(["plan", "-w", str(ws)], workos_emu).code == 0
    summary = import_json(ws, workos_emu)
    assert summary["failures"] == []
    _, env, _ = workos_roles(workos_emu)
    assert env["data-team-legacy"] == {"projects:read"}
    assert env["data-team"] == {"legacy-reports:read"}
    role_map["Data Team"] = "data-team-legacy"
    assert_matches(workos_state(workos_emu), expected_state(seed, role_map))


@pytest.mark.parametrize(("existing", "kept"), [("keep", True), ("update", False)])
def test_a_role_workos_already_set_up_differently(
    stytch_emu: Emulator, workos_emu: Emulator, tmp_path: Path, existing: str, kept: bool
) -> None:
    seed = hostile_seed()
    ws = tmp_path / "ws"
    exported(stytch_emu, ws, seed)
    with sdk(workos_emu) as client:
        client.authorization.create_permission(slug="legacy:all", name="Legacy")
        client.authorization.create_environment_role(slug="editor", name="Editor")
        client.authorization.set_environment_role_permissions("editor", permissions=["legacy:all"])
    plan = cli(["plan", "-w", str(ws), "--json"], workos_emu)
    assert plan.code == 1  # existing = "stop" by default
    found = next(p for p in plan.json()["problems"] if p["code"] == "role_permissions_differ")
    assert found["examples"] == ["editor: +documents:read, +documents:write, +documents:share; -legacy:all"]

    path = ws / "migration.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('existing = "stop"', f'existing = "{existing}"'),
        encoding="utf-8",
    )
    summary = import_json(ws, workos_emu)
    assert summary["failures"] == []
    want = {"legacy:all"} if kept else ENV_ROLES["editor"]
    assert workos_roles(workos_emu)[1]["editor"] == want

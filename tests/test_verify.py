"""`verify` end to end: the real CLI against the WorkOS emulator after a real import.

The project is exported from the Stytch emulator and imported once per module; each test
puts that imported WorkOS state back into a fresh emulator (the control API's dump and
seed), plants its drift through the official SDK, and runs ``verify`` as a subprocess.
"""

from __future__ import annotations

import csv
import json
import shutil
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from workos import WorkOSClient
from workos.common.models.organization_domain_data_state import OrganizationDomainDataState
from workos.organization_membership import RoleSingle
from workos.organizations import OrganizationDomainData

from conftest import Emulator
from helpers import OIDC_SECRET, SAML_KEY, Run, cli_env, run_cli
from stytch2workos.workspace import Workspace
from stytch2workos.workspace.verify import last_run
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.project import generate_project

ORGS, MEMBERS, SEED = 4, 40, 11
FAST = {"writes_per_10s": 100_000, "reads_per_10s": 100_000, "general_per_60s": 1_000_000, "concurrency": 8}


@dataclass(frozen=True)
class Imported:
    template: Path  # the workspace right after import
    dump: dict[str, Any]  # the WorkOS emulator's state right after import
    seed: dict[str, Any]


def _config(ws: Path, role_map: dict[str, str]) -> None:
    lines = ["[organizations]", 'domain_state = "verified"', "", "[roles.map]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in role_map.items()]
    lines += ["", "[pacing]", *(f"{k} = {v}" for k, v in FAST.items())]
    (ws / "migration.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def imported(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Imported:
    stytch = EmulatorControl(stytch_server.base_url)
    stytch.reset()
    stytch.set_rate_limits("off")
    seed = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED).seed
    stytch.seed(seed)
    workos = EmulatorControl(workos_server.base_url)
    workos.reset()
    workos.set_rate_limits("off")
    template = tmp_path_factory.mktemp("verify") / "ws"
    env = cli_env(stytch_server.base_url, workos_server.base_url)
    for args in (["export", "--searches-per-minute", "600000"], ["init"]):
        run = run_cli([*args, "-w", str(template)], env)
        assert run.code == 0, run.stderr
    role_map = tomllib.loads((template / "migration.toml").read_text(encoding="utf-8"))["roles"]["map"]
    _config(template, role_map)
    run = run_cli(["import", "-w", str(template), "--yes", "--json"], env)
    assert run.code == 0, run.stderr
    dump = workos.state()
    stytch.reset()
    return Imported(template, dump, seed)


@pytest.fixture
def ws(imported: Imported, workos_emu: Emulator, tmp_path: Path) -> Path:
    """A copy of the imported workspace, and the emulator holding what the import wrote."""
    workos_emu.control.seed(imported.dump)
    path = tmp_path / "ws"
    shutil.copytree(imported.template, path)
    return path


def verify(ws: Path, emu: Emulator, *args: str) -> Run:
    return run_cli(["verify", "-w", str(ws), *args], cli_env(None, emu.base_url))


def sdk(emu: Emulator) -> WorkOSClient:
    return WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=emu.base_url,
        max_retries=0,
    )


def test_after_import_nothing_is_reported_and_the_run_is_recorded(ws: Path, workos_emu: Emulator) -> None:
    run = verify(ws, workos_emu, "--json")
    assert run.code == 0, run.stderr
    doc = run.json()
    assert doc["ok"] is True
    assert doc["totals"] == {"missing": 0, "different": 0, "unexpected": 0}
    # Everything the import wrote was compared, not just counted.
    checked = doc["checked"]
    assert checked["organization"] == ORGS
    assert checked["user"] > 0 and checked["membership"] > checked["user"] // 2 and checked["invitation"] > 0
    # Lists only: never one request per record, and within a few calls of the fewest possible.
    calls = doc["list_calls"]
    assert calls["made"] <= calls["minimum"] + 2
    assert calls["made"] < checked["user"]
    with Workspace(ws, readonly=True) as db:
        last = last_run(db)
    assert last is not None
    assert (last.missing, last.different, last.unexpected, last.exit_code) == (0, 0, 0, 0)
    # The terminal summary is short and says so.
    text = verify(ws, workos_emu)
    assert text.code == 0, text.stderr
    assert "WorkOS matches." in text.stdout and len(text.stdout.splitlines()) < 30


# -- planted drifts: each is one finding of its category --------------------------------------------


def _a_membership(client: WorkOSClient, ws: Path) -> tuple[str, str, list[str]]:
    """(membership id, organization id, role slugs) of a membership the import made."""
    with Workspace(ws, readonly=True) as db:
        ids = [
            r[0] for r in db._db.execute("SELECT target_id FROM ledger WHERE kind = 'membership' ORDER BY 1")
        ]
    m = client.organization_membership.get_organization_membership(ids[0])
    return m.id, m.organization_id, [r.slug for r in m.roles]


def change_role(client: WorkOSClient, ws: Path) -> str:
    om_id, org_id, slugs = _a_membership(client, ws)
    roles = client.authorization.list_organization_roles(org_id).data
    other = next(r.slug for r in roles if r.slug not in slugs)
    client.organization_membership.update_organization_membership(om_id, role=RoleSingle(role_slug=other))
    return om_id


def delete_user(client: WorkOSClient, ws: Path) -> str:
    om_id, _, _ = _a_membership(client, ws)
    user_id = client.organization_membership.get_organization_membership(om_id).user_id
    client.user_management.delete_user(user_id)
    return user_id


def unverify_domain(client: WorkOSClient, ws: Path) -> str:
    orgs = client.organizations.list_organizations(limit=100).data
    org = next(
        o for o in orgs if any(str(getattr(d.state, "value", d.state)) == "verified" for d in o.domains)
    )
    data = [
        OrganizationDomainData(domain=d.domain, state=OrganizationDomainDataState("pending"))
        for d in org.domains
    ]
    client.organizations.update_organization(org.id, name=org.name, domain_data=data)
    return org.id


def add_stranger(client: WorkOSClient, ws: Path) -> str:
    return client.user_management.create_user(email="stranger@elsewhere.example", first_name="Stranger").id


@pytest.mark.parametrize(
    ("plant", "category", "kind", "field", "code", "kinds"),
    [
        (change_role, "different", "membership", "roles", 1, {"membership"}),
        # Deleting a user removes their memberships: those are missing too, nothing else is.
        (delete_user, "missing", "user", "", 1, {"user", "membership"}),
        (unverify_domain, "different", "organization", "domain ", 1, {"organization"}),
        (add_stranger, "unexpected", "user", "", 0, {"user"}),
    ],
    ids=["role changed", "user deleted", "domain state changed", "user created in WorkOS"],
)
def test_each_planted_drift_is_reported_with_its_category(
    ws: Path,
    workos_emu: Emulator,
    plant: Callable[[WorkOSClient, Path], str],
    category: str,
    kind: str,
    field: str,
    code: int,
    kinds: set[str],
) -> None:
    with sdk(workos_emu) as client:
        workos_id = plant(client, ws)
    out = ws / "findings.csv"
    run = verify(ws, workos_emu, "--json", "--csv", str(out))
    assert run.code == code, run.stderr
    doc = run.json()
    assert doc["ok"] is (code == 0)
    assert set(doc["by_kind"]) == kinds
    assert doc["by_kind"][kind][category] == 1
    (ours,) = [f for f in doc["examples"][category] if f["kind"] == kind]
    assert ours["workos_id"] == workos_id and ours["field"].startswith(field)
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(doc["totals"].values())
    assert {(r["category"], r["kind"]) for r in rows} >= {(category, kind)}


def test_json_shape_and_an_owner_only_csv_without_secrets(ws: Path, workos_emu: Emulator) -> None:
    with sdk(workos_emu) as client:
        change_role(client, ws)
        add_stranger(client, ws)
    run = verify(ws, workos_emu, "--json")
    assert run.code == 1
    doc = run.json()
    assert set(doc) >= {"ok", "totals", "by_kind", "checked", "examples", "csv", "list_calls", "snapshot"}
    finding = doc["examples"]["different"][0]
    assert set(finding) == {"category", "kind", "key", "workos_id", "field", "expected", "found", "detail"}
    path = Path(doc["csv"])
    assert path == ws / "verify-findings.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "category,kind,key,workos_id,field,expected,found,detail"
    for secret in (defaults.WORKOS_API_KEY, OIDC_SECRET, SAML_KEY.splitlines()[1], "-----BEGIN"):
        assert secret not in text and secret not in run.stdout and secret not in run.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no workspace"),
        (
            lambda p: (p.mkdir(), (p / "workspace.db").write_bytes(b"not a database at all" * 100)),
            "not a usable",
        ),
    ],
    ids=["none there", "not a database"],
)
def test_a_bad_workspace_is_exit_2_in_one_line(
    tmp_path: Path, workos_emu: Emulator, setup: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "bad"
    setup(path)
    run = verify(path, workos_emu)
    assert run.code == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_an_unknown_org_is_exit_2_and_a_pilot_verifies_its_organization(
    ws: Path, workos_emu: Emulator
) -> None:
    run = verify(ws, workos_emu, "--org", "organization-test-nope")
    assert run.code == 2 and "--org" in run.stderr
    with Workspace(ws, readonly=True) as db:
        org = next(db._db.execute("SELECT source_id FROM ledger WHERE kind = 'organization' ORDER BY 1"))[0]
    with sdk(workos_emu) as client:
        add_stranger(client, ws)
    doc = verify(ws, workos_emu, "--org", org, "--json").json()
    # A pilot cannot tell another pilot's users from strangers': only its own organization counts.
    assert doc["ok"] is True and doc["checked"]["organization"] == 1 and doc["scope"] == [org], doc
    assert doc["totals"]["unexpected"] == 0

"""A migration part-way through, for `status` and the HTML report: a generated project exported,
its password hashes loaded, imported with a few memberships refused by WorkOS, packets written.

Expectations are computed here from the workspace's own tables and the emulator's state,
never from the tool's status code.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pickle
import re
import shutil
import sqlite3
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import Run, cli_env, run_cli
from stytch2workos.workspace import DB_NAME
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.passwords import write_password_delivery
from stytch2workos_emulators.synth.project import GeneratedProject, generate_project

FAST_EXPORT = ["--searches-per-minute", "600000", "--reads-per-second", "100000"]
FAST_PACING = {"writes_per_10s": 100000, "reads_per_10s": 100000, "general_per_60s": 1000000}
REFUSED_MEMBERSHIPS = 3  # WorkOS answers 422 to this many membership creates


@dataclass(frozen=True)
class Migrated:
    project: GeneratedProject
    ws: Path
    env: dict[str, str]
    support: dict[str, Path]  # the password delivery's files

    def cli(self, *args: str) -> Run:
        return run_cli([*args], self.env)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(f"file:{self.ws / DB_NAME}?mode=ro", uri=True)
        try:
            return list(db.execute(sql, params))
        finally:
            db.close()


def _ok(run: Run, *codes: int) -> Run:
    assert run.code in (codes or (0,)), run.stderr
    return run


def migrate_part_way(stytch: RunningServer, workos: RunningServer, where: Path) -> Migrated:
    """Export, load hashes, import (some memberships refused), write packets; return the workspace."""
    project = generate_project(orgs=8, members=50, seed=13)
    support = write_password_delivery(
        project, where / "support", defaults.STYTCH_PROJECT_ID, scrypt_n=1 << 12
    )
    for server in (stytch, workos):
        control = EmulatorControl(server.base_url)
        control.reset()
        control.set_rate_limits("off")
    EmulatorControl(stytch.base_url).seed(project.seed)
    ws = where / "ws"
    env = cli_env(stytch.base_url, workos.base_url, STYTCH2WORKOS_WORKSPACE=str(ws))
    _ok(run_cli(["export", *FAST_EXPORT], env))
    _ok(run_cli(["init"], env))
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    for key, value in FAST_PACING.items():
        text = re.sub(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
    (ws / "migration.toml").write_text(text, encoding="utf-8")
    load = ["passwords", "load", str(support["hashes"]), "--key", str(support["key"])]
    decrypted = ["--write-decrypted", str(where / "decrypted-hashes.csv")]
    _ok(run_cli([*load, "--private-key", str(support["private_key"]), *decrypted, "--json"], env))
    control = EmulatorControl(workos.base_url)
    role_map = tomllib.loads(text)["roles"]["map"]
    slugs = sorted({s for s in role_map.values() if not s.startswith("org-")})
    control.seed({"roles": [{"slug": s, "name": s.title()} for s in slugs]})
    control.set_faults(
        [
            {
                "route": "POST /user_management/organization_memberships",
                "error_rate": 1,
                "error_statuses": [422],
                "times": REFUSED_MEMBERSHIPS,
            }
        ]
    )
    _ok(run_cli(["import", "--yes", "--json"], env), 1)
    control.clear_faults()
    _ok(run_cli(["packets", "--json"], env))
    return Migrated(project, ws, env, support)


def shared_migration(
    factory: pytest.TempPathFactory, stytch: RunningServer, workos: RunningServer
) -> Migrated:
    """One migrated workspace for the whole run, built by whichever test module asks first.

    Under xdist the two modules may run on two workers: the first builds under a lock in
    the run's shared temporary directory, the other waits and reads the same workspace.
    Only its files are shared; the WorkOS emulator of another worker holds nothing of it.
    """
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    where = root / "status-migration"
    with open(root / "status-migration.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (where / "ready.pickle").exists():
                shutil.rmtree(where, ignore_errors=True)
                where.mkdir()
                built = migrate_part_way(stytch, workos, where)
                (where / "ready.pickle").write_bytes(pickle.dumps(built))
            migrated: Migrated = pickle.loads((where / "ready.pickle").read_bytes())
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return migrated


def seed_secrets(migrated: Migrated) -> list[str]:
    """Every secret the test world holds: OIDC client secrets, private keys, hashes and salts,
    the API keys."""
    seed = migrated.project.seed
    found: set[str] = {defaults.WORKOS_API_KEY, defaults.STYTCH_SECRET}
    for lists in seed["sso_connections"].values():
        for c in lists.get("oidc_connections", []):
            if c.get("client_secret"):
                found.add(c["client_secret"])
        for c in lists.get("saml_connections", []):
            for key in c.get("encryption_private_keys", []):
                found.update(line for line in key["private_key"].splitlines() if len(line) > 40)
    for path in (migrated.support["private_key"],):
        found.update(line for line in path.read_text().splitlines() if len(line) > 40)
    decrypted = migrated.ws.parent / "decrypted-hashes.csv"
    if decrypted.exists():
        lines = decrypted.read_text(encoding="utf-8").splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("id,"))
        for row in csv.DictReader(lines[start:]):
            found.update(row[k] for k in ("hash", "salt") if len(row[k]) >= 16)
    for (workos_hash,) in migrated.query(
        "SELECT workos_hash FROM password_hashes WHERE workos_hash IS NOT NULL"
    ):
        found.add(str(workos_hash))
        # The PHC string's parts (salt, hash) on their own, too.
        found.update(p for p in str(workos_hash).split("$") if len(p) >= 16)
    for (plain,) in [(p,) for p in json.loads(migrated.support["passwords"].read_text()).values()]:
        if len(plain) >= 8:
            found.add(plain)
    return sorted(found)

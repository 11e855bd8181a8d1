"""A hostile Stytch project for the SSO handoff tests, and what the README says becomes of it.

Expectations are written here from the README's rules and the generated seed, without
the tool's own mapping code.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import Emulator
from helpers import Run, cli_env, run_cli
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.project import generate_project

FAST = {"writes_per_10s": 100_000, "reads_per_10s": 100_000, "general_per_60s": 1_000_000, "concurrency": 4}
SAML_TYPES = {
    "okta": "OktaSAML",
    "microsoft-entra": "AzureSAML",
    "google-workspace": "GoogleSAML",
    "onelogin": "OneLoginSAML",
    "jumpcloud": "JumpCloudSAML",
}


@dataclass(frozen=True)
class Project:
    seed: dict[str, Any]
    template: Path
    role_map: dict[str, str]

    def connections(self) -> list[tuple[str, dict[str, Any]]]:
        found = [
            (kind.removesuffix("_connections"), c)
            for lists in self.seed["sso_connections"].values()
            for kind, items in lists.items()
            for c in items
        ]
        return found + [("scim", c) for c in self.seed["scim_connections"].values()]


def hostile_seed() -> dict[str, Any]:
    """SAML from several IdPs (pending ones, alternative ACS/audience, encryption keys), OIDC,
    an external connection and SCIM; plus an OIDC connection without a client secret and a
    deleted SCIM connection."""
    seed = generate_project(orgs=30, members=60, seed=32).seed
    oidc = [c for lists in seed["sso_connections"].values() for c in lists["oidc_connections"]]
    next(c for c in oidc if c["identity_provider"] == "generic")["client_secret"] = ""
    next(iter(seed["scim_connections"].values()))["status"] = "deleted"
    return seed


def export_project(stytch_server: RunningServer, where: Path) -> Project:
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    seed = hostile_seed()
    control.seed(seed)
    env = cli_env(stytch_server.base_url)
    run = run_cli(["export", "-w", str(where), "--searches-per-minute", "600000"], env)
    assert run.code == 0, run.stderr
    run = run_cli(["init", "-w", str(where)], env)
    assert run.code == 0, run.stderr
    role_map = tomllib.loads((where / "migration.toml").read_text(encoding="utf-8"))["roles"]["map"]
    control.reset()
    return Project(seed, where, dict(role_map))


def workspace_copy(project: Project, tmp_path: Path, **sections: dict[str, Any]) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(project.template, path)
    text = (path / "migration.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["pacing"] = {**data.get("pacing", {}), **FAST}
    data.update(sections)
    lines: list[str] = []
    for name, values in data.items():
        tables = {k: v for k, v in values.items() if isinstance(v, dict)}
        lines += [
            f"[{name}]",
            *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items() if k not in tables),
        ]
        for sub, table in tables.items():
            lines += [f"[{name}.{sub}]", *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in table.items())]
    (path / "migration.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepare_workos(emu: Emulator, project: Project) -> None:
    slugs = sorted({s for s in project.role_map.values() if not s.startswith("org-")})
    emu.control.seed({"roles": [{"slug": s, "name": s.replace("_", " ").title()} for s in slugs]})


def cli(args: list[str], emu: Emulator, **env: str) -> Run:
    return run_cli(args, cli_env(None, emu.base_url, **env))


def expected_outcomes(project: Project) -> dict[str, tuple[str, str, str | None]]:
    """Stytch connection id → (ledger kind, status, reason), as the README describes them."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for kind, c in project.connections():
        cid = c["connection_id"]
        if kind == "scim":
            found[cid] = (
                ("directory", "handoff", "directory_needs_admin_portal")
                if c["status"] == "active"
                else ("directory", "skipped", "inactive_connection")
            )
        elif kind == "external":
            found[cid] = ("connection", "handoff", "external_connection")
        elif c["status"] == "pending":
            found[cid] = ("connection", "skipped", "pending_connection")
        elif kind == "oidc" and not c["client_secret"]:
            found[cid] = ("connection", "handoff", "oidc_client_secret_missing")
        else:
            found[cid] = ("connection", "created", None)
    return found


def expected_connections(project: Project, org_ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """External id → what the WorkOS connection must hold (``org_ids``: Stytch → WorkOS org)."""
    created = {cid for cid, (_, status, _) in expected_outcomes(project).items() if status == "created"}
    found: dict[str, dict[str, Any]] = {}
    for kind, c in project.connections():
        if c["connection_id"] not in created:
            continue
        row: dict[str, Any] = {"organization_id": org_ids[c["organization_id"]]}
        if kind == "saml":
            row["connection_type"] = SAML_TYPES.get(c["identity_provider"], "GenericSAML")
            row["saml"] = {
                "idp_entity_id": c["idp_entity_id"],
                "idp_sso_url": c["idp_sso_url"],
                "idp_signing_certs": [v["certificate"].strip() for v in c["verification_certificates"]],
                "sp_entity_id": c["alternative_audience_uri"] or c["audience_uri"],
                "acs_url": c["alternative_acs_url"] or None,
            }
        else:
            row["connection_type"] = (
                "EntraIdOIDC" if c["identity_provider"] == "microsoft-entra" else "GenericOIDC"
            )
            row["oidc"] = {
                "discovery_endpoint": c["issuer"].rstrip("/") + "/.well-known/openid-configuration",
                "client_id": c["client_id"],
                "client_secret": c["client_secret"],
            }
        found[c["connection_id"]] = row
    return found


def actual_connections(emu: Emulator) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """External id → the connection as WorkOS holds it (options included), and repeated ones."""
    held = emu.control.state()["connections"]
    ids = [c["external_id"] for c in held if c.get("external_id")]
    found: dict[str, dict[str, Any]] = {}
    for c in held:
        row: dict[str, Any] = {
            "organization_id": c["organization_id"],
            "connection_type": c["connection_type"],
        }
        if c.get("saml_options") is not None:
            s = c["saml_options"]
            row["saml"] = {
                "idp_entity_id": s.get("idp_entity_id"),
                "idp_sso_url": s.get("idp_sso_url"),
                "idp_signing_certs": s.get("idp_signing_certs"),
                "sp_entity_id": s.get("sp_entity_id"),
                "acs_url": s.get("acs_url"),
            }
            # Stytch's own SP keys are never carried: WorkOS makes its own.
            assert "sp_signing_key_pair" not in s and "sp_encryption_key_pairs" not in s
        if c.get("oidc_options") is not None:
            o = c["oidc_options"]
            row["oidc"] = {k: o.get(k) for k in ("discovery_endpoint", "client_id", "client_secret")}
        found[c.get("external_id") or c["id"]] = row
    return found, sorted({i for i in ids if ids.count(i) > 1})


def seed_secrets(seed: dict[str, Any]) -> list[str]:
    """Every secret value in the seed: OIDC client secrets and the lines of private keys."""
    found: set[str] = set()
    for lists in seed["sso_connections"].values():
        for c in lists.get("oidc_connections", []):
            if c["client_secret"]:
                found.add(c["client_secret"])
        for c in lists.get("saml_connections", []):
            for key in c["encryption_private_keys"]:
                found.update(line for line in key["private_key"].splitlines() if len(line) > 40)
    assert found
    return sorted(found)


def org_ids_of(emu: Emulator) -> dict[str, str]:
    """Stytch organization id (the WorkOS external id) → WorkOS organization id."""
    return {o["external_id"]: o["id"] for o in emu.control.state()["organizations"] if o.get("external_id")}

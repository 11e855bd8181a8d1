"""`stytch2workos readiness` end to end: a generated project exported from the Stytch emulator.

Every count is computed here from the generated seed, by the rules the command's help and
the README state, without the tool's code; the sign-in counts must also equal the export's
own summary. The command reads only the workspace: no WorkOS is reachable in these runs.
"""

from __future__ import annotations

import csv
import json
import shutil
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers import Run, cli_env, run_cli
from stytch2workos.readiness_report import cell
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.passwords import write_password_delivery
from stytch2workos_emulators.synth.project import GeneratedProject, generate_project

ORGS, MEMBERS, SEED = 10, 200, 7
# A metadata value that must never be printed: a key WorkOS cannot take (too long) and one it can.
PLANTED = "planted-metadata-value-do-not-print"
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: any network use would fail the command
FILES = ("readiness-people.csv", "readiness-organizations.csv", "metadata-not-carried.csv")
METHODS = {
    "password": lambda m: m["member_password_id"] != "",
    "sso": lambda m: bool(m["sso_registrations"]),
    "oauth": lambda m: bool(m["oauth_registrations"]),
    "totp_mfa": lambda m: m["totp_registration_id"] != "",
    "sms_mfa": lambda m: m["mfa_phone_number"] != "",
}


@dataclass(frozen=True)
class Project:
    generated: GeneratedProject
    template: Path
    summary: dict[str, Any]  # what `export --json` printed

    @property
    def seed(self) -> dict[str, Any]:
        return self.generated.seed


def _plant(generated: GeneratedProject) -> None:
    """Names that look like Rich markup, metadata values to look for, a provider WorkOS lacks,
    and a live member for the support delivery's md_5 row (see the password-load test)."""
    seed = generated.seed
    md5 = next(m for m in seed["members"] if m["member_id"] == sorted(generated.passwords)[-2])
    md5["status"] = "active"
    for org in seed["organizations"]:
        org["organization_name"] += " [b]"
    # An organization names itself: a name a spreadsheet would run as a formula.
    seed["organizations"][0]["organization_name"] = (
        "=HYPERLINK(1) " + seed["organizations"][0]["organization_name"]
    )
    active = [m for m in seed["members"] if m["status"] == "active"]
    for m in active[:5]:
        m["trusted_metadata"] = {"note": PLANTED, "essay": PLANTED * 30}
    hubspot = active[7]
    hubspot["oauth_registrations"] = [
        *hubspot["oauth_registrations"],
        {
            "provider_type": "hubspot",
            "provider_subject": "4242",
            "member_oauth_registration_id": "member-oauth-registration-test-hubspot",
            "profile_picture_url": "",
            "locale": "en",
        },
    ]


@pytest.fixture(scope="module")
def project(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    generated = generate_project(orgs=ORGS, members=MEMBERS, seed=SEED)
    _plant(generated)
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    control.seed(generated.seed)
    template = tmp_path_factory.mktemp("readiness") / "template"
    run = run_cli(
        ["export", "-w", str(template), "--json", "--searches-per-minute", "600000"],
        cli_env(stytch_server.base_url),
    )
    assert run.code == 0, run.stderr
    control.reset()
    return Project(generated, template, run.json())


@pytest.fixture
def ws(project: Project, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(project.template, path)
    return path


def readiness(ws: Path, *args: str) -> Run:
    run = run_cli(["readiness", "-w", str(ws), *args], cli_env(UNREACHABLE, UNREACHABLE, COLUMNS="250"))
    assert run.code == 0, run.stderr
    return run


def rows(ws: Path, name: str) -> list[dict[str, str]]:
    with (ws / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- what the seed says, computed here ------------------------------------------------------------


def key(member: dict[str, Any]) -> str:
    return str(member["email_address"]).strip().lower()


def providers(member: dict[str, Any]) -> set[str]:
    return {r["provider_type"] for r in member["oauth_registrations"]}


def allows_email(org: dict[str, Any]) -> bool:
    restricted = org["auth_methods"] == "RESTRICTED"
    return not restricted or bool({"magic_link", "email_otp"} & set(org["allowed_auth_methods"]))


def in_a_cell(name: str) -> str:
    """How a CSV file of the report holds a name: a leading ' keeps a formula-like one text."""
    return "'" + name if name.startswith(("=", "+", "-", "@")) else name


def expected_actions(seed: dict[str, Any], resets: set[str]) -> dict[tuple[str, str], set[str]]:
    """(email, action) → the names of the organizations it concerns."""
    orgs = {o["organization_id"]: o for o in seed["organizations"]}
    found: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(m: dict[str, Any], action: str) -> None:
        found[(key(m), action)].add(orgs[m["organization_id"]]["organization_name"])

    live = [m for m in seed["members"] if m["status"] != "deleted"]
    for m in live:
        password, sso, oauth = (METHODS[x](m) for x in ("password", "sso", "oauth"))
        if key(m) in resets and password:
            add(m, "reset_password")
        if METHODS["totp_mfa"](m):
            add(m, "reenroll_totp")
        if METHODS["sms_mfa"](m):
            add(m, "replace_sms_mfa")
        for provider in providers(m):
            add(m, "replace_hubspot_sign_in" if provider == "hubspot" else f"sign_in_with_{provider}")
        if sso and not password and not oauth:
            add(m, "sign_in_with_sso")
        if (
            m["status"] == "active"
            and not (password or sso or oauth)
            and allows_email(orgs[m["organization_id"]])
        ):
            add(m, "use_magic_auth")
    return dict(found)


def secrets(project: Project) -> list[str]:
    found = [PLANTED, *project.generated.passwords.values()]
    for connections in project.seed["sso_connections"].values():
        found += [
            c["client_secret"] for c in connections.get("oidc_connections", []) if c.get("client_secret")
        ]
        for saml in connections.get("saml_connections", []):
            found += [k["private_key"] for k in saml.get("encryption_private_keys", [])]
    return [s for s in found if s]


def assert_no_secret(texts: list[str], project: Project) -> None:
    for secret in secrets(project):
        leaked = [i for i, text in enumerate(texts) if secret in text]
        assert not leaked, f"a secret ({len(secret)} characters) is in output(s) {leaked}"


# -- tests ----------------------------------------------------------------------------------------


def test_counts_agree_with_the_seed_and_the_export_summary(project: Project, ws: Path) -> None:
    seed = project.seed
    report = readiness(ws, "--json").json()
    methods = {r["method"]: r for r in report["sign_in_methods"]}
    live = [m for m in seed["members"] if m["status"] != "deleted"]

    for method, has in METHODS.items():
        chosen = [m for m in live if has(m)]
        assert methods[method]["members"] == len(chosen), method
        assert methods[method]["people"] == len({key(m) for m in chosen}), method
        assert methods[method]["members"] == project.summary["members_by_auth_method"][method], method
    used = {p for m in live for p in providers(m)}
    assert "hubspot" in used and len(used) >= 3  # the project exercises what matters here
    for provider in used:
        row = methods[f"oauth:{provider}"]
        chosen = [m for m in live if provider in providers(m)]
        assert row["members"] == len(chosen) == project.summary["oauth_providers"][provider]
    assert methods["oauth:hubspot"]["workos"] == "none"
    assert methods["oauth:google"]["workos"] == "GoogleOAuth"
    sso_only = [
        m for m in live if METHODS["sso"](m) and not METHODS["password"](m) and not METHODS["oauth"](m)
    ]
    assert methods["sso_only"]["members"] == len(sso_only) > 0

    # Before any password load, everyone with a password is on the reset list.
    with_password = {key(m) for m in live if METHODS["password"](m)}
    assert report["passwords_loaded"] is False
    assert methods["password_reset"]["people"] == len(with_password)
    expected = expected_actions(seed, with_password)
    got = rows(ws, "readiness-people.csv")
    assert {(r["email"], r["action"]) for r in got} == set(expected)
    assert len(got) == len(expected)  # one row per person and action
    for r in got:
        listed = r["organizations"].removeprefix("'")
        assert r["organizations"] == in_a_cell(listed)
        assert set(listed.split("; ")) == expected[(r["email"], r["action"])]
        assert r["what_to_do"] and r["why"]
    people_per_action: dict[str, int] = defaultdict(int)
    for _, action in expected:
        people_per_action[action] += 1
    assert report["people_actions"] == dict(sorted(people_per_action.items()))


def test_organization_policies_one_row_each(project: Project, ws: Path) -> None:
    report = readiness(ws, "--json").json()
    orgs = {o["organization_id"]: o for o in project.seed["organizations"]}
    per_org = {
        o["organization_id"]: {s["setting"]: s for s in o["settings"]} for o in report["organizations"]
    }
    assert set(per_org) == set(orgs)
    for org_id, org in orgs.items():
        settings = per_org[org_id]
        restricted = org["auth_methods"] == "RESTRICTED"
        assert settings["auth_methods"]["status"] == ("no_equivalent" if restricted else "nothing_to_do")
        assert settings["auth_methods"]["detail"] == ", ".join(org["allowed_auth_methods"])
        required = org["mfa_policy"] == "REQUIRED_FOR_ALL"
        assert settings["mfa_policy"]["status"] == ("no_equivalent" if required else "nothing_to_do")
        sms = org["mfa_methods"] == "ALL_ALLOWED" or "sms_otp" in org["allowed_mfa_methods"]
        assert settings["mfa_methods"]["status"] == ("no_equivalent" if sms else "carried")
        tenants = org["oauth_tenant_jit_provisioning"] == "RESTRICTED"
        assert settings["oauth_tenant_jit_provisioning"]["status"] == (
            "no_equivalent" if tenants else "nothing_to_do"
        )
    # The grouped view counts every organization once per setting.
    totals: dict[str, int] = defaultdict(int)
    for group in report["organization_settings"]:
        totals[group["setting"]] += group["organizations"]
    assert set(totals.values()) == {len(orgs)}
    table = rows(ws, "readiness-organizations.csv")
    assert len(table) == len(orgs) * len(totals)
    assert {r["organization"] for r in table} == {in_a_cell(o["organization_name"]) for o in orgs.values()}
    assert any(r["organization"].startswith("'=HYPERLINK") for r in table)
    assert {(r["organization_id"], r["setting"], r["status"]) for r in table} == {
        (o, s, v["status"]) for o, settings in per_org.items() for s, v in settings.items()
    }


def test_files_are_owner_only_the_terminal_shows_data_as_text_and_nothing_secret_leaks(
    project: Project, ws: Path
) -> None:
    terminal = readiness(ws)
    for title in ("Organization policies", "Sign-in methods", "People to tell", "Metadata not carried"):
        assert title in terminal.stdout
    assert " [b]" in terminal.stdout  # organization names are text, not markup
    for name in FILES:
        assert str(ws / name) in terminal.stdout
        assert stat.S_IMODE((ws / name).stat().st_mode) == 0o600
    assert "no password hashes loaded" in terminal.stderr
    as_json = readiness(ws, "--json")
    left = rows(ws, "metadata-not-carried.csv")
    planted = [r for r in left if r["key"] == "essay"]
    assert len(planted) == 5 and {r["reason"] for r in planted} == {"value_too_long"}
    assert json.loads(as_json.stdout)["metadata_not_carried"]["by_reason"]["value_too_long"] >= 5
    texts = [terminal.stdout, terminal.stderr, as_json.stdout, as_json.stderr]
    texts += [(ws / name).read_text(encoding="utf-8") for name in FILES]
    assert_no_secret(texts, project)


def test_the_reset_list_comes_from_the_password_load(project: Project, ws: Path, tmp_path: Path) -> None:
    files = write_password_delivery(
        project.generated, tmp_path / "support", defaults.STYTCH_PROJECT_ID, scrypt_n=1 << 12
    )
    load = run_cli(
        [
            "passwords",
            "load",
            str(files["hashes"]),
            "--key",
            str(files["key"]),
            "--private-key",
            str(files["private_key"]),
            "--json",
        ],
        cli_env(UNREACHABLE, UNREACHABLE, STYTCH2WORKOS_WORKSPACE=str(ws)),
    )
    assert load.code in (0, 1), load.stderr  # 1: the delivery's md_5 row is refused, as intended
    # The delivery gives the second-to-last password member (by id) an md_5 hash, which WorkOS
    # cannot take: that person resets unless another of their members has a usable password.
    md5 = sorted(project.generated.passwords)[-2]
    live = [m for m in project.seed["members"] if m["status"] != "deleted"]
    owner = next(key(m) for m in project.seed["members"] if m["member_id"] == md5)
    usable = {key(m) for m in live if METHODS["password"](m) and m["member_id"] != md5}
    resets = {owner} - usable
    assert resets  # the fixture made that member live

    report = readiness(ws, "--json").json()
    assert report["passwords_loaded"] is True
    methods = {r["method"]: r for r in report["sign_in_methods"]}
    assert methods["password_reset"]["people"] == len(resets)
    got = [r for r in rows(ws, "readiness-people.csv") if r["action"] == "reset_password"]
    assert {r["email"] for r in got} == resets
    for r in got:
        assert r["why"].startswith("your password could not be carried over (")
    texts = [json.dumps(report), *[(ws / name).read_text(encoding="utf-8") for name in FILES]]
    assert_no_secret(texts, project)
    assert "$2b$" not in "".join(texts)  # no bcrypt hash from the delivery


def test_without_a_snapshot_it_says_to_export_first(tmp_path: Path) -> None:
    run = run_cli(["readiness", "-w", str(tmp_path / "none")], cli_env(UNREACHABLE, UNREACHABLE))
    assert run.code == 2
    assert "run `stytch2workos export` first" in run.stderr
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Acme", "Acme"),
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("@sum", "'@sum"),
        ("\tTab", "'\tTab"),
        ("a=b", "a=b"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
def test_a_cell_that_looks_like_a_formula_stays_text(value: object, shown: object) -> None:
    assert cell(value) == shown

"""`stytch2workos passwords` end to end: Stytch's encrypted delivery → load → import/apply → sign-in.

The main flows run the real CLI in subprocesses against both emulators over
loopback, and sign-ins go through the official WorkOS SDK, so every loaded hash
is checked by the verification the emulator runs on ``POST
/user_management/authenticate``. Error cases run the same Typer app in-process
(each subprocess pays ~2 s of SDK imports).
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import sqlite3
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from workos import WorkOSClient
from workos._errors import BadRequestError

from conftest import Emulator
from helpers import Run, cli_env, run_cli, small_seed, start_cli, workspace_files
from stytch2workos.cli.app import app
from stytch2workos.source.delivery import read_delivery
from stytch2workos.workspace import DB_NAME
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.delivery import (
    ScryptParams,
    generate_keypair,
    stytch_scrypt_row,
    write_csv,
    write_delivery,
)
from stytch2workos_emulators.synth.passwords import write_password_delivery
from stytch2workos_emulators.synth.project import GeneratedProject, generate_project

FAST_EXPORT = ["--searches-per-minute", "600000", "--reads-per-second", "100000"]
FAST_PACING = {"writes_per_10s": 100000, "reads_per_10s": 100000, "general_per_60s": 1000000}
SCRYPT_N = 1 << 12  # the CSV header carries it, so tests can afford many rows
SMALL = ScryptParams(n=SCRYPT_N, r=8, p=1, key_length=32)
PROJECT = defaults.STYTCH_PROJECT_ID
PASSPHRASE = "correct horse battery staple"


# ---- shared set-up -----------------------------------------------------------------------


def _exported(server: RunningServer, seed: dict[str, Any], ws: Path) -> Path:
    """Export ``seed`` through the CLI into ``ws`` and write a fast migration.toml."""
    control = EmulatorControl(server.base_url)
    control.reset()
    control.set_rate_limits("off")
    control.seed(seed)
    env = cli_env(server.base_url, STYTCH2WORKOS_WORKSPACE=str(ws))
    for args in (["export", *FAST_EXPORT], ["init"]):
        run = run_cli(args, env)
        assert run.code == 0, run.stderr
    text = (ws / "migration.toml").read_text(encoding="utf-8")
    for key, value in FAST_PACING.items():
        text = re.sub(rf"(?m)^{key} = \d+$", f"{key} = {value}", text)
    (ws / "migration.toml").write_text(text, encoding="utf-8")
    return ws


@dataclass
class Generated:
    project: GeneratedProject
    files: dict[str, Path]
    template: Path  # an exported workspace, copied by each test


@pytest.fixture(scope="module")
def generated(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    project = generate_project(orgs=6, members=80, seed=5)
    files = write_password_delivery(project, tmp_path_factory.mktemp("support"), PROJECT, scrypt_n=SCRYPT_N)
    template = _exported(stytch_server, project.seed, tmp_path_factory.mktemp("template") / "ws")
    return Generated(project, files, template)


@pytest.fixture(scope="module")
def small_template(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _exported(stytch_server, small_seed(), tmp_path_factory.mktemp("small") / "ws")


def _workspace(template: Path, tmp_path: Path, workos_emu: Emulator) -> tuple[Path, dict[str, str]]:
    """A private copy of an exported workspace, and WorkOS given the roles its map names."""
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    slugs = sorted(set(tomllib.loads((ws / "migration.toml").read_text())["roles"]["map"].values()))
    workos_emu.control.seed({"roles": [{"slug": s, "name": s.title()} for s in slugs]})
    return ws, cli_env(workos_url=workos_emu.base_url, STYTCH2WORKOS_WORKSPACE=str(ws))


@pytest.fixture
def client(workos_emu: Emulator) -> Iterator[WorkOSClient]:
    """The official SDK, signing in against the WorkOS emulator."""
    sdk = WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=workos_emu.base_url,
        max_retries=0,
    )
    yield sdk
    sdk.close()


def _signs_in(client: WorkOSClient, email: str, password: str) -> bool:
    try:
        client.user_management.authenticate_with_password(email=email, password=password)
    except BadRequestError as exc:
        assert exc.code == "invalid_credentials"
        return False
    return True


def _load_encrypted(g: Generated, env: dict[str, str], *extra: str) -> Run:
    f = g.files
    args = [
        "passwords",
        "load",
        str(f["hashes"]),
        "--key",
        str(f["key"]),
        "--private-key",
        str(f["private_key"]),
    ]
    return run_cli([*args, "--json", *extra], env)


def _selected(ws: Path) -> dict[str, str]:
    """email key → the member id whose hash was selected for that person."""
    db = sqlite3.connect(f"file:{ws / DB_NAME}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT email_key, member_id FROM password_hashes WHERE status = 'selected'")
        return {str(k): str(m) for k, m in rows}
    finally:
        db.close()


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    return _rows_of(path.read_text(encoding="utf-8").splitlines())


def _rows_of(lines: list[str]) -> dict[str, dict[str, str]]:
    start = next(i for i, line in enumerate(lines) if line.startswith("id,"))
    return {row["id"]: row for row in csv.DictReader(lines[start:])}


def _secrets(rows: list[dict[str, str]]) -> list[str]:
    """Every hash and salt in a delivery, to grep the tool's outputs for."""
    return [r[k] for r in rows for k in ("hash", "salt") if len(r[k]) >= 16]


def _assert_no_secrets(texts: list[str], secrets: list[str]) -> None:
    assert secrets
    for text in texts:
        for secret in secrets:
            assert secret not in text


def _report(ws: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((ws / name).read_text(encoding="utf-8").splitlines()))


def _report_texts(ws: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in ws.iterdir() if p.suffix in (".csv", ".json")]


# ---- round trips ----------------------------------------------------------------------------


def test_load_then_import_signs_everyone_in(
    workos_emu: Emulator, client: WorkOSClient, generated: Generated, tmp_path: Path
) -> None:
    ws, env = _workspace(generated.template, tmp_path, workos_emu)
    decrypted = tmp_path / "decrypted.csv"
    load = _load_encrypted(generated, env, "--write-decrypted", str(decrypted))
    assert load.code == 0, load.stderr
    summary = load.json()
    assert stat.S_IMODE(decrypted.stat().st_mode) == 0o600
    rows = _csv_rows(decrypted)
    passwords = generated.project.passwords
    assert set(rows) == set(passwords)
    n = len(passwords)
    assert summary["rows_read"] == summary["matched"] == n
    assert summary["scrypt_params"] == {"n": SCRYPT_N, "r": 8, "p": 1, "key_length": 32}
    assert summary["converted"] == {"scrypt": n - 2, "bcrypt": 1}
    assert summary["refused"] == {"unsupported_algorithm": 1}
    assert summary["unmatched"] == summary["malformed"] == summary["duplicates"] == 0
    assert summary["conflicting_rows"] == summary["previous_with_password"] == 0
    selected = _selected(ws)
    assert summary["people"]["with_password"] == len(selected) >= 10

    imported = run_cli(["import", "--yes", "--json"], env)
    assert imported.code == 0, imported.stderr
    assert imported.json()["ledger"]["password"] == {"created": len(selected)}

    methods = {member_id: row["hash_method"] for member_id, row in rows.items()}
    assert {methods[m] for m in selected.values()} == {"scrypt", "bcrypt"}
    for email, member_id in selected.items():
        assert _signs_in(client, email, passwords[member_id]), (email, methods[member_id])
        assert not _signs_in(client, email, passwords[member_id] + "x")
    # The md_5 member's person keeps no password (unless another of their members has one).
    md5_member = next(m for m, method in methods.items() if method == "md_5")
    md5_email = next(
        m["email_address"].lower() for m in generated.project.seed["members"] if m["member_id"] == md5_member
    )
    if md5_email not in selected:
        assert not _signs_in(client, md5_email, passwords[md5_member])
        assert f"{md5_email},unsupported_algorithm," in (ws / "password-resets.csv").read_text()

    # The import carried every hash, so apply has nothing to send.
    before = workos_emu.control.stats()["requests"]
    applied = run_cli(["passwords", "apply", "--yes", "--json"], env)
    assert applied.code == 0, applied.stderr
    assert applied.json()["applied"] == 0
    assert applied.json()["already_set"] == len(selected)
    assert workos_emu.control.stats()["requests"] == before

    outputs = [r.stdout + r.stderr for r in (load, imported, applied)]
    _assert_no_secrets(outputs + _report_texts(ws), _secrets(list(rows.values())))
    for path in workspace_files(ws):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_import_first_then_apply_then_check(
    workos_emu: Emulator, client: WorkOSClient, generated: Generated, tmp_path: Path
) -> None:
    ws, env = _workspace(generated.template, tmp_path, workos_emu)
    passwords = generated.project.passwords
    assert run_cli(["import", "--yes"], env).code == 0

    decrypted = tmp_path / "hashes.csv"
    encrypted = _load_encrypted(generated, env, "--write-decrypted", str(decrypted))
    assert encrypted.code == 0, encrypted.stderr
    plain = run_cli(["passwords", "load", str(decrypted), "--json"], env)  # the already-decrypted form
    assert plain.code == 0, plain.stderr
    # The same file twice: only what the second load replaced differs.
    assert plain.json()["previous_with_password"] == encrypted.json()["people"]["with_password"]
    same = {"source": "-", "previous_with_password": 0}
    assert {**plain.json(), **same} == {**encrypted.json(), **same}
    selected = _selected(ws)
    email, member_id = next(iter(sorted(selected.items())))
    assert not _signs_in(client, email, passwords[member_id])  # imported before the hashes

    # A refused key stops the run at its first update (exit 3); what finished is kept.
    update = "PUT /user_management/users/*"
    workos_emu.control.set_faults([{"route": update, "error_rate": 1, "error_statuses": [401], "times": 1}])
    stopped = run_cli(["passwords", "apply", "--yes", "--json"], env)
    assert stopped.code == 3, stopped.stderr
    # The rerun finishes the rest, and updates whose response is lost after WorkOS applied
    # them are simply sent again.
    workos_emu.control.set_faults([{"route": update, "commit_then_fail_rate": 1, "times": 3}])
    applied = run_cli(["passwords", "apply", "--yes", "--json"], env)
    assert applied.code == 0, applied.stderr
    result = applied.json()
    assert result["retries"] == 3
    assert 0 < result["applied"] <= len(selected) and result["applied"] + result["already_set"] == len(
        selected
    )
    puts = sum(
        n
        for route, n in workos_emu.control.stats()["requests"].items()
        if route.startswith("PUT /user_management/users")
    )
    assert puts == len(selected) + 1 + 3  # every hash once, the refused update, three repeats
    workos_emu.control.clear_faults()
    state = {u["email"]: u for u in workos_emu.control.state()["users"]}
    assert all(state[e].get("password_hash") for e in selected)
    for email, member_id in selected.items():
        assert _signs_in(client, email, passwords[member_id]), email

    before = workos_emu.control.stats()["requests"]
    again = run_cli(["passwords", "apply", "--yes", "--json"], env)
    assert again.code == 0
    assert again.json()["applied"] == 0 and again.json()["already_set"] == len(selected)
    assert workos_emu.control.stats()["requests"] == before

    # `passwords check` reads the password from stdin when it is not a terminal.
    right = run_cli(["passwords", "check", email], env, stdin=passwords[member_id] + "\n")
    assert right.code == 0, right.stderr
    assert "accepted" in right.stdout
    wrong = run_cli(["passwords", "check", email, "--json"], env, stdin="not-the-password\n")
    assert wrong.code == 1
    assert wrong.json() == {"email": email, "accepted": False, "outcome": "invalid_credentials"}
    for run in (right, wrong):
        assert passwords[member_id] not in run.stdout + run.stderr
        assert "not-the-password" not in run.stdout + run.stderr
    outputs = [r.stdout + r.stderr for r in (encrypted, plain, applied, again)]
    _assert_no_secrets(outputs + _report_texts(ws), _secrets(list(_csv_rows(decrypted).values())))


# ---- rows that cannot be used ------------------------------------------------------------------

runner = CliRunner()


def _small_rows() -> tuple[list[dict[str, str]], dict[str, str]]:
    """Rows for small_seed(): two conflicting hashes for Ada, and one bad row of every kind."""
    ids = {m["email_address"]: m["member_id"] for m in small_seed()["members"]}
    ada1, ada2 = ids["Ada@Acme.example"], ids["ada@acme.example"]

    def scrypt(member_id: str, password: str) -> dict[str, str]:
        return stytch_scrypt_row(member_id, password, PROJECT, n=SCRYPT_N)

    short = stytch_scrypt_row(ids["carol@acme.example"], "x", PROJECT, n=SCRYPT_N, key_length=16)
    rows = [
        scrypt(ada1, "ada-in-acme"),  # line 8
        scrypt(ada2, "ada-in-zoe"),
        {**scrypt(ids["bob@acme.example"], "bob"), "hash": "not*base64!"},  # line 10
        short,
        {**scrypt(ids["dave@zoe.example"], "dave"), "hash_method": "sha_1"},
        scrypt(ids["erin@zoe.example"], "erin"),  # deleted member
        scrypt("member-test-99999999-0000-4000-8000-000000000000", "nobody"),
        scrypt(ids["李@zoe.example"], "li"),  # line 15
        scrypt(ids["李@zoe.example"], "li-again"),
    ]
    return rows, {"ada1": ada1, "ada2": ada2}


def test_every_bad_row_gets_a_reason(workos_emu: Emulator, small_template: Path, tmp_path: Path) -> None:
    ws, env = _workspace(small_template, tmp_path, workos_emu)
    rows, ids = _small_rows()
    text = write_csv(rows, SMALL).replace(
        f"{rows[-1]['id']},", "only,three,cells\n" + f"{rows[-1]['id']},", 1
    )
    path = tmp_path / "hashes.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["passwords", "load", str(path), "--json"], env=env)
    assert result.exit_code == 1, result.output  # rows need attention
    summary = json.loads(result.stdout)
    assert summary["rows_read"] == 10
    counts = ("matched", "unmatched", "malformed", "duplicates", "conflicting_rows")
    assert [summary[name] for name in counts] == [7, 1, 1, 0, 1]
    # 李's two rows give different hashes: neither is used, and 李 must reset.
    assert summary["converted"] == {"scrypt": 2}
    assert summary["refused"] == {
        "bad_base64": 1,
        "conflicting_rows": 1,
        "length_mismatch": 1,
        "unsupported_algorithm": 1,
    }
    assert summary["deleted_members"] == 1
    assert summary["people"] == {
        "with_password": 1,
        "conflicting": 1,
        "need_reset": 4,
        "password_members_not_in_export": 0,
    }
    assert summary["unmatched_examples"] == ["member-test-99999999-0000-4000-8000-000000000000"]

    problems = {row["line"]: row for row in _report(ws, "password-problems.csv")}
    expect = {
        "10": ("bad_base64", "scrypt hash is not base64"),
        "11": ("length_mismatch", "decodes to 16 bytes, expected 32"),
        "12": ("unsupported_algorithm", "'sha_1' has no WorkOS equivalent"),
        "13": ("member_deleted", "deleted in Stytch"),
        "14": ("unknown_member", "no member with this id"),
        "15": ("malformed_row", "expected at least 5 columns, found 3"),
        "16": ("conflicting_rows", "lines 16 and 17 give this member different password hashes"),
        "17": ("conflicting_rows", "line 16 gives this member a different password hash"),
    }
    assert set(problems) == set(expect)
    for line, (code, words) in expect.items():
        assert problems[line]["code"] == code
        assert words in problems[line]["reason"], problems[line]
    assert problems["16"]["member_id"] == problems["17"]["member_id"] == rows[-1]["id"]
    # Ada's two members had different passwords: the most recently updated one is kept.
    assert _selected(ws)["ada@acme.example"] == ids["ada2"]
    conflicts = _report(ws, "password-conflicts.csv")
    assert [
        (c["email"], c["password_kept_from_organization"], c["passwords_dropped_from"]) for c in conflicts
    ] == [("ada@acme.example", "Zoë Ångström GmbH", "Acme Co")]
    resets = {row["email"]: row["reason"] for row in _report(ws, "password-resets.csv")}
    assert resets == {
        "bob@acme.example": "bad_base64",
        "carol@acme.example": "length_mismatch",
        "dave@zoe.example": "unsupported_algorithm",
        "李@zoe.example": "conflicting_rows",
    }
    _assert_no_secrets([result.output, *_report_texts(ws)], _secrets(rows))

    # The rule is configurable: first_org keeps the password of the oldest organization.
    config = ws / "migration.toml"
    config.write_text(config.read_text().replace('"most_recent"', '"first_org"'), encoding="utf-8")
    again = runner.invoke(app, ["passwords", "load", str(path), "--json"], env=env)
    assert again.exit_code == 1
    assert json.loads(again.stdout)["conflict_rule"] == "first_org"
    assert _selected(ws)["ada@acme.example"] == ids["ada1"]


# ---- files that cannot be read -------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_delivery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rows, _ = _small_rows()
    out = tmp_path_factory.mktemp("small-delivery")
    private, public = generate_keypair(passphrase=PASSPHRASE.encode())
    # A seeded key file and salt make the ciphertext, and so the garbling below, repeatable.
    key, hashes = write_delivery(out, write_csv(rows[:2], SMALL), public, rng=random.Random(3).randbytes)
    (out / "private.pem").write_bytes(private)
    (out / "other.pem").write_bytes(generate_keypair()[0])
    # `openssl enc -pbkdf2 -iter 4321`: the file does not say how many rounds.
    iter_key, iter_hashes = write_delivery(
        out / "iter", write_csv(rows[:2], SMALL), public, variant="pbkdf2", iterations=4321
    )
    return {
        "key": key,
        "hashes": hashes,
        "private": out / "private.pem",
        "other": out / "other.pem",
        "iter_key": iter_key,
        "iter_hashes": iter_hashes,
    }


def test_bad_files_are_clear_errors_and_keep_the_previous_load(
    workos_emu: Emulator, small_template: Path, small_delivery: dict[str, Path], tmp_path: Path
) -> None:
    ws, env = _workspace(small_template, tmp_path, workos_emu)
    d = small_delivery

    def load(
        hashes: Path,
        private: Path | None = None,
        stdin: str | None = None,
        key: str | None = "key",
        *extra: str,
    ) -> Any:
        args = ["passwords", "load", str(hashes), *extra]
        if key:
            args += ["--key", str(d[key])]
        if private is not None:
            args += ["--private-key", str(private)]
        return runner.invoke(app, args, env=env, input=stdin)

    rounds = load(d["iter_hashes"], d["private"], PASSPHRASE + "\n", "iter_key", "--iterations", "4321")
    assert rounds.exit_code == 0, rounds.output
    good = load(d["hashes"], d["private"], stdin=PASSPHRASE + "\n")  # encrypted PEM: passphrase on stdin
    assert good.exit_code == 0, good.output
    kept = _selected(ws)
    assert len(kept) == 1  # Ada's two members

    truncated = tmp_path / "truncated.enc"
    truncated.write_bytes(d["hashes"].read_bytes()[:-5])
    flipped = bytearray(d["hashes"].read_bytes())
    flipped[16 * 12] ^= 0xFF  # garbles the text mid-file: found only while streaming
    garbled = tmp_path / "garbled.enc"
    garbled.write_bytes(bytes(flipped))
    not_csv = tmp_path / "notes.csv"
    not_csv.write_text("name,email\nada,ada@acme.example\n", encoding="utf-8")
    cases = [
        (load(d["hashes"], d["other"]), "does not decrypt with this private key"),
        (load(d["hashes"], d["private"], stdin="wrong passphrase\n"), "wrong passphrase"),
        (load(truncated, d["private"], stdin=PASSPHRASE + "\n"), "truncated or corrupt"),
        (
            load(garbled, d["private"], stdin=PASSPHRASE + "\n"),
            "garbled.enc decrypted to data that is not UTF-8",
        ),
        (load(d["hashes"], key=None), "is encrypted: pass --key"),
        (load(not_csv, key=None), "not Stytch's hash export"),
        (load(tmp_path / "missing.csv", key=None), "no such file"),
        (load(d["hashes"]), "--key needs --private-key"),
        (load(d["iter_hashes"], d["private"], PASSPHRASE + "\n", "iter_key"), "pass --iterations N"),
    ]
    for result, message in cases:
        assert result.exit_code == 2, result.output
        assert message.lower() in " ".join(result.output.split()).lower(), result.output
        assert "Traceback" not in result.output
    assert _selected(ws) == kept


def test_check_accepts_a_password_followed_by_a_step_up(workos_emu: Emulator) -> None:
    workos_emu.control.seed(
        {
            "settings": {"require_email_verification": True},
            "users": [{"email": "new@example.com", "email_verified": False, "password": "s3cret-pass"}],
        }
    )
    env = cli_env(workos_url=workos_emu.base_url)
    result = runner.invoke(
        app, ["passwords", "check", "new@example.com", "--json"], env=env, input="s3cret-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "email_verification_required" in result.stdout
    assert "s3cret-pass" not in result.output
    missing_client = {**env, "WORKOS_CLIENT_ID": ""}
    result = runner.invoke(app, ["passwords", "check", "new@example.com"], env=missing_client, input="x\n")
    assert result.exit_code == 2 and "WORKOS_CLIENT_ID" in result.output


def test_emulate_generate_writes_the_support_delivery(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "emulate",
        "--stytch-port",
        "0",
        "--workos-port",
        "0",
        "--generate",
        "--orgs",
        "2",
        "--members",
        "12",
    ]
    proc = start_cli([*args, "--random-seed", "4", "--out", str(out)], cli_env())
    try:
        assert proc.stdout is not None
        # The files are written before the servers start and print their addresses.
        assert "Emulators running" in proc.stdout.readline()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    for name in ("hashes", "key", "private_key", "passwords"):
        assert f"wrote {name}: " in stderr
    passwords = json.loads((out / "passwords.json").read_text(encoding="utf-8"))
    assert passwords == generate_project(2, 12, 4).passwords
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    hashes = next(out.glob("stytch-*-hashes-*.enc"))
    pem = (out / "private_key.pem").read_bytes()
    rows = _rows_of(list(read_delivery(out / "key.bin.enc", hashes, pem, None)))
    assert set(rows) == set(passwords)
    methods = sorted(r["hash_method"] for r in rows.values())
    assert methods == sorted(["bcrypt", "md_5"] + ["scrypt"] * (len(passwords) - 2))
    assert "scryptCostParameter,1 << 15," in "".join(read_delivery(out / "key.bin.enc", hashes, pem, None))

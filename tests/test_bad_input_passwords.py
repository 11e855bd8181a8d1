"""`passwords load` against a corpus of damaged support deliveries, through the real CLI.

Every case runs ``stytch2workos passwords load`` in a subprocess on a copy of one
exported workspace that already holds an earlier load (two people with a usable
hash), and ends in exactly one of three ways:

* ``accepted``: exit 0, the new load is stored;
* ``file``: the file is refused whole: exit 2, one ``error:`` line naming the
  defect, no traceback, and the earlier load intact, byte for byte;
* ``rows``: the named members' rows are refused (by member id in the problems
  report, with a code, and on the reset list), the rest is loaded, exit 1.

No output, report or error message may hold a hash, a salt, key material or the
passphrase.
"""

from __future__ import annotations

import base64
import csv
import random
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from helpers import Run, cli_env, run_cli, small_seed
from stytch2workos.workspace import DB_NAME
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.synth.delivery import (
    ScryptParams,
    generate_keypair,
    key_file_bytes,
    stytch_scrypt_row,
    write_csv,
    write_delivery,
)

PROJECT = defaults.STYTCH_PROJECT_ID
OTHER_PROJECT = "project-test-11111111-2222-4333-8444-555555555555"
SCRYPT_N = 1 << 10  # the file states it; a small cost keeps hashing the corpus quick
SMALL = ScryptParams(n=SCRYPT_N, r=8, p=1, key_length=32)
PASSPHRASE = "correct horse battery staple"
# small_seed()'s members by a short name; erin is deleted in Stytch.
EMAILS = {
    "ada1": "Ada@Acme.example",
    "ada2": "ada@acme.example",
    "bob": "bob@acme.example",
    "carol": "carol@acme.example",
    "dave": "dave@zoe.example",
    "erin": "erin@zoe.example",
    "li": "李@zoe.example",
}
EVERYONE = 5  # people with a usable hash after a good load: ada (two members), bob, carol, dave, li
EARLIER = 2  # the template's earlier load: ada and bob
Outcome = Literal["accepted", "file", "rows"]


# ---- the delivery's material ----------------------------------------------------------------


@dataclass(frozen=True)
class Kit:
    """Rows for every small_seed() member, and RSA keys to encrypt deliveries to."""

    ids: dict[str, str]
    rows: dict[str, dict[str, str]]
    private: bytes  # unencrypted PEM
    public: bytes
    locked_private: bytes  # the same kind of key, protected by PASSPHRASE
    locked_public: bytes
    other_private: bytes  # a key the delivery is not encrypted to

    def csv(
        self,
        names: list[str] | None = None,
        params: ScryptParams = SMALL,
        changes: dict[str, dict[str, str]] | None = None,
    ) -> str:
        """The decrypted CSV for ``names`` (default: everyone), a row changed where asked."""
        rows = [
            {**self.rows[name], **(changes or {}).get(name, {})}
            for name in (list(self.rows) if names is None else names)
        ]
        return write_csv(rows, params)

    def secrets(self) -> list[str]:
        """Hash material, keys and the passphrase: never in any output."""
        values = [row[k] for row in self.rows.values() for k in ("hash", "salt")]
        # A stretch from the middle of each private key (their first bytes are a common header).
        pem_bodies = [
            pem.decode().split("-----")[2].strip()[600:640] for pem in (self.private, self.locked_private)
        ]
        return [*values, *pem_bodies, PASSPHRASE]


def _salt(seed: int) -> str:
    # Seeded salts make the plaintext, and so each ciphertext below, the same in every run.
    return base64.urlsafe_b64encode(random.Random(seed).randbytes(22)).decode("ascii")


@pytest.fixture(scope="module")
def kit() -> Kit:
    by_email = {m["email_address"]: m["member_id"] for m in small_seed()["members"]}
    ids = {name: by_email[email] for name, email in EMAILS.items()}
    rows = {
        name: stytch_scrypt_row(ids[name], f"pw-{name}", PROJECT, n=SCRYPT_N, salt=_salt(i))
        for i, name in enumerate(EMAILS)
    }
    private, public = generate_keypair()
    locked_private, locked_public = generate_keypair(passphrase=PASSPHRASE.encode())
    return Kit(ids, rows, private, public, locked_private, locked_public, generate_keypair()[0])


@dataclass(frozen=True)
class Delivery:
    """Paths of one encrypted delivery and the keys around it."""

    hashes: Path
    key: Path
    private: Path


def _deliver(kit: Kit, out: Path, text: str, *, locked: bool = False) -> Delivery:
    public, private = (kit.locked_public, kit.locked_private) if locked else (kit.public, kit.private)
    key, hashes = write_delivery(out, text, public, rng=random.Random(7).randbytes)
    (out / "private.pem").write_bytes(private)
    return Delivery(hashes, key, out / "private.pem")


def _args(d: Delivery, private: Path | None = None) -> list[str]:
    return [str(d.hashes), "--key", str(d.key), "--private-key", str(private or d.private)]


# ---- the corpus -------------------------------------------------------------------------------

Make = Callable[[Kit, Path], tuple[list[str], str]]  # → (arguments after `passwords load`, stdin)


def plain(text: Callable[[Kit], str | bytes]) -> Make:
    """A decrypted CSV written as given."""

    def make(kit: Kit, tmp: Path) -> tuple[list[str], str]:
        content = text(kit)
        path = tmp / "hashes.csv"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return [str(path)], ""

    return make


@dataclass(frozen=True)
class Case:
    make: Make
    outcome: Outcome
    words: str = ""  # in the error line of a refused file
    named: dict[str, str] = field(default_factory=dict)  # member → code in the problems report
    with_password: int = EVERYONE  # after an accepted load or one with refused rows


def _replace_param(kit: Kit, old: str, new: str) -> str:
    text = kit.csv()
    assert old in text
    return text.replace(old, new, 1)


def _without_column(kit: Kit, column: int) -> str:
    lines = kit.csv().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("id,"))
    cut = [",".join(c for i, c in enumerate(line.split(",")) if i != column) for line in lines[start:]]
    return "\n".join(lines[:start] + cut) + "\n"


def _bob_without_project(kit: Kit) -> str:
    bob = kit.rows["bob"]
    full = ",".join(bob[c] for c in ("id", "hash", "salt", "hash_method", "project_id"))
    return kit.csv().replace(full, full.rsplit(",", 1)[0])


def _non_utf8(kit: Kit) -> bytes:
    text = kit.csv().encode("utf-8")
    bob = kit.rows["bob"]["id"].encode()
    return text.replace(bob + b",", bob[:-1] + b"\xff,", 1)


def _every_row_short(kit: Kit) -> str:
    lines = kit.csv().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("id,"))
    return (
        "\n".join(lines[: start + 1] + [",".join(line.split(",")[:3]) for line in lines[start + 1 :]]) + "\n"
    )


def _unknown_members(kit: Kit) -> str:
    stale = {
        name: {"id": row["id"].replace("member-test-0", "member-test-9")} for name, row in kit.rows.items()
    }
    return kit.csv(changes=stale)


def _enc_good(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    return _args(_deliver(kit, tmp / "d", kit.csv())), ""


def _enc_wrong_private(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    d = _deliver(kit, tmp / "d", kit.csv())
    (tmp / "other.pem").write_bytes(kit.other_private)
    return _args(d, tmp / "other.pem"), ""


def _enc_cut(size: int) -> Make:
    def make(kit: Kit, tmp: Path) -> tuple[list[str], str]:
        d = _deliver(kit, tmp / "d", kit.csv())
        d.hashes.write_bytes(d.hashes.read_bytes()[:-size])
        return _args(d), ""

    return make


def _enc_key_not_wrapped(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    d = _deliver(kit, tmp / "d", kit.csv())
    d.key.write_bytes(key_file_bytes(rng=random.Random(1).randbytes))  # key.bin itself, not encrypted
    return _args(d), ""


def _enc_hashes_not_salted(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    d = _deliver(kit, tmp / "d", kit.csv())
    d.hashes.write_text(kit.csv(), encoding="utf-8")  # the plain CSV where the .enc belongs
    return _args(d), ""


def _enc_locked(stdin: str) -> Make:
    def make(kit: Kit, tmp: Path) -> tuple[list[str], str]:
        return _args(_deliver(kit, tmp / "d", kit.csv(), locked=True)), stdin

    return make


def _enc_flip(which: Literal["key", "hashes"], offset: int) -> Make:
    def make(kit: Kit, tmp: Path) -> tuple[list[str], str]:
        d = _deliver(kit, tmp / "d", kit.csv())
        path = d.key if which == "key" else d.hashes
        data = bytearray(path.read_bytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))
        return _args(d), ""

    return make


def _enc_public_as_private(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    d = _deliver(kit, tmp / "d", kit.csv())
    d.private.write_bytes(kit.public)
    return _args(d), ""


def _enc_without_key(kit: Kit, tmp: Path) -> tuple[list[str], str]:
    return [str(_deliver(kit, tmp / "d", kit.csv()).hashes)], ""


CORPUS = [
    # Decrypted CSVs: tolerated variations.
    pytest.param(Case(plain(lambda k: k.csv()), "accepted"), id="as-sent"),
    pytest.param(Case(plain(lambda k: "\ufeff" + k.csv()), "accepted"), id="bom"),
    pytest.param(Case(plain(lambda k: k.csv().replace("\n", "\r\n")), "accepted"), id="crlf"),
    pytest.param(
        Case(plain(lambda k: k.csv([*k.rows, "bob"])), "accepted", named={"bob": "duplicate_row"}),
        id="identical-duplicate-row",
    ),
    # Defects of the file: refused whole.
    pytest.param(
        Case(plain(lambda k: k.csv().split("\n,,,,\n", 1)[1]), "file", "no scrypt parameter block"),
        id="no-parameter-block",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "1 << 10", "1000")), "file", "n=1000 must be a power of two"),
        id="cost-not-a-power-of-two",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "1 << 10", "1")), "file", "n=1 must be a power of two"),
        id="cost-one",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "RParameter,8", "RParameter,0")), "file", "r=0"),
        id="r-zero-for-every-row",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "PParameter,1", "PParameter,0")), "file", "p=0"),
        id="p-zero",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "Paramenter,32", "Paramenter,100000")), "file", "key length"),
        id="absurd-key-length",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "1 << 10", "2^10")), "file", "expected an integer"),
        id="cost-not-a-number",
    ),
    pytest.param(
        Case(plain(lambda k: _replace_param(k, "scryptPParameter,1,,,\n", "")), "file", "lacks p"),
        id="parameter-missing",
    ),
    pytest.param(
        Case(
            plain(lambda k: k.csv(changes={n: {"project_id": OTHER_PROJECT} for n in k.rows})),
            "file",
            f"for Stytch project {OTHER_PROJECT} (7 rows), not this workspace's project {PROJECT}",
        ),
        id="another-projects-file",
    ),
    pytest.param(
        Case(plain(lambda k: _without_column(k, 2)), "file", "column 'salt' missing in the header"),
        id="header-missing-a-column",
    ),
    pytest.param(Case(plain(lambda k: b""), "file", "the file is empty"), id="empty-file"),
    pytest.param(
        Case(plain(lambda k: k.csv([])), "file", "has a header but no rows"),
        id="header-only",
    ),
    pytest.param(
        Case(plain(_non_utf8), "file", "line 10 of"),
        id="non-utf8-bytes",
    ),
    pytest.param(
        Case(plain(_every_row_short), "file", "none of the 7 rows of the hashes file can be read (line 8"),
        id="every-row-short",
    ),
    pytest.param(
        Case(
            plain(_unknown_members),
            "file",
            f"would leave 0 people with a usable password hash where the stored load has {EARLIER}",
        ),
        id="stale-file-fewer-hashes",
    ),
    # Defects of single rows: those members are refused by id, the rest is loaded.
    pytest.param(
        Case(plain(_bob_without_project), "rows", named={"bob": "malformed_row"}, with_password=4),
        id="row-missing-a-column",
    ),
    pytest.param(
        Case(
            plain(lambda k: k.csv() + _other_bob(k)),
            "rows",
            named={"bob": "conflicting_rows"},
            with_password=4,
        ),
        id="member-twice-different-hashes",
    ),
    pytest.param(
        Case(
            plain(lambda k: k.csv(changes={"dave": {"project_id": OTHER_PROJECT}})),
            "rows",
            named={"dave": "other_project"},
            with_password=4,
        ),
        id="one-row-of-another-project",
    ),
    # Encrypted deliveries.
    pytest.param(Case(_enc_good, "accepted"), id="encrypted-as-sent"),
    pytest.param(
        Case(_enc_wrong_private, "file", "does not decrypt with this private key"),
        id="wrong-private-key",
    ),
    pytest.param(Case(_enc_cut(5), "file", "truncated or corrupt"), id="truncated-ciphertext"),
    pytest.param(Case(_enc_cut(16), "file", "does not decrypt"), id="truncated-at-a-block"),
    pytest.param(
        Case(_enc_key_not_wrapped, "file", "key.bin.enc is 65 bytes"),
        id="key-file-not-rsa-encrypted",
    ),
    pytest.param(
        Case(_enc_hashes_not_salted, "file", "no 'Salted__' header"),
        id="hashes-not-salted",
    ),
    pytest.param(
        Case(_enc_locked(""), "file", "nothing on standard input"),
        id="passphrase-pem-stdin-closed",
    ),
    pytest.param(
        Case(_enc_locked("not the passphrase\n"), "file", "wrong passphrase"),
        id="wrong-passphrase",
    ),
    pytest.param(
        Case(_enc_locked(PASSPHRASE + "\n"), "accepted"),
        id="passphrase-pem-with-passphrase",
    ),
    pytest.param(
        Case(_enc_flip("key", 100), "file", "does not decrypt"),
        id="corrupted-key-bin-enc",
    ),
    pytest.param(
        Case(_enc_flip("hashes", 16 * 20), "file", "decrypted to data that is not UTF-8"),
        id="garbled-mid-file",
    ),
    pytest.param(
        Case(_enc_public_as_private, "file", "that is the public key"),
        id="public-key-as-private-key",
    ),
    pytest.param(
        Case(_enc_without_key, "file", "is encrypted: pass --key"),
        id="encrypted-without-key",
    ),
]


def _other_bob(kit: Kit) -> str:
    other = stytch_scrypt_row(kit.ids["bob"], "another-password", PROJECT, n=SCRYPT_N, salt=_salt(99))
    return ",".join(other[c] for c in ("id", "hash", "salt", "hash_method", "project_id")) + "\n"


# ---- the workspace ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(stytch_server: RunningServer, kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exported small_seed() workspace holding an earlier load: ada's and bob's hashes."""
    control = EmulatorControl(stytch_server.base_url)
    control.reset()
    control.set_rate_limits("off")
    control.seed(small_seed())
    ws = tmp_path_factory.mktemp("bad-input") / "ws"
    env = cli_env(stytch_server.base_url, STYTCH2WORKOS_WORKSPACE=str(ws))
    export = run_cli(["export", "--searches-per-minute", "600000", "--reads-per-second", "100000"], env)
    assert export.code == 0, export.stderr
    earlier = ws.parent / "earlier.csv"
    earlier.write_text(kit.csv(["ada1", "ada2", "bob"]), encoding="utf-8")
    loaded = run_cli(["passwords", "load", str(earlier), "--json"], env)
    assert loaded.code == 0, loaded.stderr
    assert loaded.json()["people"]["with_password"] == EARLIER
    return ws


def _workspace(template: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    ws = tmp_path / "ws"
    shutil.copytree(template, ws)
    return ws, cli_env(STYTCH2WORKOS_WORKSPACE=str(ws))


def _stored(ws: Path) -> tuple[object, ...]:
    """Everything a load writes, to compare before and after a refused one."""
    db = sqlite3.connect(f"file:{ws / DB_NAME}?mode=ro", uri=True)
    try:
        hashes = db.execute("SELECT * FROM password_hashes ORDER BY member_id").fetchall()
        problems = db.execute("SELECT * FROM password_row_problems ORDER BY line_no").fetchall()
        meta = db.execute("SELECT value FROM meta WHERE key = 'passwords_load'").fetchall()
    finally:
        db.close()
    reports = sorted((p.name, p.read_bytes()) for p in ws.iterdir() if p.name.startswith("password"))
    return hashes, problems, meta, reports


def _selected_people(ws: Path) -> int:
    db = sqlite3.connect(f"file:{ws / DB_NAME}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM password_hashes WHERE status = 'selected'").fetchone()[0])
    finally:
        db.close()


def _report(ws: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((ws / name).read_text(encoding="utf-8").splitlines()))


def _assert_clean(run: Run, ws: Path, secrets: list[str]) -> None:
    texts = [run.stdout, run.stderr] + [
        p.read_text("utf-8") for p in ws.iterdir() if p.suffix in (".csv", ".json")
    ]
    for text in texts:
        assert "Traceback" not in text
        for secret in secrets:
            assert secret not in text


def _assert_refused_whole(run: Run, words: str) -> None:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.code == 2, run.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    assert "unexpected" not in run.stderr.lower()
    assert words in lines[0], lines[0]
    assert run.stdout == ""


# ---- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CORPUS)
def test_bad_delivery(case: Case, kit: Kit, template: Path, tmp_path: Path) -> None:
    ws, env = _workspace(template, tmp_path)
    before = _stored(ws)
    args, stdin = case.make(kit, tmp_path)
    run = run_cli(["passwords", "load", *args, "--json"], env, stdin=stdin)
    _assert_clean(run, ws, kit.secrets())
    if case.outcome == "file":
        _assert_refused_whole(run, case.words)
        assert _stored(ws) == before
        assert _selected_people(ws) == EARLIER
        return
    assert run.code == (0 if case.outcome == "accepted" else 1), run.stderr
    summary = run.json()
    assert summary["people"]["with_password"] == case.with_password == _selected_people(ws)
    assert summary["previous_with_password"] == EARLIER
    problems = _report(ws, "password-problems.csv")
    resets = {row["email"]: row["reason"] for row in _report(ws, "password-resets.csv")}
    for name, code in case.named.items():
        rows = [row for row in problems if row["member_id"] == kit.ids[name]]
        assert rows and {row["code"] for row in rows} == {code}, problems
        if case.outcome == "rows":
            assert resets[EMAILS[name].lower()] == code
    if case.outcome == "accepted":
        assert resets == {}
        assert {row["status"] for row in problems} <= {"info", "skipped"}, problems


def test_a_load_with_fewer_hashes_stops_until_replace(kit: Kit, template: Path, tmp_path: Path) -> None:
    ws, env = _workspace(template, tmp_path)
    good = tmp_path / "good.csv"
    good.write_text(kit.csv(), encoding="utf-8")
    loaded = run_cli(["passwords", "load", str(good), "--json"], env)
    assert loaded.code == 0, loaded.stderr
    assert loaded.json()["people"]["with_password"] == EVERYONE
    before = _stored(ws)

    # A damaged copy: three people's hashes no longer decode.
    damaged = tmp_path / "damaged.csv"
    broken = {name: {"hash": "not*base64!"} for name in ("bob", "carol", "li")}
    damaged.write_text(kit.csv(changes=broken), encoding="utf-8")
    refused = run_cli(["passwords", "load", str(damaged), "--json"], env)
    _assert_refused_whole(
        refused, f"would leave 2 people with a usable password hash where the stored load has {EVERYONE}"
    )
    message = refused.stderr
    assert "(3 more would need a password reset)" in message
    assert "3 refused as bad_base64" in message
    assert "pass --replace" in message
    assert _stored(ws) == before
    _assert_clean(refused, ws, kit.secrets())

    accepted = run_cli(["passwords", "load", str(damaged), "--replace", "--json"], env)
    assert accepted.code == 1, accepted.stderr  # the refused rows need attention
    summary = accepted.json()
    assert (summary["previous_with_password"], summary["people"]["with_password"]) == (EVERYONE, 2)
    assert _selected_people(ws) == 2
    assert summary["refused"] == {"bad_base64": 3}

    # More hashes than stored is never held back.
    again = run_cli(["passwords", "load", str(good), "--json"], env)
    assert again.code == 0, again.stderr
    assert _selected_people(ws) == EVERYONE
    _assert_clean(again, ws, kit.secrets())

"""Stytch export rows → WorkOS hash strings: known answers, refusals, and pick_hash."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from stytch2workos.transform.passwords import (
    Converted,
    HashCandidate,
    ParsedRow,
    Refused,
    ScryptParams,
    convert,
    pick_hash,
)
from stytch2workos_emulators.synth.delivery import stytch_scrypt_row
from stytch2workos_emulators.workos.hashes import check_hash, verify_password

STYTCH = ScryptParams(n=1 << 15, r=8, p=1, key_length=32)
SMALL = ScryptParams(n=16, r=8, p=1, key_length=32)
PASSWORD = "Migrated#Pass1"

# The one public sample of Stytch's export (FusionAuth's Stytch migration data).
SAMPLE_PASSWORD = "averylongandunguessablepasswordwithlotsofrandominfooofisjoafasnr;,n2"
SAMPLE = ParsedRow(
    member_id="user-test-c1be12e4-fc61-4e7a-8831-0fc14cb87b65",
    hash="8dg6AaIWPfcLTQU7lb4H-CI49dHeqaBXfFE1ogb2qRQ=",
    salt="zKia-0BdIFKCzWbzXbj3qrhBnbiWNg==",
    hash_method="scrypt",
    project_id="project-test-36510638-652a-4d3d-9a94-f0a7106582fc",
)


def row(hash_value: str, method: str, salt: str = "") -> ParsedRow:
    return ParsedRow("member-test-1", hash_value, salt, method, "project-test-1")


def test_public_stytch_sample_converts_and_verifies() -> None:
    result = convert(SAMPLE, STYTCH)
    assert result == Converted(
        "$scrypt$v=1$n=32768,r=8,p=1,kl=32$ektpYS0wQmRJRktDeldielhiajNxcmhCbmJpV05nPT0"
        "$8dg6AaIWPfcLTQU7lb4H+CI49dHeqaBXfFE1ogb2qRQ",
        "scrypt",
    )
    # The WorkOS salt is the ASCII of Stytch's salt string, not its decoding.
    salt_b64 = result.password_hash.split("$")[4]
    assert base64.b64decode(salt_b64 + "==") == SAMPLE.salt.encode("ascii")
    assert check_hash(result.password_hash, "scrypt") is None
    assert verify_password(SAMPLE_PASSWORD, result.password_hash, "scrypt")
    assert not verify_password(SAMPLE_PASSWORD[:-1], result.password_hash, "scrypt")


_SCRYPT_ROW = stytch_scrypt_row("m", PASSWORD, "p", n=16, salt="abcdefghijklmnopqrstuvwxyz012-_=")
_ARGON2ID = "$argon2id$v=19$m=4096,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$OOcfKgKEun/V610SjvR6zb2JpprIc1kDYWIZrCvjMAg"
_ARGON2I = "$argon2i$v=19$m=4096,t=3,p=1$AAECAwQFBgcICQoLDA0ODw$OwEK1MgHSzB/KJjnK68vUtq1TiHQm0nCnQzplUGti7U"
_BCRYPT = "$2a$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y"
_DOCS_PBKDF2 = (
    "$pbkdf2$i=600000,d=sha256$T2ptRFh6MXhDQVh2SWZuUGdpQXBUTg$xXiyTisD7390NijyCv5ICMhFW4eDuMlzypRoLGLyIvA"
)
_DOCS_SALT, _DOCS_HASH = _DOCS_PBKDF2.split("$")[3:]

# (row, params, expected WorkOS string or None to skip the exact check, password to verify or None)
CONVERSIONS = [
    pytest.param(
        row(_SCRYPT_ROW["hash"], "scrypt", _SCRYPT_ROW["salt"]), SMALL, None, PASSWORD, id="scrypt-small"
    ),
    pytest.param(
        row(
            _SCRYPT_ROW["hash"].replace("-", "+").replace("_", "/").rstrip("="), "SCRYPT", _SCRYPT_ROW["salt"]
        ),
        SMALL,
        None,
        PASSWORD,
        id="scrypt-standard-alphabet-unpadded",
    ),
    pytest.param(row(_BCRYPT, "bcrypt"), None, _BCRYPT, PASSWORD, id="bcrypt-passthrough"),
    pytest.param(row(f" {_BCRYPT} ", "bcrypt"), None, _BCRYPT, None, id="bcrypt-whitespace"),
    pytest.param(row(_ARGON2ID, "argon_2id"), None, _ARGON2ID, PASSWORD, id="argon2id"),
    pytest.param(row(_ARGON2I, "argon_2i"), None, _ARGON2I, PASSWORD, id="argon2i"),
    pytest.param(
        row(
            "$argon2id$v=19$t=1,p=1,m=4096$AAECAwQFBgcICQoLDA0ODw==$OOcfKgKEun_V610SjvR6zb2JpprIc1kDYWIZrCvjMAg=",
            "argon_2id",
        ),
        None,
        _ARGON2ID,
        None,
        id="argon2id-urlsafe-padded-reordered",
    ),
    pytest.param(row(_DOCS_PBKDF2, "pbkdf_2"), None, _DOCS_PBKDF2, "mypassword", id="pbkdf2-workos-form"),
    pytest.param(
        row(f"$pbkdf2-sha256$i=600000${_DOCS_SALT}==${_DOCS_HASH}=", "pbkdf_2"),
        None,
        _DOCS_PBKDF2,
        None,
        id="pbkdf2-phc-digest-in-id",
    ),
    pytest.param(
        row(f"$pbkdf2-sha256$600000${_DOCS_SALT}${_DOCS_HASH}", "pbkdf_2", salt="ignored"),
        None,
        _DOCS_PBKDF2,
        None,
        id="pbkdf2-passlib",
    ),
    pytest.param(
        row("$pbkdf2-sha512$210000$AAECAwQFBgcICQoLDA0ODw$ab.c", "pbkdf_2"),
        None,
        "$pbkdf2$i=210000,d=sha512$AAECAwQFBgcICQoLDA0ODw$ab+c",
        None,
        id="pbkdf2-passlib-dot-alphabet",
    ),
]


@pytest.mark.parametrize(("source", "params", "expected", "password"), CONVERSIONS)
def test_conversions_pass_workos_checks(
    source: ParsedRow, params: ScryptParams | None, expected: str | None, password: str | None
) -> None:
    result = convert(source, params)
    assert isinstance(result, Converted), result
    if expected is not None:
        assert result.password_hash == expected
    assert check_hash(result.password_hash, result.password_hash_type) is None
    if password is not None:
        assert verify_password(password, result.password_hash, result.password_hash_type)
        assert not verify_password(password + "!", result.password_hash, result.password_hash_type)


_H = _SCRYPT_ROW["hash"]
_S = _SCRYPT_ROW["salt"]

REFUSALS = [
    (row("x", "md_5"), SMALL, "unsupported_algorithm"),
    (row("x", "sha_1"), SMALL, "unsupported_algorithm"),
    (row("x", "sha_512"), SMALL, "unsupported_algorithm"),
    (row("$P$Babcdefghijklmnopqrstuvwxyz01234", "phpass"), SMALL, "unsupported_algorithm"),
    (row("x", "rot13"), SMALL, "unsupported_algorithm"),
    (row(_H, "scrypt", _S), None, "missing_params"),
    (row(_H, "scrypt", _S), ScryptParams(1000, 8, 1, 32), "params_out_of_range"),
    (row(_H, "scrypt", _S), ScryptParams(1 << 21, 8, 1, 32), "params_out_of_range"),
    (row(_H, "scrypt", _S), ScryptParams(1 << 20, 16, 1, 32), "params_out_of_range"),
    (row(_H, "scrypt", _S), ScryptParams(16, 0, 1, 32), "params_out_of_range"),
    (row(_H, "scrypt", _S), ScryptParams(16, 8, 17, 32), "params_out_of_range"),
    (row(_H, "scrypt", _S), ScryptParams(16, 8, 1, 0), "params_out_of_range"),
    (row("8dg6AaIWPfcLTQU7lb4H%CI49dHeqaBXfFE1ogb2qRQ=", "scrypt", _S), SMALL, "bad_base64"),
    (row(_H[:-3], "scrypt", _S), SMALL, "bad_base64"),
    (row(_H[:-6] + "=", "scrypt", _S), SMALL, "bad_base64"),
    (row(_H, "scrypt", _S), ScryptParams(16, 8, 1, 64), "length_mismatch"),
    (row(base64.urlsafe_b64encode(bytes(31)).decode(), "scrypt", _S), SMALL, "length_mismatch"),
    (row(_H, "scrypt", ""), SMALL, "malformed_hash"),
    (row(_H, "scrypt", "abc def"), SMALL, "malformed_hash"),
    (row(_H, "scrypt", "sälz"), SMALL, "malformed_hash"),
    (row("$2b$04$short", "bcrypt"), None, "malformed_hash"),
    (row(_BCRYPT.replace("$04$", "$03$"), "bcrypt"), None, "params_out_of_range"),
    (row(_BCRYPT.replace("stuu7", "stuz7"), "bcrypt"), None, "malformed_hash"),
    (row("a3f1" * 8, "argon_2id", salt="c2FsdHNhbHQ="), None, "missing_params"),
    (row(_ARGON2ID, "argon_2i"), None, "malformed_hash"),
    (row(_ARGON2ID.replace("v=19$", ""), "argon_2id"), None, "params_out_of_range"),
    (row(_ARGON2ID.replace("m=4096", "m=2048"), "argon_2id"), None, "params_out_of_range"),
    (row(_ARGON2ID.replace("p=1", "p=9"), "argon_2id"), None, "params_out_of_range"),
    (row(_ARGON2I.replace("t=3", "t=2"), "argon_2i"), None, "params_out_of_range"),
    (row(_ARGON2ID.replace("t=1", "x=1"), "argon_2id"), None, "malformed_hash"),
    (row(_ARGON2ID.replace("p=1", "t=1"), "argon_2id"), None, "malformed_hash"),
    (row(_ARGON2ID.replace(",p=1", ""), "argon_2id"), None, "malformed_hash"),
    (row(_ARGON2ID.replace("$AAECAwQFBgcICQoLDA0ODw$", "$AAECAwQ$"), "argon_2id"), None, "length_mismatch"),
    (row(_ARGON2ID.replace("$AAECAwQFBgcICQoLDA0ODw$", "$AAEC*wQFBgc$"), "argon_2id"), None, "bad_base64"),
    (row("$argon2id$v=19$m=4096,t=1,p=1$AAECAwQFBgcICQoLDA0ODw", "argon_2id"), None, "malformed_hash"),
    (row(_DOCS_HASH, "pbkdf_2", salt=_DOCS_SALT), None, "missing_params"),
    (row(_DOCS_PBKDF2.replace("600000", "260000"), "pbkdf_2"), None, "params_out_of_range"),
    (row(_DOCS_PBKDF2.replace("600000", "1000001"), "pbkdf_2"), None, "params_out_of_range"),
    (row(_DOCS_PBKDF2.replace("sha256", "sha1"), "pbkdf_2"), None, "unsupported_algorithm"),
    (row(_DOCS_PBKDF2.replace("$pbkdf2$", "$pbkdf2-sha256$"), "pbkdf_2"), None, "malformed_hash"),
    (row(_DOCS_PBKDF2.replace(",d=sha256", ""), "pbkdf_2"), None, "malformed_hash"),
    (row("$pbkdf2$i=600000", "pbkdf_2"), None, "malformed_hash"),
    (row(_DOCS_PBKDF2.rsplit("$", 1)[0] + "$", "pbkdf_2"), None, "malformed_hash"),
]


@pytest.mark.parametrize(("source", "params", "code"), REFUSALS)
def test_refusals(source: ParsedRow, params: ScryptParams | None, code: str) -> None:
    result = convert(source, params)
    assert isinstance(result, Refused), result
    assert result.code == code
    assert "password reset" in result.reason


def test_row_repr_hides_secrets() -> None:
    text = repr(SAMPLE) + repr(convert(SAMPLE, STYTCH))
    assert SAMPLE.hash not in text
    assert SAMPLE.salt not in text
    assert "8dg6AaIWPfcLTQU7lb4H" not in text


def test_refusal_reasons_never_echo_hash_material() -> None:
    # A damaged string whose parameter field is really salt: the reason must not repeat it.
    salt_like = "c29tZXNhbHRzb21lc2FsdA"
    damaged = f"$argon2id$v=19${salt_like}$AAECAwQFBgcICQoLDA0ODw$AAECAwQFBgcICQoLDA0ODw"
    result = convert(row(damaged, "argon_2id"), None)
    assert isinstance(result, Refused) and result.code == "malformed_hash"
    assert salt_like not in result.reason


T0 = datetime(2024, 1, 1, tzinfo=UTC)


def cand(
    member: str,
    hash_value: str,
    updated: int | None = None,
    org_created: int | None = None,
    active: bool = True,
) -> HashCandidate:
    return HashCandidate(
        member_id=member,
        organization_id=f"org-{member}",
        hash_value=hash_value,
        updated_at=None if updated is None else T0.replace(day=updated),
        org_created_at=None if org_created is None else T0.replace(month=org_created),
        active=active,
    )


PICKS = [
    ([cand("a", "h1", updated=2), cand("b", "h2", updated=5)], "most_recent", "b", True),
    ([cand("a", "h1", updated=5), cand("b", "h1", updated=2)], "most_recent", "a", False),
    ([cand("a", "h1"), cand("b", "h2", updated=1)], "most_recent", "b", True),
    ([cand("a", "h1", updated=3), cand("b", "h2", updated=3)], "most_recent", "a", True),
    ([cand("a", "h1", org_created=6), cand("b", "h2", org_created=2)], "first_org", "b", True),
    ([cand("a", "h1"), cand("b", "h2", org_created=2)], "first_org", "b", True),
    ([cand("a", "h1"), cand("b", "h2")], "first_org", "a", True),
    (
        [cand("a", "h1", updated=9, active=False), cand("b", "h2", updated=1), cand("c", "h3", updated=4)],
        "active_first",
        "c",
        True,
    ),
    (
        [cand("a", "h1", updated=1, active=False), cand("b", "h2", updated=4, active=False)],
        "active_first",
        "b",
        True,
    ),
    ([cand("only", "h1")], "most_recent", "only", False),
]


@pytest.mark.parametrize(("candidates", "rule", "chosen", "conflict"), PICKS)
def test_pick_hash(candidates: list[HashCandidate], rule: str, chosen: str, conflict: bool) -> None:
    pick = pick_hash(candidates, rule)  # type: ignore[arg-type]
    assert pick.chosen.member_id == chosen
    assert pick.conflict is conflict


def test_pick_hash_treats_naive_datetimes_as_utc() -> None:
    aware = HashCandidate("a", "o1", "h1", updated_at=datetime(2024, 1, 1, 12, tzinfo=UTC))
    naive = HashCandidate("b", "o2", "h2", updated_at=datetime(2024, 1, 1, 13))
    assert pick_hash([aware, naive], "most_recent").chosen.member_id == "b"


def test_pick_hash_rejects_empty_and_unknown_rule() -> None:
    with pytest.raises(ValueError, match="at least one"):
        pick_hash([], "most_recent")
    with pytest.raises(ValueError, match="unknown pick rule"):
        pick_hash([cand("a", "h")], "newest")  # type: ignore[arg-type]

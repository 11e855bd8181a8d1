"""WorkOS password-hash formats in the emulator: known answers and every rejection."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
import pytest
from argon2 import PasswordHasher

from stytch2workos_emulators.workos.hashes import HASH_TYPES, check_hash, verify_password

PASSWORD = "Migrated#Pass1"

# (hash type, hash, password): the fixtures of the WorkOS notes (salt 00..0f, ssha
# salt 01..08), the Firebase scrypt test vector, the WorkOS docs' pbkdf2 example,
# and self-made cheap ones whose construction is given beside them.
KNOWN_ANSWERS = [
    pytest.param(
        "scrypt",
        "$scrypt$v=1$n=16384,r=8,p=1,kl=64$AAECAwQFBgcICQoLDA0ODw$2ld4V/KZO8ha+3c2+W2VDNTfYcZMl7iG2xPRB4"
        "CltqblyeUxbv3vTdc8faAGqptDy3Rtgvygd/70cMqdkaxq8A",
        PASSWORD,
        id="scrypt-fixture",
    ),
    pytest.param(
        "pbkdf2",
        "$pbkdf2$i=210000,d=sha512$AAECAwQFBgcICQoLDA0ODw$xE/yFAzRQAXFm9yln/vFeeBgn/rNQYKkky9/MI1M4PRQ"
        "85rAwA5xgyoloq983SpTCmrFMAs3ybns4bpvoPSgHA",
        PASSWORD,
        id="pbkdf2-sha512-fixture",
    ),
    pytest.param(
        "pbkdf2",
        "$pbkdf2$i=600000,d=sha256$T2ptRFh6MXhDQVh2SWZuUGdpQXBUTg$xXiyTisD7390NijyCv5ICMhFW4eDuMlzypRoLGLyIvA",
        "mypassword",
        id="pbkdf2-docs-example",
    ),
    pytest.param(
        "argon2",
        "$argon2id$v=19$m=65536,t=3,p=4$AAECAwQFBgcICQoLDA0ODw$TvcXaOZNG00gvTK88nbg/vshSna+tAmL3puJ9eFOCcc",
        PASSWORD,
        id="argon2id-fixture",
    ),
    pytest.param("ssha", "{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA==", PASSWORD, id="ssha-fixture"),
    pytest.param(
        "firebase-scrypt",
        "$firebase-scrypt$hash=lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198"
        "JAdRuid5lQ==$salt=42xEC+ixf3L2lw==$sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUE"
        "CKbm0QsEmYUSDzZvpjeJ9WmXA==$ss=Bw==$r=8$m=14",
        "user1password",
        id="firebase-test-vector",
    ),
    # bcrypt.hashpw(PASSWORD, b"$2b$04$abcdefghijklmnopqrstuu")
    pytest.param(
        "bcrypt", "$2b$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", PASSWORD, id="bcrypt-2b"
    ),
    pytest.param(
        "bcrypt", "$2a$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", PASSWORD, id="bcrypt-2a"
    ),
    pytest.param(
        "bcrypt", "$2y$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", PASSWORD, id="bcrypt-2y"
    ),
    # hashlib.scrypt(PASSWORD, salt=00..0f, n=16, r=8, p=1, dklen=32)
    pytest.param(
        "scrypt",
        "$scrypt$v=1$n=16,r=8,p=1,kl=32$AAECAwQFBgcICQoLDA0ODw$pjPD6LupK6Vqbl29LLiDUI0nhWLu4PjBcxnMemnlkrM",
        PASSWORD,
        id="scrypt-small-n",
    ),
    # argon2-cffi hash_secret(PASSWORD, 00..0f, t=3, m=4096, p=1, 32, Type.I)
    pytest.param(
        "argon2",
        "$argon2i$v=19$m=4096,t=3,p=1$AAECAwQFBgcICQoLDA0ODw$OwEK1MgHSzB/KJjnK68vUtq1TiHQm0nCnQzplUGti7U",
        PASSWORD,
        id="argon2i",
    ),
    # argon2-cffi hash_secret(PASSWORD, 00..0f, t=1, m=4096, p=2, 32, Type.D)
    pytest.param(
        "argon2",
        "$argon2d$v=19$m=4096,t=1,p=2$AAECAwQFBgcICQoLDA0ODw$zzPZLP+k2nl5BARpkXV6BeG6i3DlLqQhMV/MzAz6n/8",
        PASSWORD,
        id="argon2d",
    ),
    # base64(sha256(PASSWORD + salt 01..08) + salt)
    pytest.param(
        "ssha256",
        "{SSHA256}qv18DznlKqE9pCev2kIUhrU4daI4PX6FKvvv879XvXgBAgMEBQYHCA==",
        PASSWORD,
        id="ssha256-suffix-default",
    ),
]


@pytest.mark.parametrize(("hash_type", "password_hash", "password"), KNOWN_ANSWERS)
def test_known_answers_are_accepted_and_verify(hash_type: str, password_hash: str, password: str) -> None:
    assert check_hash(password_hash, hash_type) is None
    assert verify_password(password, password_hash, hash_type)
    assert not verify_password(password + "x", password_hash, hash_type)


def test_ssha256_salt_position_selects_the_digest_input() -> None:
    salt = bytes(range(1, 9))
    # base64(sha256(salt + PASSWORD) + salt)
    prefixed = "{SSHA256}aW0DGKuelfDQgl7Pu2nAONkX34aTVgevvWOXZV1U9wIBAgMEBQYHCA=="
    assert base64.b64decode(prefixed[9:])[32:] == salt
    assert verify_password(PASSWORD, prefixed, "ssha256", "prefix")
    assert not verify_password(PASSWORD, prefixed, "ssha256", "suffix")
    assert not verify_password(PASSWORD, prefixed, "ssha256")
    suffixed = "{SSHA256}qv18DznlKqE9pCev2kIUhrU4daI4PX6FKvvv879XvXgBAgMEBQYHCA=="
    assert verify_password(PASSWORD, suffixed, "ssha256", "suffix")
    assert not verify_password(PASSWORD, suffixed, "ssha256", "prefix")


def test_bcrypt_reads_only_the_first_72_bytes() -> None:
    long_password = "a" * 72
    stored = bcrypt.hashpw(long_password.encode(), bcrypt.gensalt(4)).decode()
    assert verify_password(long_password + "ignored", stored, "bcrypt")
    assert not verify_password("a" * 71, stored, "bcrypt")


def test_argon2_cffi_encoded_strings_verify() -> None:
    encoded = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1).hash(PASSWORD)
    assert check_hash(encoded, "argon2") is None
    assert verify_password(PASSWORD, encoded, "argon2")


def test_argon2_docs_example_is_argon2i_output_and_does_not_verify_as_argon2id() -> None:
    # The argon2 reference README's argon2i value ("password", "somesalt", t=2):
    reference = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    assert check_hash(reference, "argon2") == "argon2i t must be between 3 and 5"
    docs = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    assert check_hash(docs, "argon2") is None
    assert not verify_password("password", docs, "argon2")


def test_unicode_passwords_are_utf8() -> None:
    salt = bytes(range(8))
    stored = "{SSHA}" + base64.b64encode(hashlib.sha1("pässwörd".encode() + salt).digest() + salt).decode()
    assert verify_password("pässwörd", stored, "ssha")
    assert not verify_password("passwort", stored, "ssha")


_SCRYPT_OK = (
    "$scrypt$v=1$n=16,r=8,p=1,kl=32$AAECAwQFBgcICQoLDA0ODw$pjPD6LupK6Vqbl29LLiDUI0nhWLu4PjBcxnMemnlkrM"
)
_SALT = "AAECAwQFBgcICQoLDA0ODw"
_H32 = "pjPD6LupK6Vqbl29LLiDUI0nhWLu4PjBcxnMemnlkrM"
_FB = "$firebase-scrypt$hash=aGFzaA==$salt=c2FsdA==$sk=a2V5$ss=c2Vw$r=8$m=14"

REJECTIONS = [
    ("$2b$04$abc", "bcrypt", None, "60-character"),
    ("$2x$04$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", "bcrypt", None, "60-character"),
    ("$2b$03$abcdefghijklmnopqrstuu7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", "bcrypt", None, "cost"),
    ("$2b$04$abcdefghijklmnopqrstuz7ou85ywKVlTI3AoPDP.CUSBIzvCWs/y", "bcrypt", None, "not canonical"),
    (_SCRYPT_OK, "md5", None, "unsupported password_hash_type"),
    (_SCRYPT_OK, "scrypt", "prefix", "only supported with ssha256"),
    ("{SSHA256}qv18DznlKqE9pCev2kIUhrU4daI4PX6FKvvv879XvXgBAgMEBQYHCA==", "ssha256", "middle", "prefix or"),
    (_SCRYPT_OK.replace("$pj", "$é"), "scrypt", None, "non-ASCII"),
    ("scrypt$n=16", "scrypt", None, "PHC string"),
    (f"$scrypt$ln=4,r=8,p=1${_SALT}${_H32}", "scrypt", None, "exactly"),
    (f"$scrypt$n=16,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, None),  # v= may be left out
    (f"$scrypt$v=2$n=16,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "v=1"),
    (f"$scrypt$x=1$n=16,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "version field"),
    (f"$scrypt$v=1$n=15,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "power of two"),
    (f"$scrypt$v=1$n=1,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "power of two"),
    (f"$scrypt$v=1$n=2097152,r=8,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "power of two"),
    (f"$scrypt$v=1$n=1048576,r=16,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "memory"),
    (f"$scrypt$v=1$n=16,r=0,p=1,kl=32${_SALT}${_H32}", "scrypt", None, "r or p"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=64${_SALT}${_H32}", "scrypt", None, "decodes to 32 bytes but kl=64"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32,kl=32${_SALT}${_H32}", "scrypt", None, "malformed parameters"),
    (f"$scrypt$v=1$n=16,r=8,p=+1,kl=32${_SALT}${_H32}", "scrypt", None, "decimal integer"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32${_SALT}==${_H32}", "scrypt", None, "without '=' padding"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32$AAECAwQFBgcICQoLDA0O-w${_H32}", "scrypt", None, "not standard"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32$AAECAwQFBgcICQoLDA0ODx${_H32}", "scrypt", None, "canonical"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32$AAECA${_H32}", "scrypt", None, "not standard"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32$${_H32}", "scrypt", None, "salt is empty"),
    (f"$pbkdf2$i=600000,d=sha256${_SALT}${_H32}", "scrypt", None, "must start with $scrypt$"),
    (f"$bcrypt$i=600000,d=sha256${_SALT}${_H32}", "pbkdf2", None, "unexpected hash identifier"),
    (f"$pbkdf2$i=599999,d=sha256${_SALT}${_H32}", "pbkdf2", None, "600000 and 1000000"),
    (f"$pbkdf2$i=1000001,d=sha256${_SALT}${_H32}", "pbkdf2", None, "600000 and 1000000"),
    (f"$pbkdf2$i=209999,d=sha512${_SALT}${_H32}", "pbkdf2", None, "210000 and 1000000"),
    (f"$pbkdf2$i=600000,d=sha1${_SALT}${_H32}", "pbkdf2", None, "sha256 or sha512"),
    (f"$pbkdf2$v=1$i=600000,d=sha256${_SALT}${_H32}", "pbkdf2", None, "$pbkdf2$i="),
    (f"$argon2id$v=19$m=65536,t=3,p=4${_SALT}${_H32}", "scrypt", None, "must start with $scrypt$"),
    (f"$argon2id$v=16$m=65536,t=3,p=4${_SALT}${_H32}", "argon2", None, "v=19"),
    (f"$argon2id$m=65536,t=3,p=4${_SALT}${_H32}", "argon2", None, "v=19"),
    (f"$argon2id$v=19$m=4095,t=3,p=4${_SALT}${_H32}", "argon2", None, "4096 and 262144"),
    (f"$argon2id$v=19$m=262145,t=3,p=4${_SALT}${_H32}", "argon2", None, "4096 and 262144"),
    (f"$argon2id$v=19$m=65536,t=0,p=4${_SALT}${_H32}", "argon2", None, "t must be between 1 and 5"),
    (f"$argon2id$v=19$m=65536,t=6,p=4${_SALT}${_H32}", "argon2", None, "t must be between 1 and 5"),
    (f"$argon2i$v=19$m=65536,t=2,p=4${_SALT}${_H32}", "argon2", None, "t must be between 3 and 5"),
    (f"$argon2id$v=19$m=65536,t=3,p=9${_SALT}${_H32}", "argon2", None, "p must be between 1 and 8"),
    (f"$argon2id$v=19$m=65536,t=3${_SALT}${_H32}", "argon2", None, "exactly m,t,p"),
    (f"$argon2id$v=19$m=65536,t=3,p=4$AAECAwQFBg${_H32}", "argon2", None, "at least 8 bytes"),
    (f"$scrypt$v=1$n=16,r=8,p=1,kl=32${_SALT}${_H32}", "argon2", None, "$argon2id$"),
    (_FB, "firebase-scrypt", None, None),
    (_FB.replace("$ss=", "$sx="), "firebase-scrypt", None, "ss= missing"),
    (_FB.replace("$r=8$m=14", "$m=14$r=8"), "firebase-scrypt", None, "out of order"),
    (_FB.replace("$m=14", ""), "firebase-scrypt", None, "$firebase-scrypt$hash="),
    (_FB.replace("aGFzaA==", "aGFzaA="), "firebase-scrypt", None, "hash is not standard base64"),
    (_FB.replace("a2V5", "a2V5-"), "firebase-scrypt", None, "sk is not standard base64"),
    (_FB.replace("c2FsdA==", ""), "firebase-scrypt", None, "must not be empty"),
    (_FB.replace("$r=8", "$r=0"), "firebase-scrypt", None, "r out of range"),
    (_FB.replace("$m=14", "$m=15"), "firebase-scrypt", None, "m out of range"),
    (_FB.replace("$r=8", "$r=9"), "firebase-scrypt", None, "r out of range"),
    (_FB.replace("$m=14", "$m=x"), "firebase-scrypt", None, "decimal integer"),
    ("{SHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA==", "ssha", None, "must start with {SSHA}"),
    ("{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4=", "ssha", None, "followed by a salt"),
    ("{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA", "ssha", None, "not standard base64"),
    ("{ssha}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA==", "ssha", None, None),  # scheme is case-free
    ("{SSHA}/M2OD1n5YjFfN1JWybzA+17HO+4BAgMEBQYHCA==", "ssha256", None, "must start with {SSHA256}"),
    ("{SSHA256}qv18DznlKqE9pCev2kIUhrU4daI4PX6FKvvv879XvXg=", "ssha256", None, "32-byte digest"),
]


@pytest.mark.parametrize(("password_hash", "hash_type", "salt_position", "reason"), REJECTIONS)
def test_check_hash_reasons(
    password_hash: str, hash_type: str, salt_position: str | None, reason: str | None
) -> None:
    found = check_hash(password_hash, hash_type, salt_position)
    if reason is None:
        assert found is None
    else:
        assert found is not None
        assert reason in found
        assert not verify_password(PASSWORD, password_hash, hash_type, salt_position)


def test_every_type_is_known() -> None:
    assert set(HASH_TYPES) == {"bcrypt", "scrypt", "pbkdf2", "argon2", "firebase-scrypt", "ssha", "ssha256"}


# WorkOS's documented ranges are inclusive at both ends; the rejections above sit one step outside.
ACCEPTED_AT_THE_LIMITS = [
    f"$pbkdf2$i=600000,d=sha256${_SALT}${_H32}",
    f"$pbkdf2$i=1000000,d=sha256${_SALT}${_H32}",
    f"$pbkdf2$i=210000,d=sha512${_SALT}${_H32}",
    f"$pbkdf2$i=1000000,d=sha512${_SALT}${_H32}",
    f"$argon2id$v=19$m=4096,t=1,p=1${_SALT}${_H32}",
    f"$argon2id$v=19$m=262144,t=5,p=8${_SALT}${_H32}",
    f"$argon2i$v=19$m=4096,t=3,p=1${_SALT}${_H32}",
    f"$argon2d$v=19$m=4096,t=1,p=1${_SALT}${_H32}",
]


@pytest.mark.parametrize("password_hash", ACCEPTED_AT_THE_LIMITS)
def test_documented_limits_are_inclusive(password_hash: str) -> None:
    hash_type = "pbkdf2" if password_hash.startswith("$pbkdf2$") else "argon2"
    assert check_hash(password_hash, hash_type) is None

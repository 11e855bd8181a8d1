"""Password-hash strings as the WorkOS emulator accepts and verifies them.

``check_hash`` decides whether WorkOS would take a ``password_hash`` of a given
``password_hash_type`` (None, or a short reason that the emulator turns into a
400 ``invalid_password_hash``); ``verify_password`` checks a plaintext against a
stored hash, as ``authenticate_with_password`` does.

Formats (WorkOS docs; "B64" is the standard alphabet with ``=`` stripped, as PHC
strings use it, and PHC salts are the *decoded* bytes):

* ``bcrypt``: ``$2a$``/``$2b$``/``$2y$`` modular-crypt strings, 60 characters.
* ``scrypt``: ``$scrypt$v=1$n=<N>,r=<r>,p=<p>,kl=<key length>$<B64 salt>$<B64 hash>``.
* ``pbkdf2``: ``$pbkdf2$i=<iterations>,d=sha256|sha512$<B64 salt>$<B64 hash>``.
* ``argon2``: ``$argon2id|argon2i|argon2d$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>``.
* ``firebase-scrypt``: ``$firebase-scrypt$hash=…$salt=…$sk=…$ss=…$r=…$m=…`` with
  standard base64 values, padding kept (Firebase's own export encoding).
* ``ssha`` / ``ssha256``: ``{SSHA}``/``{SSHA256}`` + base64(digest + salt).

WorkOS's documented parameter limits, and the emulator's own caps where WorkOS
documents none, are stated in ``hash_rules``. They are not shared with the
converter: an oracle that took its limits from the code under test could not
catch a wrong one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import bcrypt
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from stytch2workos_emulators.workos.hash_rules import (
    ARGON2_VERSION,
    DERIVED_KEY_MAX,
    PBKDF2_DIGESTS,
    SCRYPT_VERSION,
    argon2_problem,
    pbkdf2_problem,
    phc_b64,
    scrypt_problem,
)

HASH_TYPES = ("bcrypt", "scrypt", "pbkdf2", "argon2", "firebase-scrypt", "ssha", "ssha256")
SALT_POSITIONS = ("prefix", "suffix")

# Firebase's own bounds for its scrypt variant (as its CLI's auth:import enforces).
FIREBASE_ROUNDS = (1, 8)
FIREBASE_MEM_COST = (1, 14)

_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_B64_NOPAD = re.compile(r"[A-Za-z0-9+/]*")
_INT = re.compile(r"0|[1-9][0-9]{0,9}")
_ARGON2_TYPES = {"argon2id": Type.ID, "argon2i": Type.I, "argon2d": Type.D}
_FIREBASE_FIELDS = ("hash", "salt", "sk", "ss", "r", "m")

_Verifier = Callable[[bytes], bool]


class _Invalid(Exception):
    """A reason the hash string is not acceptable; never escapes this module."""


@dataclass(frozen=True)
class _Firebase:
    hash: bytes
    salt: bytes
    signer_key: bytes
    separator: bytes
    rounds: int
    mem_cost: int


@dataclass(frozen=True)
class _Ssha:
    algorithm: str
    digest: bytes
    salt: bytes
    salt_first: bool


@dataclass(frozen=True)
class _Phc:
    ident: str
    version: int | None
    params: dict[str, int]
    salt: bytes
    digest: bytes


def check_hash(password_hash: str, hash_type: str, salt_position: str | None = None) -> str | None:
    """Return None if WorkOS would accept ``password_hash`` as ``hash_type``, else a reason."""
    try:
        _parse(password_hash, hash_type, salt_position)
    except _Invalid as exc:
        return str(exc)
    return None


def verify_password(
    password: str, password_hash: str, hash_type: str, salt_position: str | None = None
) -> bool:
    """True if ``password`` matches the hash; False also for a hash ``check_hash`` rejects."""
    try:
        verifier = _parse(password_hash, hash_type, salt_position)
    except _Invalid:
        return False
    return verifier(password.encode("utf-8"))


def _parse(password_hash: str, hash_type: str, salt_position: str | None) -> _Verifier:
    """Validate the hash string and return a function that checks a password against it."""
    if hash_type not in HASH_TYPES:
        raise _Invalid(f"unsupported password_hash_type {hash_type!r}")
    if salt_position is not None:
        if hash_type != "ssha256":
            raise _Invalid("password_salt_position is only supported with ssha256")
        if salt_position not in SALT_POSITIONS:
            raise _Invalid("password_salt_position must be prefix or suffix")
    if not password_hash.isascii():
        raise _Invalid("hash contains non-ASCII characters")
    if hash_type == "bcrypt":
        _check_bcrypt(password_hash)
        return partial(_verify_bcrypt, password_hash.encode("ascii"))
    if hash_type == "firebase-scrypt":
        return partial(_verify_firebase, _parse_firebase(password_hash))
    if hash_type in ("ssha", "ssha256"):
        return partial(_verify_ssha, _parse_ssha(password_hash, hash_type, salt_position))
    phc = _parse_phc(password_hash)
    if hash_type == "scrypt":
        _check_scrypt(phc)
    elif hash_type == "pbkdf2":
        _check_pbkdf2(phc)
    else:
        _check_argon2(phc)
    return partial(_verify_phc, phc)


def _verify_bcrypt(stored: bytes, secret: bytes) -> bool:
    # Classic bcrypt only ever reads the first 72 bytes; the bcrypt package
    # refuses longer input instead of truncating, so truncate as the hasher did.
    return bcrypt.checkpw(secret[:72], stored)


def _verify_ssha(ssha: _Ssha, secret: bytes) -> bool:
    data = ssha.salt + secret if ssha.salt_first else secret + ssha.salt
    return hmac.compare_digest(hashlib.new(ssha.algorithm, data).digest(), ssha.digest)


def _verify_phc(phc: _Phc, secret: bytes) -> bool:
    p = phc.params
    if phc.ident == "scrypt":
        derived = hashlib.scrypt(
            secret,
            salt=phc.salt,
            n=p["n"],
            r=p["r"],
            p=p["p"],
            dklen=p["kl"],
            maxmem=256 * p["n"] * p["r"] + (1 << 20),
        )
    elif phc.ident == "pbkdf2":
        digest = "sha256" if p["d"] == 256 else "sha512"
        derived = hashlib.pbkdf2_hmac(digest, secret, phc.salt, p["i"], len(phc.digest))
    else:
        derived = hash_secret_raw(
            secret,
            phc.salt,
            time_cost=p["t"],
            memory_cost=p["m"],
            parallelism=p["p"],
            hash_len=len(phc.digest),
            type=_ARGON2_TYPES[phc.ident],
            version=ARGON2_VERSION,
        )
    return hmac.compare_digest(derived, phc.digest)


def _verify_firebase(fb: _Firebase, secret: bytes) -> bool:
    n = 1 << fb.mem_cost
    key = hashlib.scrypt(
        secret,
        salt=fb.salt + fb.separator,
        n=n,
        r=fb.rounds,
        p=1,
        dklen=32,
        maxmem=256 * n * fb.rounds + (1 << 20),
    )
    encryptor = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
    expected = encryptor.update(fb.signer_key) + encryptor.finalize()
    return hmac.compare_digest(expected, fb.hash)


def _check_bcrypt(value: str) -> None:
    match = _BCRYPT.fullmatch(value)
    if match is None:
        raise _Invalid("bcrypt hash must be a 60-character $2a$/$2b$/$2y$ string")
    if not 4 <= int(match.group(1)) <= 31:
        raise _Invalid("bcrypt cost must be between 04 and 31")
    # The 22nd salt character carries 2 bits of padding; bcrypt rejects it unless zero.
    if value[28] not in ".Oeu":
        raise _Invalid("bcrypt salt is not canonical")


def _b64_nopad(value: str, what: str) -> bytes:
    """Decode B64 strictly: standard alphabet, no padding, canonical trailing bits."""
    if "=" in value:
        raise _Invalid(f"{what} must be base64 without '=' padding")
    if not _B64_NOPAD.fullmatch(value) or len(value) % 4 == 1:
        raise _Invalid(f"{what} is not standard base64")
    raw = base64.b64decode(value + "=" * (-len(value) % 4))
    if phc_b64(raw) != value:
        raise _Invalid(f"{what} is not canonical base64")
    if not raw:
        raise _Invalid(f"{what} is empty")
    return raw


def _b64_padded(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{what} is not standard base64") from None


def _parse_params(text: str, expected: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or key in params:
            raise _Invalid("malformed parameters")
        params[key] = value
    if set(params) != set(expected):
        raise _Invalid(f"parameters must be exactly {','.join(expected)}")
    return params


def _int(value: str, what: str) -> int:
    if not _INT.fullmatch(value):
        raise _Invalid(f"{what} must be a decimal integer")
    return int(value)


def _parse_phc(value: str) -> _Phc:
    parts = value.split("$")
    if len(parts) not in (5, 6) or parts[0] != "":
        raise _Invalid("hash must be a PHC string $id[$v=…]$params$salt$hash")
    ident = parts[1]
    version = None
    if len(parts) == 6:
        key, _, number = parts[2].partition("=")
        if key != "v":
            raise _Invalid("malformed version field")
        version = _int(number, "version")
    if ident == "scrypt":
        names: tuple[str, ...] = ("n", "r", "p", "kl")
    elif ident == "pbkdf2":
        names = ("i", "d")
    elif ident in _ARGON2_TYPES:
        names = ("m", "t", "p")
    else:
        raise _Invalid(f"unexpected hash identifier ${ident}$")
    raw = _parse_params(parts[-3], names)
    params: dict[str, int] = {}
    for key, text in raw.items():
        if key == "d":
            if text not in PBKDF2_DIGESTS:
                raise _Invalid("pbkdf2 digest d must be sha256 or sha512")
            params[key] = int(text[3:])
        else:
            params[key] = _int(text, key)
    salt = _b64_nopad(parts[-2], "salt")
    digest = _b64_nopad(parts[-1], "hash")
    if len(digest) > DERIVED_KEY_MAX:
        raise _Invalid("hash is too long")
    return _Phc(ident, version, params, salt, digest)


def _check_scrypt(phc: _Phc) -> None:
    if phc.ident != "scrypt":
        raise _Invalid("scrypt hash must start with $scrypt$")
    # The docs' example carries v=1; a string without the field is read as version 1.
    if phc.version not in (None, SCRYPT_VERSION):
        raise _Invalid("scrypt version must be v=1")
    n, r, p, kl = (phc.params[k] for k in ("n", "r", "p", "kl"))
    _refuse(scrypt_problem(n, r, p, kl))
    if len(phc.digest) != kl:
        raise _Invalid(f"scrypt hash decodes to {len(phc.digest)} bytes but kl={kl}")


def _check_pbkdf2(phc: _Phc) -> None:
    if phc.ident != "pbkdf2" or phc.version is not None:
        raise _Invalid("pbkdf2 hash must be $pbkdf2$i=…,d=…$salt$hash")
    _refuse(pbkdf2_problem(f"sha{phc.params['d']}", phc.params["i"]))


def _check_argon2(phc: _Phc) -> None:
    if phc.ident not in _ARGON2_TYPES:
        raise _Invalid("argon2 hash must start with $argon2id$, $argon2i$ or $argon2d$")
    if phc.version != ARGON2_VERSION:
        raise _Invalid("argon2 version must be v=19")
    _refuse(argon2_problem(phc.ident, *(phc.params[k] for k in ("m", "t", "p"))))
    # Argon2 itself requires a salt of at least 8 bytes and a tag of at least 4.
    if len(phc.salt) < 8 or len(phc.digest) < 4:
        raise _Invalid("argon2 salt must be at least 8 bytes and hash at least 4")


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise _Invalid(problem)


def _parse_firebase(value: str) -> _Firebase:
    parts = value.split("$")
    if len(parts) != 8 or parts[:2] != ["", "firebase-scrypt"]:
        raise _Invalid("firebase-scrypt hash must be $firebase-scrypt$hash=…$salt=…$sk=…$ss=…$r=…$m=…")
    values: list[str] = []
    for name, part in zip(_FIREBASE_FIELDS, parts[2:], strict=True):
        key, sep, text = part.partition("=")
        if key != name or not sep:
            raise _Invalid(f"firebase-scrypt field {name}= missing or out of order")
        values.append(text)
    digest, salt, signer_key, separator = (
        _b64_padded(text, name) for text, name in zip(values, _FIREBASE_FIELDS[:4], strict=False)
    )
    rounds, mem_cost = _int(values[4], "r"), _int(values[5], "m")
    if not digest or not salt or not signer_key:
        raise _Invalid("firebase-scrypt hash, salt and sk must not be empty")
    if not FIREBASE_ROUNDS[0] <= rounds <= FIREBASE_ROUNDS[1]:
        raise _Invalid("firebase-scrypt r out of range")
    if not FIREBASE_MEM_COST[0] <= mem_cost <= FIREBASE_MEM_COST[1]:
        raise _Invalid("firebase-scrypt m out of range")
    return _Firebase(digest, salt, signer_key, separator, rounds, mem_cost)


def _parse_ssha(value: str, hash_type: str, salt_position: str | None) -> _Ssha:
    prefix, name, size = ("{SSHA}", "sha1", 20) if hash_type == "ssha" else ("{SSHA256}", "sha256", 32)
    # LDAP scheme names are case-insensitive.
    if value[: len(prefix)].upper() != prefix:
        raise _Invalid(f"{hash_type} hash must start with {prefix}")
    raw = _b64_padded(value[len(prefix) :], hash_type)
    if len(raw) <= size:
        raise _Invalid(f"{hash_type} hash must hold a {size}-byte digest followed by a salt")
    return _Ssha(name, raw[:size], raw[size:], salt_first=salt_position == "prefix")

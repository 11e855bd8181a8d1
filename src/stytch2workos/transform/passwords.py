"""Stytch password-export rows → WorkOS ``(password_hash, password_hash_type)``.

Pure: a parsed row (and the export's scrypt parameters) in, a ``Converted`` or a
``Refused`` out. A refusal is data, not an exception: the member is migrated
without a password and must reset it (or sign in another way).

What each Stytch ``hash_method`` becomes:

* ``scrypt`` → WorkOS ``scrypt`` PHC string. Stytch's ``hash`` column is URL-safe
  base64 (padded) of the derived key, and the ``salt`` column is used by Stytch
  as its literal ASCII bytes, not decoded. So the PHC salt is B64 of those ASCII
  bytes and the PHC hash is B64 of the raw key (B64 = standard alphabet, no ``=``).
  N, r, p and the key length come from the export's parameter block; an export
  without one refuses every scrypt row (``missing_params``) rather than guessing,
  because a wrong guess imports hashes that can never verify.
* ``bcrypt`` → the ``$2a$``/``$2b$``/``$2y$`` string, unchanged.
* ``argon_2i`` / ``argon_2id`` → WorkOS ``argon2`` when the ``hash`` column holds
  an encoded (PHC) string within WorkOS's ranges (v=19, m 4096–262144 KiB, t 1–5
  with argon2i at least 3, p 1–8). The bare hex form needs parameters the export
  does not carry, so it is refused.
* ``pbkdf_2`` → WorkOS ``pbkdf2``. Accepted layout: a PHC-style string in the
  ``hash`` column carrying the iteration count and digest, any of
  ``$pbkdf2$i=N,d=sha256$salt$hash``, ``$pbkdf2-sha256$i=N$salt$hash`` or passlib's
  ``$pbkdf2-sha256$N$salt$hash`` (sha512 likewise); salt and hash in standard,
  URL-safe or passlib base64, the salt being the decoded bytes. The ``salt``
  column is ignored for these rows. Iterations must be within WorkOS's limits
  (sha256 600,000–1,000,000; sha512 210,000–1,000,000).
* ``md_5``, ``sha_1``, ``sha_512``, ``phpass`` and anything else: refused as
  ``unsupported_algorithm`` (WorkOS has no equivalent).

``pick_hash`` chooses one hash when one person (one email) has several Stytch
members, each with its own password.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from stytch2workos.transform.phc import (
    MAX_KEY_BYTES,
    PBKDF2_ITERATIONS,
    argon2_problem,
    b64,
    pbkdf2_problem,
    scrypt_problem,
)

RefusalCode = Literal[
    "unsupported_algorithm",
    "missing_params",
    "malformed_hash",
    "bad_base64",
    "length_mismatch",
    "params_out_of_range",
]
WorkosHashType = Literal["scrypt", "bcrypt", "argon2", "pbkdf2"]
PickRule = Literal["most_recent", "first_org", "active_first"]
PICK_RULES: tuple[PickRule, ...] = ("most_recent", "first_org", "active_first")

_RESET = "the member will need a password reset"
_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_ARGON2 = re.compile(r"\$(argon2id|argon2i|argon2d)\$(?:v=(\d+)\$)?([^$]*)\$([^$]*)\$([^$]*)")
_ARGON2_PARAM = re.compile(r"(m|t|p)=(0|[1-9]\d{0,9})")
_PBKDF2 = re.compile(r"\$pbkdf2(?:-(sha\d+))?\$(?:i=)?(0|[1-9]\d{0,9})(?:,d=(sha\d+))?\$([^$]*)\$([^$]*)")
_B64_ANY = re.compile(r"[A-Za-z0-9+/_.-]*={0,2}")


@dataclass(frozen=True)
class ScryptParams:
    """The scrypt parameters from the export's header block (Stytch: 2^15, 8, 1, 32)."""

    n: int
    r: int
    p: int
    key_length: int


@dataclass(frozen=True)
class ParsedRow:
    """One credential row of Stytch's hash export (``id`` is the member id)."""

    member_id: str
    hash: str = field(repr=False)
    salt: str = field(repr=False)
    hash_method: str
    project_id: str
    line_no: int = 0


@dataclass(frozen=True)
class Converted:
    """What to send to WorkOS as ``password_hash`` and ``password_hash_type``."""

    password_hash: str = field(repr=False)
    password_hash_type: WorkosHashType


@dataclass(frozen=True)
class Refused:
    """Why a row cannot be imported; ``code`` is stable, ``reason`` is for people."""

    code: RefusalCode
    reason: str


class _Refusal(Exception):
    def __init__(self, code: RefusalCode, reason: str) -> None:
        super().__init__(reason)
        self.refused = Refused(code, reason)


def convert(row: ParsedRow, params: ScryptParams | None) -> Converted | Refused:
    """Convert one export row to WorkOS's hash format, or say why it cannot be."""
    method = row.hash_method.strip().lower().replace("_", "").replace("-", "")
    value = row.hash.strip()
    try:
        if method == "scrypt":
            return _scrypt(value, row.salt.strip(), params)
        if method == "bcrypt":
            return _bcrypt(value)
        if method in ("argon2", "argon2i", "argon2id"):
            return _argon2(value, method)
        if method == "pbkdf2":
            return _pbkdf2(value)
    except _Refusal as refusal:
        return refusal.refused
    return Refused(
        "unsupported_algorithm",
        f"hash method {row.hash_method!r} has no WorkOS equivalent; {_RESET}",
    )


def _decode(value: str, what: str) -> bytes:
    """Decode base64 in any common dialect: standard, URL-safe or passlib; padding optional."""
    if not _B64_ANY.fullmatch(value):
        raise _Refusal("bad_base64", f"{what} is not base64; {_RESET}")
    body = value.rstrip("=")
    if len(body) % 4 == 1 or (len(body) != len(value) and len(value) % 4):
        raise _Refusal("bad_base64", f"{what} has a malformed base64 length; {_RESET}")
    body = body.translate(str.maketrans("-_.", "+/+"))
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        raise _Refusal("bad_base64", f"{what} is not base64; {_RESET}") from None
    if not raw:
        raise _Refusal("malformed_hash", f"{what} is empty; {_RESET}")
    return raw


def scrypt_params_problem(params: ScryptParams) -> str | None:
    """Why these scrypt parameters cannot be imported, or None if they can."""
    return scrypt_problem(params.n, params.r, params.p, params.key_length)


def _scrypt(value: str, salt: str, params: ScryptParams | None) -> Converted:
    if params is None:
        raise _Refusal(
            "missing_params",
            f"the export has no scrypt parameter block, so N, r, p are unknown; {_RESET}",
        )
    problem = scrypt_params_problem(params)
    if problem is not None:
        raise _Refusal("params_out_of_range", f"{problem}; {_RESET}")
    # Stytch's salts are base64-looking ASCII; anything else means a damaged row.
    if not salt or not salt.isascii() or not salt.isprintable() or " " in salt:
        raise _Refusal("malformed_hash", f"scrypt salt is empty or not printable ASCII; {_RESET}")
    key = _decode(value, "scrypt hash")
    if len(key) != params.key_length:
        raise _Refusal(
            "length_mismatch",
            f"scrypt hash decodes to {len(key)} bytes, expected {params.key_length}; {_RESET}",
        )
    phc = (
        f"$scrypt$v=1$n={params.n},r={params.r},p={params.p},kl={params.key_length}"
        f"${b64(salt.encode('ascii'))}${b64(key)}"
    )
    return Converted(phc, "scrypt")


def _bcrypt(value: str) -> Converted:
    match = _BCRYPT.fullmatch(value)
    if match is None:
        raise _Refusal("malformed_hash", f"bcrypt hash is not a 60-character $2a$/$2b$/$2y$ string; {_RESET}")
    if not 4 <= int(match.group(1)) <= 31:
        raise _Refusal("params_out_of_range", f"bcrypt cost must be 04–31; {_RESET}")
    # The salt's last character holds 2 padding bits that bcrypt requires to be zero.
    if value[28] not in ".Oeu":
        raise _Refusal("malformed_hash", f"bcrypt salt is not canonical; {_RESET}")
    return Converted(value, "bcrypt")


def _encoded(value: str, prefix: str, pattern: re.Pattern[str], what: str, unknown: str) -> re.Match[str]:
    """Match an encoded ``$…$`` hash string; a bare hash means its parameters are unknown."""
    if not value.startswith(prefix):
        raise _Refusal(
            "missing_params", f"{what} hash is not an encoded {prefix}…$ string, so {unknown}; {_RESET}"
        )
    match = pattern.fullmatch(value)
    if match is None:
        raise _Refusal("malformed_hash", f"{what} hash is not a valid encoded string; {_RESET}")
    return match


def _argon2(value: str, method: str) -> Converted:
    match = _encoded(value, "$", _ARGON2, "argon2", "its parameters are unknown")
    variant, version, param_text, salt_text, hash_text = match.groups()
    if method != "argon2" and method != variant:
        raise _Refusal("malformed_hash", f"hash method {method} but the hash is ${variant}$; {_RESET}")
    params: dict[str, int] = {}
    for item in param_text.split(","):
        param = _ARGON2_PARAM.fullmatch(item)
        if param is None or param.group(1) in params:
            # Not echoed: in a damaged string this field may be salt or hash material.
            raise _Refusal("malformed_hash", f"argon2 parameters are not m=…,t=…,p=…; {_RESET}")
        params[param.group(1)] = int(param.group(2))
    if len(params) != 3:
        raise _Refusal("malformed_hash", f"argon2 parameters must be m, t and p; {_RESET}")
    m, t, p = params["m"], params["t"], params["p"]
    # An encoded string without v= is Argon2 version 1.0 (0x10); WorkOS takes only 19.
    problem = (
        f"argon2 version {version or 16}; WorkOS accepts only v=19"
        if version != "19"
        else argon2_problem(variant, m, t, p)
    )
    if problem is not None:
        raise _Refusal("params_out_of_range", f"{problem}; {_RESET}")
    salt = _decode(salt_text, "argon2 salt")
    digest = _decode(hash_text, "argon2 hash")
    if len(salt) < 8 or not 4 <= len(digest) <= MAX_KEY_BYTES:
        raise _Refusal("length_mismatch", f"argon2 salt or hash has an invalid length; {_RESET}")
    return Converted(f"${variant}$v=19$m={m},t={t},p={p}${b64(salt)}${b64(digest)}", "argon2")


def _pbkdf2(value: str) -> Converted:
    match = _encoded(value, "$pbkdf2", _PBKDF2, "pbkdf2", "its iterations and digest are unknown")
    id_digest, iterations_text, d_digest, salt_text, hash_text = match.groups()
    if (id_digest is None) == (d_digest is None):
        raise _Refusal("malformed_hash", f"pbkdf2 digest must be given exactly once; {_RESET}")
    digest = id_digest or d_digest
    if digest not in PBKDF2_ITERATIONS:
        raise _Refusal("unsupported_algorithm", f"WorkOS accepts pbkdf2 only with sha256 or sha512; {_RESET}")
    iterations = int(iterations_text)
    problem = pbkdf2_problem(digest, iterations)
    if problem is not None:
        raise _Refusal("params_out_of_range", f"{problem}; {_RESET}")
    salt = _decode(salt_text, "pbkdf2 salt")
    key = _decode(hash_text, "pbkdf2 hash")
    if len(key) > MAX_KEY_BYTES:
        raise _Refusal("length_mismatch", f"pbkdf2 hash is too long; {_RESET}")
    return Converted(f"$pbkdf2$i={iterations},d={digest}${b64(salt)}${b64(key)}", "pbkdf2")


@dataclass(frozen=True)
class HashCandidate:
    """One member's hash for a person who has several Stytch members.

    ``hash_value`` is only compared for equality (to report a conflict), so the raw
    Stytch hash and the converted one both work. Naive datetimes are read as UTC.
    """

    member_id: str
    organization_id: str
    hash_value: str = field(repr=False)
    updated_at: datetime | None = None
    org_created_at: datetime | None = None
    active: bool = True


@dataclass(frozen=True)
class Pick:
    """The chosen candidate, and whether the candidates' hashes differed."""

    chosen: HashCandidate
    conflict: bool


_OLDEST = float("-inf")
_NEWEST = float("inf")


def _ts(moment: datetime | None, missing: float) -> float:
    if moment is None:
        return missing
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def pick_hash(candidates: Sequence[HashCandidate], rule: PickRule) -> Pick:
    """Choose the one hash to import for a person with several member hashes.

    Rules, all stable (ties go to the earliest candidate in the given order):

    * ``most_recent``: the member updated last (``updated_at``; unknown is oldest).
    * ``first_org``: the member of the organization created first
      (``org_created_at``; unknown is newest), so the caller's order decides
      when no dates are known.
    * ``active_first``: among active members, the most recent; if none is
      active, the most recent of all.

    ``conflict`` is True when the hashes differ. Salts differ per member, so this
    does not prove the passwords differ, only that just one of them will keep
    working after the import.
    """
    if not candidates:
        raise ValueError("pick_hash needs at least one candidate")
    indexed = list(enumerate(candidates))
    if rule == "most_recent":
        _, chosen = min(indexed, key=lambda ic: (-_ts(ic[1].updated_at, _OLDEST), ic[0]))
    elif rule == "first_org":
        _, chosen = min(indexed, key=lambda ic: (_ts(ic[1].org_created_at, _NEWEST), ic[0]))
    elif rule == "active_first":
        _, chosen = min(indexed, key=lambda ic: (not ic[1].active, -_ts(ic[1].updated_at, _OLDEST), ic[0]))
    else:
        raise ValueError(f"unknown pick rule {rule!r}; expected one of {', '.join(PICK_RULES)}")
    conflict = len({c.hash_value for c in candidates}) > 1
    return Pick(chosen, conflict)

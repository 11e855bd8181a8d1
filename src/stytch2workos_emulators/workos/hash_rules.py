"""The parameter rules the WorkOS emulator applies to imported password hashes.

Two kinds of number live here, and they are kept apart on purpose:

* WorkOS's documented limits ("Migrate from other services"; see
  ``reference/workos-api.md`` §4.6): PBKDF2 iterations per digest, and Argon2's
  memory, passes and lanes. These are what the emulator is an oracle for, so they
  are written out here from the documentation and never taken from the converter;
  a converter that got one wrong must fail against the emulator.
* Bounds WorkOS does not document (scrypt's N, r, p and key length; the length of
  any derived key). Real WorkOS may accept more. The emulator only caps them so a
  hostile or mistaken request cannot make it allocate gigabytes or spin for
  minutes while verifying a sign-in; every Stytch export (N = 2^15, r = 8, p = 1,
  32-byte keys) sits far inside them.

Each ``*_problem`` function returns None for acceptable parameters, else a short
reason that names the parameter and its range but never echoes hash material.
"""

from __future__ import annotations

import base64

# --- documented by WorkOS -------------------------------------------------------------
# PBKDF2: "d" is the HMAC digest; the iteration count must lie in the range for it.
PBKDF2_DIGESTS = {"sha256": (600_000, 1_000_000), "sha512": (210_000, 1_000_000)}
# Argon2 (version 19 only): memory in KiB, passes (argon2i needs at least 3), lanes.
ARGON2_VERSION = 19
ARGON2_MEMORY_KIB = (4_096, 262_144)
ARGON2_TIME = (1, 5)
ARGON2I_MIN_TIME = 3
ARGON2_PARALLELISM = (1, 8)
SCRYPT_VERSION = 1

# --- not documented: the emulator's own resource guards ----------------------------------
SCRYPT_N_MAX = 1 << 20
SCRYPT_R_MAX = 32
SCRYPT_P_MAX = 16
# scrypt's working memory is 128 * N * r bytes; one verification may use up to 1 GiB.
SCRYPT_MEMORY_MAX = 1 << 30
# The longest derived key (scrypt kl, or a PBKDF2/Argon2 tag) worth computing to compare.
DERIVED_KEY_MAX = 128


def phc_b64(raw: bytes) -> str:
    """Bytes as PHC strings write them ("B64"): standard alphabet, ``=`` padding dropped."""
    return base64.b64encode(raw).rstrip(b"=").decode("ascii")


def scrypt_problem(n: int, r: int, p: int, key_length: int) -> str | None:
    """Why the emulator refuses these scrypt parameters, or None."""
    # scrypt itself needs N to be a power of two greater than 1.
    if n < 2 or n > SCRYPT_N_MAX or n & (n - 1):
        return f"scrypt n={n} must be a power of two between 2 and {SCRYPT_N_MAX}"
    if not (1 <= r <= SCRYPT_R_MAX and 1 <= p <= SCRYPT_P_MAX):
        return f"scrypt r or p out of range (r={r}, p={p}; r 1–{SCRYPT_R_MAX}, p 1–{SCRYPT_P_MAX})"
    if 128 * n * r > SCRYPT_MEMORY_MAX:
        return f"scrypt memory (128·n·r) too large: n={n}, r={r} need over {SCRYPT_MEMORY_MAX >> 20} MiB"
    if not 1 <= key_length <= DERIVED_KEY_MAX:
        return f"scrypt key length {key_length} out of range (1–{DERIVED_KEY_MAX})"
    return None


def pbkdf2_problem(digest: str, iterations: int) -> str | None:
    """Why WorkOS refuses PBKDF2 with this digest name and iteration count, or None."""
    bounds = PBKDF2_DIGESTS.get(digest)
    if bounds is None:
        return "pbkdf2 digest must be sha256 or sha512"
    if not bounds[0] <= iterations <= bounds[1]:
        return f"pbkdf2 {digest} iterations must be between {bounds[0]} and {bounds[1]}"
    return None


def argon2_problem(variant: str, memory_kib: int, time_cost: int, parallelism: int) -> str | None:
    """Why WorkOS refuses Argon2 ``variant`` (``argon2id``/``argon2i``/``argon2d``) so configured, or None."""
    low, high = ARGON2_MEMORY_KIB
    if not low <= memory_kib <= high:
        return f"argon2 m must be between {low} and {high} KiB"
    low, high = ARGON2_TIME
    if variant == "argon2i":
        low = ARGON2I_MIN_TIME
    if not low <= time_cost <= high:
        return f"{variant} t must be between {low} and {high}"
    low, high = ARGON2_PARALLELISM
    if not low <= parallelism <= high:
        return f"argon2 p must be between {low} and {high}"
    return None

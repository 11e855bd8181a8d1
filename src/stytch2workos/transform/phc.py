"""Password-hash strings as WorkOS reads them: PHC base64 and WorkOS's parameter limits.

The converter (``transform.passwords``) must only produce hashes WorkOS
accepts. The WorkOS emulator states the same documented limits on its own, so a
wrong number here is caught rather than mirrored. Pure; the ``*_problem``
functions return None for acceptable parameters, else a short reason free of
hash material.
"""

from __future__ import annotations

import base64

# Documented by WorkOS.
PBKDF2_ITERATIONS = {"sha256": (600_000, 1_000_000), "sha512": (210_000, 1_000_000)}
ARGON2_MEMORY_KIB = (4_096, 262_144)
ARGON2_PASSES = (1, 5)
ARGON2I_MIN_PASSES = 3
ARGON2_LANES = (1, 8)
# WorkOS documents no scrypt bounds; these are deliberately generous upper limits
# (Stytch's own N limit is below 2^18) that keep verification affordable.
SCRYPT_MAX_N = 1 << 20
SCRYPT_MAX_R = 32
SCRYPT_MAX_P = 16
SCRYPT_MAX_MEMORY = 1 << 30  # bytes, 128 * N * r
MAX_KEY_BYTES = 128  # bytes of derived key; keeps verification cost bounded


def b64(raw: bytes) -> str:
    """PHC's "B64": standard base64 alphabet with the ``=`` padding stripped."""
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def scrypt_problem(n: int, r: int, p: int, key_length: int) -> str | None:
    """Why WorkOS would refuse these scrypt parameters, or None."""
    if n < 2 or n & (n - 1) or n > SCRYPT_MAX_N:
        return f"scrypt n={n} must be a power of two between 2 and {SCRYPT_MAX_N}"
    if not 1 <= r <= SCRYPT_MAX_R or not 1 <= p <= SCRYPT_MAX_P:
        return f"scrypt r or p out of range (r={r}, p={p}; r 1–{SCRYPT_MAX_R}, p 1–{SCRYPT_MAX_P})"
    if 128 * n * r > SCRYPT_MAX_MEMORY:
        return f"scrypt memory (128·n·r) too large: n={n}, r={r} need over {SCRYPT_MAX_MEMORY >> 20} MiB"
    if not 1 <= key_length <= MAX_KEY_BYTES:
        return f"scrypt key length {key_length} out of range (1–{MAX_KEY_BYTES})"
    return None


def pbkdf2_problem(digest: str, iterations: int) -> str | None:
    """Why WorkOS would refuse PBKDF2 with this digest and iteration count, or None."""
    if digest not in PBKDF2_ITERATIONS:
        return "pbkdf2 digest must be sha256 or sha512"
    low, high = PBKDF2_ITERATIONS[digest]
    if not low <= iterations <= high:
        return f"pbkdf2 {digest} iterations must be between {low} and {high}"
    return None


def argon2_problem(variant: str, m: int, t: int, p: int) -> str | None:
    """Why WorkOS would refuse Argon2 (version 19) with these parameters, or None."""
    if not ARGON2_MEMORY_KIB[0] <= m <= ARGON2_MEMORY_KIB[1]:
        return f"argon2 m must be between {ARGON2_MEMORY_KIB[0]} and {ARGON2_MEMORY_KIB[1]} KiB"
    min_t = ARGON2I_MIN_PASSES if variant == "argon2i" else ARGON2_PASSES[0]
    if not min_t <= t <= ARGON2_PASSES[1]:
        return f"{variant} t must be between {min_t} and {ARGON2_PASSES[1]}"
    if not ARGON2_LANES[0] <= p <= ARGON2_LANES[1]:
        return f"argon2 p must be between {ARGON2_LANES[0]} and {ARGON2_LANES[1]}"
    return None

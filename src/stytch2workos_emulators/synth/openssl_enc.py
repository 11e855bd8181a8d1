"""What ``openssl enc -aes-256-cbc -salt -pass file:key.bin`` writes, done in process.

Stytch support encrypts the hash CSV with that command, so the emulated delivery
must be byte-compatible with it. The facts this module relies on (OpenSSL's
``apps/enc.c`` and ``apps/lib/apps.c``):

* The file is ``Salted__``, then the 8 salt bytes, then AES-256-CBC ciphertext of
  the PKCS#7-padded plaintext.
* Key (32 bytes) and IV (16 bytes) come from the password and salt through
  ``EVP_BytesToKey`` with one round of SHA-256 (OpenSSL 1.1.0 and later) or MD5
  (older releases), or through PBKDF2-HMAC-SHA256 with ``-pbkdf2`` (10,000
  iterations unless ``-iter N``). Nothing in the file says which was used.
* ``-pass file:`` takes the first line of the file, at most 1023 bytes of it,
  without its ``\\n``, and stops at a NUL byte since it is handled as a C string.
  A ``key.bin`` from ``openssl rand -hex 32`` is therefore a 64-character password.

Kept apart from the product's reader on purpose: an emulator that borrowed the
reader's idea of the format could never show the reader to be wrong.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Literal

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

Kdf = Literal["sha256", "md5", "pbkdf2"]
RandomBytes = Callable[[int], bytes]

MAGIC = b"Salted__"
SALT_BYTES = 8
KEY_BYTES = 32
IV_BYTES = 16
PBKDF2_ITERATIONS = 10_000  # `openssl enc -pbkdf2` without `-iter`
# BIO_gets into a 1024-byte buffer keeps at most 1023 bytes.
PASSWORD_FILE_LIMIT = 1023


def password_from_file(content: bytes) -> bytes:
    """The password OpenSSL reads from a ``-pass file:`` whose bytes are ``content``."""
    first_line = content[:PASSWORD_FILE_LIMIT].partition(b"\n")[0]
    return first_line.partition(b"\0")[0]


def _bytes_to_key(digest: str, password: bytes, salt: bytes) -> bytes:
    # EVP_BytesToKey with count 1: D1 = H(pass || salt), Dn = H(Dn-1 || pass || salt).
    out = previous = b""
    while len(out) < KEY_BYTES + IV_BYTES:
        previous = hashlib.new(digest, previous + password + salt).digest()
        out += previous
    return out


def key_and_iv(password: bytes, salt: bytes, kdf: Kdf, iterations: int | None = None) -> tuple[bytes, bytes]:
    """AES-256 key and CBC IV as ``openssl enc`` derives them with ``kdf``.

    ``iterations`` is ``-iter N`` and only means something with ``pbkdf2``.
    """
    if kdf == "pbkdf2":
        rounds = PBKDF2_ITERATIONS if iterations is None else iterations
        if rounds < 1:
            raise ValueError("PBKDF2 needs at least one iteration")
        material = hashlib.pbkdf2_hmac("sha256", password, salt, rounds, KEY_BYTES + IV_BYTES)
    elif kdf in ("sha256", "md5"):
        material = _bytes_to_key(kdf, password, salt)
    else:
        raise ValueError(f"unknown key derivation {kdf!r}")
    return material[:KEY_BYTES], material[KEY_BYTES : KEY_BYTES + IV_BYTES]


def encrypt(
    plaintext: bytes,
    key_file: bytes,
    kdf: Kdf = "sha256",
    rng: RandomBytes = secrets.token_bytes,
    *,
    iterations: int | None = None,
) -> bytes:
    """The bytes ``openssl enc -aes-256-cbc -salt -pass file:<key_file>`` would write."""
    salt = rng(SALT_BYTES)
    key, iv = key_and_iv(password_from_file(key_file), salt, kdf, iterations)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return MAGIC + salt + encryptor.update(padded) + encryptor.finalize()

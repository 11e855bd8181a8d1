"""Produce a password-hash delivery exactly as Stytch support sends one.

For the emulated project generator, the demo and tests: scrypt rows hashed the
way Stytch hashes them, the CSV in Stytch's layout, and the two files of the
delivery, ``key.bin.enc`` (``openssl pkeyutl -encrypt``) and the hashes file
(``openssl enc -aes-256-cbc -salt -pass file:key.bin``), byte-compatible with
what the ``openssl`` commands produce.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa

from stytch2workos_emulators.synth import openssl_enc
from stytch2workos_emulators.synth.files import write_private_bytes

Variant = openssl_enc.Kdf
RsaPadding = Literal["pkcs1", "oaep", "oaep-sha256"]
KeyFormat = Literal["hex", "base64", "raw"]
RandomBytes = Callable[[int], bytes]


@dataclass(frozen=True)
class ScryptParams:
    """The scrypt settings a delivery's parameter block states (cost N, r, p, key bytes)."""

    n: int
    r: int
    p: int
    key_length: int


# The CSV's column header, and the settings of the one public sample export
# (N = 2^15, r = 8, p = 1, 32-byte keys), which every scrypt row of Stytch's uses.
COLUMNS = ("id", "hash", "salt", "hash_method", "project_id")
STYTCH_PARAMS = ScryptParams(n=1 << 15, r=8, p=1, key_length=32)
# Stytch's salt column: 22 random bytes written as URL-safe base64 with padding (32 characters).
SALT_BYTES = 22


def generate_keypair(bits: int = 2048, passphrase: bytes | None = None) -> tuple[bytes, bytes]:
    """A fresh RSA key pair as (private PEM, public PEM), like ``openssl genpkey``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def stytch_scrypt_row(
    member_id: str,
    password: str,
    project_id: str,
    n: int = STYTCH_PARAMS.n,
    r: int = STYTCH_PARAMS.r,
    p: int = STYTCH_PARAMS.p,
    key_length: int = STYTCH_PARAMS.key_length,
    salt: str | None = None,
    rng: RandomBytes = secrets.token_bytes,
) -> dict[str, str]:
    """One export row for ``password``, hashed as Stytch does.

    The salt is a 32-character URL-safe base64 string (22 random bytes, padded),
    and Stytch feeds that string's ASCII bytes, not its decoded bytes, to scrypt.
    The hash column is the derived key in URL-safe base64 with padding.
    """
    if salt is None:
        salt = base64.urlsafe_b64encode(rng(SALT_BYTES)).decode("ascii")
    key = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt.encode("ascii"),
        n=n,
        r=r,
        p=p,
        dklen=key_length,
        maxmem=256 * n * r + (1 << 20),
    )
    return {
        "id": member_id,
        "hash": base64.urlsafe_b64encode(key).decode("ascii"),
        "salt": salt,
        "hash_method": "scrypt",
        "project_id": project_id,
    }


def _cost(n: int) -> str:
    # Stytch writes the cost as the C expression "1 << 15".
    return f"1 << {n.bit_length() - 1}" if n > 0 and n & (n - 1) == 0 else str(n)


def write_csv(rows: Iterable[Mapping[str, str]], params: ScryptParams = STYTCH_PARAMS) -> str:
    """The decrypted CSV in Stytch's layout: parameter block, blank line, header, rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Every line of the block is padded to the five columns of the rows below it.
    pad = [""] * (len(COLUMNS) - 2)
    writer.writerow(["scrypt hash parameters", "", *pad])
    writer.writerow(["scryptCostParameter", _cost(params.n), *pad])
    writer.writerow(["scryptRParameter", str(params.r), *pad])
    writer.writerow(["scryptPParameter", str(params.p), *pad])
    # Sic: Stytch's export spells it "Paramenter".
    writer.writerow(["scryptKeyLengthParamenter", str(params.key_length), *pad])
    writer.writerow(["", "", *pad])
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue()


def key_file_bytes(fmt: KeyFormat = "hex", rng: RandomBytes = secrets.token_bytes) -> bytes:
    """A random ``key.bin`` like ``openssl rand -hex 32`` / ``-base64 32`` / ``rand 32``."""
    raw = rng(32)
    if fmt == "hex":
        return raw.hex().encode("ascii") + b"\n"
    if fmt == "base64":
        return base64.b64encode(raw) + b"\n"
    return raw


def encrypt_enc(
    plaintext: bytes,
    key_bin: bytes,
    variant: Variant = "sha256",
    rng: RandomBytes = secrets.token_bytes,
    *,
    iterations: int | None = None,
) -> bytes:
    """``openssl enc -aes-256-cbc -salt -pass file:key.bin`` output for ``plaintext``.

    ``variant`` names the key derivation (see :func:`write_delivery`).
    """
    return openssl_enc.encrypt(plaintext, key_bin, variant, rng, iterations=iterations)


def wrap_key(key_bin: bytes, public_pem: bytes, rsa_pad: RsaPadding = "pkcs1") -> bytes:
    """``openssl pkeyutl -encrypt -pubin -inkey pub.pem`` output for ``key.bin``."""
    public_key = serialization.load_pem_public_key(public_pem)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the public key must be an RSA key")
    if rsa_pad == "pkcs1":
        return public_key.encrypt(key_bin, rsa_padding.PKCS1v15())
    algorithm: hashes.HashAlgorithm = hashes.SHA1() if rsa_pad == "oaep" else hashes.SHA256()
    return public_key.encrypt(key_bin, rsa_padding.OAEP(rsa_padding.MGF1(algorithm), algorithm, None))


def hashes_filename(project_id: str, date: str) -> str:
    """Stytch's name for the encrypted CSV, e.g. ``stytch-<project>-hashes-2024-05-01.enc``."""
    return f"stytch-{project_id}-hashes-{date}.enc"


def write_delivery(
    out_dir: Path,
    csv_text: str,
    public_pem: bytes,
    *,
    variant: Variant = "sha256",
    padding: RsaPadding = "pkcs1",
    key_format: KeyFormat = "hex",
    iterations: int | None = None,
    filename: str = "stytch-hashes.enc",
    rng: RandomBytes = secrets.token_bytes,
) -> tuple[Path, Path]:
    """Write ``key.bin.enc`` and the encrypted CSV into ``out_dir`` (mode 0600).

    ``variant`` is the ``openssl enc`` key derivation (``sha256`` is OpenSSL ≥ 1.1's
    default, ``md5`` older OpenSSL's, ``pbkdf2`` is ``-pbkdf2``, with ``iterations``
    for ``-iter N``); ``padding`` is the RSA padding of ``pkeyutl``; ``key_format``
    says how ``key.bin`` was made (``openssl rand -hex 32`` by default).
    Returns (key_enc_path, hashes_enc_path).
    """
    if iterations is not None and variant != "pbkdf2":
        raise ValueError("iterations (-iter N) only apply to the pbkdf2 variant")
    key_bin = key_file_bytes(key_format, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    key_enc_path = out_dir / "key.bin.enc"
    hashes_path = out_dir / filename
    write_private_bytes(key_enc_path, wrap_key(key_bin, public_pem, padding))
    write_private_bytes(
        hashes_path, encrypt_enc(csv_text.encode("utf-8"), key_bin, variant, rng, iterations=iterations)
    )
    return key_enc_path, hashes_path

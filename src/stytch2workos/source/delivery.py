"""Decrypt what Stytch support sends: ``key.bin.enc`` and the encrypted hash CSV.

Stytch encrypts a random key file (``key.bin``) to the customer's RSA public key
(``openssl pkeyutl -encrypt``) and the CSV with ``openssl enc -aes-256-cbc -pass
file:key.bin``. Everything here runs in-process; no ``openssl`` binary is needed.

* ``unwrap_key`` recovers ``key.bin``'s bytes; RSA-OAEP (SHA-256 or SHA-1) and
  PKCS#1 v1.5, the ``pkeyutl`` default, are accepted.
* ``decrypt_lines`` streams the CSV as text lines. OpenSSL's ``Salted__`` format
  does not record how the key was derived from the password, so the known
  variants are tried in a fixed order (EVP_BytesToKey with SHA-256, the default
  since OpenSSL 1.1; with MD5, the default before; PBKDF2-HMAC-SHA256 with
  10,000 iterations, ``-pbkdf2``), and the first whose padding is valid and whose
  plaintext starts like Stytch's CSV wins. ``-iter N`` is not detectable: pass
  ``iterations=N``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAGIC = b"Salted__"
# OpenSSL's apps read at most APP_PASS_LEN - 1 = 1023 bytes of a password file.
OPENSSL_PASS_MAX = 1023
STYTCH_CSV_PREFIXES = (b"scrypt hash parameters", b"id,")
_BLOCK = 16
_HEAD_BLOCKS = 4


class DeliveryError(Exception):
    """The delivery could not be decrypted; the message says what to check."""


@dataclass(frozen=True)
class KdfVariant:
    """How ``openssl enc`` turned the password and salt into the AES key and IV."""

    name: str
    kind: Literal["bytes_to_key", "pbkdf2"]
    digest: Literal["md5", "sha1", "sha256", "sha512"]
    iterations: int = 1


SHA256_BYTES_TO_KEY = KdfVariant("sha256", "bytes_to_key", "sha256")
MD5_BYTES_TO_KEY = KdfVariant("md5", "bytes_to_key", "md5")
PBKDF2_DEFAULT = KdfVariant("pbkdf2", "pbkdf2", "sha256", 10_000)
DEFAULT_VARIANTS = (SHA256_BYTES_TO_KEY, MD5_BYTES_TO_KEY, PBKDF2_DEFAULT)


def pbkdf2_variant(iterations: int) -> KdfVariant:
    """The variant ``openssl enc -pbkdf2 -iter <iterations>`` (or ``-iter`` alone) uses."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    return KdfVariant(f"pbkdf2-{iterations}", "pbkdf2", "sha256", iterations)


def openssl_file_password(key_file: bytes) -> bytes:
    """The password ``-pass file:`` reads: the first line, capped, cut at a NUL byte.

    OpenSSL reads one line (at most 1023 bytes) with ``BIO_gets``, drops the
    ``\\n`` but not a ``\\r``, and then treats the buffer as a C string.
    """
    line = key_file[:OPENSSL_PASS_MAX].split(b"\n", 1)[0]
    return line.split(b"\0", 1)[0]


def derive_key_iv(password: bytes, salt: bytes, variant: KdfVariant) -> tuple[bytes, bytes]:
    """AES-256 key and CBC IV for ``openssl enc -aes-256-cbc`` with this variant."""
    if variant.kind == "pbkdf2":
        material = hashlib.pbkdf2_hmac(variant.digest, password, salt, variant.iterations, 48)
    else:
        # EVP_BytesToKey: D_i = H^count(D_{i-1} || password || salt), concatenated.
        material, block = b"", b""
        while len(material) < 48:
            block = hashlib.new(variant.digest, block + password + salt).digest()
            for _ in range(variant.iterations - 1):
                block = hashlib.new(variant.digest, block).digest()
            material += block
    return material[:32], material[32:48]


def load_private_key(private_key_pem: bytes, passphrase: bytes | None) -> rsa.RSAPrivateKey:
    """Load the customer's RSA private key, explaining each way that can fail."""
    if b"PRIVATE KEY" not in private_key_pem:
        hint = " (that is the public key)" if b"PUBLIC KEY" in private_key_pem else ""
        raise DeliveryError(f"not a PEM private key{hint}; give the RSA private key file")
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise DeliveryError("the private key is encrypted: a passphrase is needed") from None
        # A passphrase for an unencrypted key is harmless; load it without one.
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except ValueError:
        if passphrase is not None and b"ENCRYPTED" in private_key_pem:
            raise DeliveryError("wrong passphrase for the private key") from None
        raise DeliveryError("the private key PEM could not be read (corrupt file?)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DeliveryError("the private key is not an RSA key; Stytch encrypts to RSA")
    return key


def unwrap_key(key_enc: bytes, private_key_pem: bytes, passphrase: bytes | None) -> bytes:
    """Decrypt ``key.bin.enc`` and return ``key.bin``'s contents (what ``-pass file:`` read)."""
    key = load_private_key(private_key_pem, passphrase)
    size = (key.key_size + 7) // 8
    if len(key_enc) != size:
        key_enc = _maybe_base64(key_enc, size)
    for algorithm in (hashes.SHA256(), hashes.SHA1()):
        try:
            return key.decrypt(key_enc, OAEP(MGF1(algorithm), algorithm, None))
        except ValueError:
            pass
    plain = _pkcs1_v15_decrypt(key, key_enc)
    if plain is None:
        raise DeliveryError(
            "key.bin.enc does not decrypt with this private key: check that it is the "
            "private half of the public key you sent to Stytch, and that key.bin.enc "
            "belongs to this delivery"
        )
    return plain


def _maybe_base64(key_enc: bytes, size: int) -> bytes:
    # Some mail paths turn attachments into base64 text (`openssl base64` wraps at 64).
    try:
        decoded = base64.b64decode(b"".join(key_enc.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) == size:
        return decoded
    raise DeliveryError(
        f"key.bin.enc is {len(key_enc)} bytes but this {size * 8}-bit private key decrypts "
        f"{size}-byte blocks: wrong private key, or a truncated or altered key.bin.enc"
    )


def _pkcs1_v15_decrypt(key: rsa.RSAPrivateKey, ciphertext: bytes) -> bytes | None:
    # cryptography's PKCS1v15 decryption uses implicit rejection (the Marvin
    # countermeasure): a wrong key yields random bytes instead of an error, so
    # the mistake would only surface later as an unreadable CSV. This is a
    # one-shot offline decryption with no padding oracle to protect, so the
    # padding is checked here to name the real problem.
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    value = int.from_bytes(ciphertext, "big")
    if value >= modulus:
        return None
    block = pow(value, numbers.d, modulus).to_bytes(len(ciphertext), "big")
    separator = block.find(b"\0", 2)
    # 0x00 0x02, at least eight non-zero padding bytes, 0x00, message.
    if block[:2] != b"\0\2" or separator < 10:
        return None
    return block[separator + 1 :]


def _looks_like(head: bytes, prefixes: Sequence[bytes]) -> bool:
    text = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n,").lower()
    return any(text.startswith(prefix) for prefix in prefixes)


def _padding_ok(last_block: bytes) -> bool:
    count = last_block[-1]
    return 1 <= count <= _BLOCK and last_block[-count:] == bytes([count]) * count


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def detect_variant(
    path: Path,
    key_bin: bytes,
    variants: Sequence[KdfVariant] = DEFAULT_VARIANTS,
    prefixes: Sequence[bytes] = STYTCH_CSV_PREFIXES,
) -> KdfVariant:
    """Find the variant that decrypts ``path``, reading only its first and last blocks."""
    password = openssl_file_password(key_bin)
    with path.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        header = stream.read(_BLOCK)
        if len(header) < _BLOCK or header[:8] != MAGIC:
            raise DeliveryError(
                f"{path.name} is not an OpenSSL 'enc' file (no 'Salted__' header): "
                "check that it is the encrypted hashes file, not key.bin.enc or a decrypted CSV"
            )
        body = size - _BLOCK
        if body == 0 or body % _BLOCK:
            raise DeliveryError(
                f"{path.name} is truncated or corrupt: its ciphertext is {body} bytes, "
                "not a whole number of AES blocks; ask Stytch to resend it"
            )
        head = stream.read(min(body, _HEAD_BLOCKS * _BLOCK))
        stream.seek(max(_BLOCK, size - 2 * _BLOCK))
        tail = stream.read()
    salt = header[8:]
    for variant in variants:
        key, iv = derive_key_iv(password, salt, variant)
        tail_iv, last = (iv, tail) if body == _BLOCK else (tail[:_BLOCK], tail[_BLOCK:])
        if not _padding_ok(_aes_cbc_decrypt(key, tail_iv, last)):
            continue
        if _looks_like(_aes_cbc_decrypt(key, iv, head), prefixes):
            return variant
    tried = ", ".join(v.name for v in variants)
    raise DeliveryError(
        f"{path.name} does not decrypt to Stytch's hash CSV with this key (tried {tried}). "
        "Check that key.bin.enc came with this file and that the private key is the one "
        "whose public key you sent; if Stytch used 'openssl enc -iter N', pass iterations=N"
    )


def decrypt_lines(
    path: Path,
    key_bin: bytes,
    *,
    iterations: int | None = None,
    variants: Sequence[KdfVariant] = DEFAULT_VARIANTS,
    chunk_size: int = 1 << 16,
) -> Iterator[str]:
    """Decrypt the hashes file to text lines (line ends removed), in constant memory.

    ``key_bin`` is the content of ``key.bin`` as ``unwrap_key`` returns it; only its
    first line is the password, as with ``-pass file:``. The variant is detected
    before this returns, so a wrong key raises ``DeliveryError`` here; a file that
    changes or stops being UTF-8 text midway raises it during iteration.
    """
    candidates = [pbkdf2_variant(iterations), *variants] if iterations else list(variants)
    variant = detect_variant(path, key_bin, candidates)
    with path.open("rb") as stream:
        salt = stream.read(_BLOCK)[8:]
    key, iv = derive_key_iv(openssl_file_password(key_bin), salt, variant)
    return _stream(path, key, iv, chunk_size)


def _stream(path: Path, key: bytes, iv: bytes, chunk_size: int) -> Iterator[str]:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    try:
        with path.open("rb") as stream:
            stream.seek(_BLOCK)
            while chunk := stream.read(chunk_size):
                pending += decoder.decode(unpadder.update(decryptor.update(chunk)))
                *lines, pending = pending.split("\n")
                for line in lines:
                    yield line.removesuffix("\r")
            last = unpadder.update(decryptor.finalize()) + unpadder.finalize()
            pending += decoder.decode(last, final=True)
    except UnicodeDecodeError:
        raise DeliveryError(
            f"{path.name} decrypted to data that is not UTF-8 text (damaged on its way?); "
            "ask Stytch to resend it"
        ) from None
    except ValueError:
        raise DeliveryError(
            f"{path.name} is corrupt: its final block is invalid; ask Stytch to resend it"
        ) from None
    *lines, pending = pending.split("\n")
    for line in [*lines, pending] if pending else lines:
        yield line.removesuffix("\r")


def read_delivery(
    key_enc_path: Path,
    hashes_path: Path,
    private_key_pem: bytes,
    passphrase: bytes | None,
    *,
    iterations: int | None = None,
) -> Iterator[str]:
    """Unwrap ``key.bin.enc`` and stream the decrypted CSV lines of ``hashes_path``."""
    key_bin = unwrap_key(key_enc_path.read_bytes(), private_key_pem, passphrase)
    return decrypt_lines(hashes_path, key_bin, iterations=iterations)

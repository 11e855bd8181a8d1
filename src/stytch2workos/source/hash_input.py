"""The lines of Stytch support's password-hash delivery, as ``passwords load`` and ``migrate`` read them.

An encrypted delivery (hashes file, ``key.bin.enc``, the operator's RSA key) is
decrypted in memory; a decrypted CSV is read line by line, each line checked to be
UTF-8 so an error can name it. The private key's passphrase comes from the caller's
``passphrase`` callback (a hidden prompt, or stdin), only when the key is encrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from stytch2workos.errors import ConfigError, InputError

# Refusals that describe the data, not a defect in the file: expected in a real export.
EXPECTED_REFUSALS = frozenset({"unsupported_algorithm"})


def hash_lines(
    hashes: Path,
    key: Path | None,
    private_key: Path | None,
    iterations: int | None,
    passphrase: Callable[[], str],
) -> tuple[Iterable[str], str]:
    """The delivery's CSV lines, and where they came from ("encrypted delivery" or "decrypted csv")."""
    from stytch2workos.source.delivery import MAGIC

    check_delivery_options(key, private_key, iterations)
    if key is not None and private_key is not None:
        return _delivery_lines(hashes, key, private_key, iterations, passphrase), "encrypted delivery"
    if _head(hashes, len(MAGIC)) == MAGIC:
        raise InputError(f"{hashes} is encrypted: pass --key key.bin.enc --private-key private_key.pem")
    return _csv_lines(hashes), "decrypted csv"


def check_delivery_options(key: Path | None, private_key: Path | None, iterations: int | None) -> None:
    """Refuse options that do not go together, before anything is opened."""
    if key is None and (private_key is not None or iterations is not None):
        raise ConfigError("--private-key and --iterations are for an encrypted file: pass --key too")
    if key is not None and private_key is None:
        raise ConfigError("--key needs --private-key (the RSA key whose public half you sent to Stytch)")


def needs_attention(summary: dict[str, Any]) -> bool:
    """Whether a load's summary holds rows someone should look at (exit 1)."""
    unexpected = {code for code in summary["refused"] if code not in EXPECTED_REFUSALS}
    # An identical repeat is information only: the member keeps the hash both rows give.
    return bool(summary["unmatched"] or summary["conflicting_rows"] or summary["malformed"] or unexpected)


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path}: {exc.strerror}") from None


def _head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(size)
    except OSError as exc:
        raise InputError(f"cannot read the hashes file {path}: {exc.strerror}") from None


def _csv_lines(path: Path) -> Iterator[str]:
    # Undecodable bytes are kept as surrogates and found line by line, so the error can
    # name the line (a decoding error from the stream would only name a buffer).
    try:
        with path.open(encoding="utf-8", errors="surrogateescape", newline="") as stream:
            for line_no, line in enumerate(stream, start=1):
                if not line.isascii():
                    _utf8_line(line, line_no, path)
                yield line
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _utf8_line(line: str, line_no: int, path: Path) -> None:
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        hint = "is it still encrypted? " if line_no == 1 else ""
        # Stytch writes ASCII: a byte that is not UTF-8 means the file was damaged on its way.
        raise InputError(
            f"line {line_no} of {path} is not UTF-8 text; {hint}ask Stytch support to resend the file"
        ) from None


def _delivery_lines(
    hashes: Path, key: Path, private_key: Path, iterations: int | None, passphrase: Callable[[], str]
) -> Iterator[str]:
    from stytch2workos.source.delivery import DeliveryError, read_delivery

    pem = _read_bytes(private_key, "private key")
    for path, what in ((key, "key file"), (hashes, "hashes file")):
        if not path.is_file():
            raise InputError(f"cannot read the {what} {path}: no such file")
    # Traditional ("Proc-Type: 4,ENCRYPTED") and PKCS#8 ("ENCRYPTED PRIVATE KEY") PEMs both say so.
    secret = passphrase().encode("utf-8") if b"ENCRYPTED" in pem else None
    try:
        return read_delivery(key, hashes, pem, secret, iterations=iterations)
    except DeliveryError as exc:
        # The library names its keyword argument; an operator needs the flag.
        raise InputError(str(exc).replace("iterations=N", "--iterations N")) from None
    except OSError as exc:
        raise InputError(f"cannot read the delivery: {exc.strerror}") from None

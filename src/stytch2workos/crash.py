"""Crash reports: what a defect in the tool leaves behind for whoever fixes it.

One owner-only text file per crash, ``crash-YYYYMMDDTHHMMSS.txt``: the traceback, the
command line, and the versions of Python, the tool and both SDKs. Nothing secret: the
credentials (and a URL's password) are redacted wherever they appear, and anything
shaped like a password hash, a salt or a private key is masked as well, because an
exception's message may quote the value it choked on.

:func:`render` is pure; :func:`write` puts the text in the first place that takes it.
"""

from __future__ import annotations

import platform
import re
import shlex
import tempfile
import traceback
from collections.abc import Iterable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path

from stytch2workos.errors import redact
from stytch2workos.private_files import write_private_bytes

MASKED = "[masked]"
_MASKS = (
    # A private key, whole.
    re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL),
    # Modular-crypt and PHC strings: $2b$12$..., $scrypt$ln=15,r=8,p=1$salt$hash, $argon2id$...
    re.compile(r"\$[A-Za-z0-9-]{1,32}\$[^\s'\"]*"),
    # Base64 with its padding (a salt or a digest); not `long_name=value` in a source line.
    re.compile(r"(?=[\w+/-]*[A-Z0-9])[\w+/-]{12,}={1,2}(?![\w=])"),
    # Long runs mixing upper case, lower case and digits: unpadded base64.
    re.compile(
        r"(?<![\w+])(?=[A-Za-z0-9+]*[a-z])(?=[A-Za-z0-9+]*[A-Z])(?=[A-Za-z0-9+]*[0-9])[A-Za-z0-9+]{16,}"
    ),
    # A hex digest.
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
)
PACKAGES = ("stytch2workos", "stytch", "workos")


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the ``secrets`` and without anything shaped like hash or key material."""
    text = redact(text, secrets)
    for pattern in _MASKS:
        text = pattern.sub(MASKED, text)
    return text


def versions() -> dict[str, str]:
    """Python's version and each installed package's."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def render(exc: BaseException, argv: Sequence[str], secrets: Iterable[str], when: datetime) -> str:
    """The report's text for ``exc``, raised by the command ``argv``."""
    lines = [
        "stytch2workos crash report: this is a defect in the tool; please report it with this file.",
        "Secrets were removed from it: credentials are redacted and anything shaped like a",
        "password hash, a salt or a key is masked.",
        "",
        f"time: {when.isoformat(timespec='seconds')}",
        f"command: {shlex.join(['stytch2workos', *argv])}",
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions().items()),
        f"platform: {platform.platform()}",
        "",
        *traceback.format_exception(exc),
    ]
    return mask("\n".join(line.rstrip("\n") for line in lines) + "\n", list(secrets))


def write(text: str, places: Sequence[Path | None], when: datetime) -> Path:
    """Write ``text`` (owner-only) into the first of ``places`` that takes it, else a new temp dir.

    ``None`` in ``places`` stands for the temporary directory. Raises ``OSError`` (or the
    tool's ``OutputError``) only when no place at all can be written.
    """
    stamp = when.strftime("%Y%m%dT%H%M%S")
    last: Exception | None = None
    for place in places:
        try:
            folder = Path(tempfile.mkdtemp(prefix="stytch2workos-crash-")) if place is None else place
            path = folder / f"crash-{stamp}.txt"
            number = 1
            while path.exists():  # two crashes in one second: keep both
                number += 1
                path = folder / f"crash-{stamp}-{number}.txt"
            write_private_bytes(path, text.encode("utf-8"))
            return path
        except Exception as exc:  # a full disk, a read-only directory: try the next place
            last = exc
    assert last is not None
    raise last

"""What failed underneath an error, in words an operator can act on.

The operating system and the HTTP libraries describe a failure in their own terms
(``[Errno 28]``, ``HTTPConnectionPool(...): Max retries exceeded with url``). These
functions walk an exception's chain — ``__cause__`` and ``__context__``: an error the
tool raises ``from None`` still keeps what it replaced — and name the cause: whether the
machine failed the tool (exit 4), and why a service could not be reached.

Pure: they read exceptions and return text.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

_SPACE = "free some space (or raise the quota)"
# errno → (what happened, what the operator can do about it).
_ERRNOS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", _SPACE),
    errno.EDQUOT: ("the disk quota is exceeded", _SPACE),
    errno.EFBIG: ("the file is larger than the file system allows", "use another file system"),
    errno.EIO: ("an input/output error from the disk", "check the disk and its connection"),
    errno.EROFS: ("the file system is read-only", "make it writable or use another location"),
    errno.ENOMEM: ("out of memory", "free some memory"),
    errno.EMFILE: ("too many open files", "raise the open-file limit (ulimit -n)"),
    errno.ENFILE: ("too many open files on this machine", "close some programs"),
}


@dataclass(frozen=True)
class EnvironmentCause:
    """The machine's part in a failure: what happened, where, and what to do about it."""

    what: str  # "no space left on the device (ENOSPC)"
    remedy: str  # "free some space (or raise the quota)"
    path: str | None = None

    def message(self, context: str | None = None) -> str:
        """One line for the operator; ``context`` is the tool's own message, if it had one."""
        where = context or (f"{self.path}: {self.what}" if self.path else self.what)
        return f"{where}. Nothing saved is lost: {self.remedy}, then run the same command again"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def os_cause(exc: BaseException) -> EnvironmentCause | None:
    """The operating system's failure behind ``exc`` (a full disk, an I/O error), if any."""
    for item in chain(exc):
        if isinstance(item, MemoryError):
            return EnvironmentCause("out of memory", "free some memory")
        if isinstance(item, OSError) and item.errno in _ERRNOS:
            what, remedy = _ERRNOS[item.errno]
            path = item.filename if isinstance(item.filename, str) else None
            return EnvironmentCause(f"{what} ({errno.errorcode[item.errno]})", remedy, path)
    return None


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: no path, no query, no ``user:password@``."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return url
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def transport_cause(exc: BaseException) -> str:
    """Why a request got no answer: "connection refused", "DNS lookup failed (…)", "timed out".

    Read from the standard library's exceptions at the bottom of the chain, so it is the
    same whichever HTTP library (``requests`` for Stytch, ``httpx`` for WorkOS) raised it.
    """
    found = list(chain(exc))
    for item in found:
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"the TLS certificate was not accepted ({item.verify_message or item.reason})"
    for item in found:
        if isinstance(item, ssl.SSLError):
            return (
                f"the TLS handshake failed ({(item.reason or 'no reason given').lower().replace('_', ' ')})"
            )
    for item in found:
        if isinstance(item, socket.gaierror):
            return f"DNS lookup failed ({(item.strerror or 'no such host').lower()})"
    for kind, text in (
        (ConnectionRefusedError, "connection refused"),
        (ConnectionResetError, "the connection was closed without an answer"),
        (TimeoutError, "timed out"),
    ):
        if any(isinstance(item, kind) for item in found):
            return text
    # Timeouts a library raises without a standard one underneath (a read that took too long).
    if any("timeout" in type(item).__name__.lower() for item in found):
        return "timed out"
    for item in reversed(found):
        if isinstance(item, OSError) and item.strerror:
            return item.strerror.lower()
    return "the connection failed"


def unreachable(url: str, exc: BaseException) -> str:
    """``cannot reach https://host: connection refused``: one line, no library internals."""
    return f"cannot reach {origin(url)}: {transport_cause(exc)}"

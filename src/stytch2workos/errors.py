"""The exception tree, and the exit code each branch maps to.

    Stytch2WorkOSError
     ├── ConfigError            bad settings, missing credentials           exit 2
     ├── InputError             a malformed input file                      exit 2
     ├── WorkspaceError         none there, wrong project, schema, in use   exit 2
     ├── OutputError            a file to write cannot be written           exit 2
     ├── ServiceError           an API answered, and retrying cannot help  exit 3
     │    ├── Refused           a 4xx with the error codes its body named  (a record's failure)
     │    ├── Unreadable        a 2xx whose body the SDK cannot read       (a record's failure)
     │    └── AuthError         401/403: wrong key or secret               exit 3
     ├── RetriesExhausted       429/5xx/network errors outlasted the policy exit 3
     ├── EnvironmentFailure     the machine failed: disk full, I/O error,   exit 4
     │                          read-only file system (nothing saved is lost)
     └── InternalError          a defect in the tool; a crash report        exit 5

    KeyboardInterrupt
     └── Stopped                SIGINT, SIGTERM or SIGHUP: queued work      exit 128 + signal
                                stops, saved work is kept                   (130, 143, 129)

A *record* that cannot be migrated is not an exception: it is written to the
ledger with a reason and the run goes on. These exceptions end a command.

Whatever its branch, an error whose cause is the machine's (a full disk under a
:class:`WorkspaceError` or :class:`OutputError`, see :mod:`.causes`) exits 4, and
any exception outside the tree is reported as an :class:`InternalError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

REDACTED = "[redacted]"
# Shorter values are not secrets worth the name, and replacing them would garble messages.
_MIN_SECRET = 4
MAX_MESSAGE = 300


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    # Longest first, so a secret containing another is removed whole.
    for secret in sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """One line of at most ``limit`` characters: an API's message, not a page of HTML."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Stytch2WorkOSError(Exception):
    """Base of everything the CLI turns into a message and an exit code."""

    exit_code = 1


class ConfigError(Stytch2WorkOSError):
    exit_code = 2


class InputError(Stytch2WorkOSError):
    exit_code = 2


class WorkspaceError(Stytch2WorkOSError):
    exit_code = 2


class OutputError(Stytch2WorkOSError):
    """A file the tool was asked to write (a report, ``-o``, ``--json-out``) cannot be written."""

    exit_code = 2


@dataclass(frozen=True)
class Failure:
    """What an API said about a failed request, without anything secret."""

    service: str
    status: int | None
    code: str | None
    message: str
    request_id: str | None = None
    retry_after: float | None = None

    def redacted(self, secrets: Iterable[str]) -> Failure:
        """The same failure with ``secrets`` removed from its message (an API may echo a request)."""
        return replace(self, message=redact(self.message, secrets))

    def describe(self) -> str:
        parts = [self.service]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class ServiceError(Stytch2WorkOSError):
    """An API refused a request for a reason that retrying will not fix."""

    exit_code = 3

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class Refused(ServiceError):
    """The API refused one request; ``codes`` holds every error code its body named.

    Usually a record-level failure (written to the ledger); the caller decides whether
    a code means "it already exists, look it up".
    """

    def __init__(self, failure: Failure, codes: frozenset[str]) -> None:
        super().__init__(failure)
        self.codes = codes


class Unreadable(ServiceError):
    """The API answered 2xx, but the SDK could not read the answer (a field missing, a new value).

    Not transient: the same request gets the same answer. After a write, what it did is
    unknown, so the entity is looked up before anything is sent again.
    """


class AuthError(ServiceError):
    """Credentials were refused; nothing else can succeed until they are fixed."""


class RetriesExhausted(Stytch2WorkOSError):
    exit_code = 3

    def __init__(self, failure: Failure, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts: {failure.describe()}")
        self.failure = failure
        self.attempts = attempts


class EnvironmentFailure(Stytch2WorkOSError):
    """The machine failed the tool (disk full, I/O error, read-only file system), not the data.

    Whatever was committed before stays committed: freeing space and running the same
    command again resumes.
    """

    exit_code = 4


class InternalError(Stytch2WorkOSError):
    """A defect in the tool: an exception nothing above expected. A crash report is written."""

    exit_code = 5


class Stopped(KeyboardInterrupt):
    """A signal asked the command to stop (Ctrl-C, ``kill``, a closed terminal).

    A ``KeyboardInterrupt``, so it takes the path Ctrl-C always took: queued work stops,
    open workspace transactions roll back, and the CLI exits ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Retryable(Exception):
    """Raised by a client adapter for a failure worth retrying (429, 5xx, network)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure

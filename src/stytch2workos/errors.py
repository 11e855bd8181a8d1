"""The exception tree, and the exit code each branch maps to.

    Stytch2WorkOSError
     ├── ConfigError            bad settings, missing credentials           exit 2
     ├── InputError             a malformed input file                      exit 2
     ├── WorkspaceError         wrong project, newer schema, locked         exit 2
     ├── OutputError            a file to write cannot be written           exit 2
     ├── ServiceError           an API answered, and retrying cannot help  exit 3
     │    └── AuthError         401/403: wrong key or secret               exit 3
     └── RetriesExhausted       429/5xx/network errors outlasted the policy exit 3

A *record* that cannot be migrated is not an exception: it is written to the
ledger with a reason and the run goes on. These exceptions end a command.
"""

from __future__ import annotations

from dataclasses import dataclass


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


class AuthError(ServiceError):
    """Credentials were refused; nothing else can succeed until they are fixed."""


class RetriesExhausted(Stytch2WorkOSError):
    exit_code = 3

    def __init__(self, failure: Failure, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts: {failure.describe()}")
        self.failure = failure
        self.attempts = attempts


class Retryable(Exception):
    """Raised by a client adapter for a failure worth retrying (429, 5xx, network)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure

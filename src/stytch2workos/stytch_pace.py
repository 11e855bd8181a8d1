"""How fast the tool calls Stytch, and which setting of it wins.

Stytch's pace can be set in three places: a flag (``export``, ``sync``), the ``stytch_*``
keys of ``[pacing]`` in ``migration.toml``, and the defaults below. Every command that
reads Stytch (``export``, ``sync``, ``migrate``) layers them by the one rule of
:func:`resolve_pace`: flag, else migration.toml, else default.

Pure: config.py reads and validates the file, each command decides which file counts
(``export`` runs before ``init``, so for it a missing file is normal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal

from stytch2workos.errors import ConfigError

PaceSource = Literal["flag", "config", "default"]


@dataclass(frozen=True)
class StytchPace:
    """How fast, and how patiently, the tool calls Stytch."""

    searches_per_minute: int = 100  # Stytch documents 100 per minute per search endpoint
    # Other reads (connections, RBAC) have no documented limit. Two per organization must keep
    # up with the searches (1,000 members a page at 100 a minute) or they, not the searches,
    # set how long an export takes; a 429 still slows every read down.
    reads_per_second: float = 100.0
    timeout: float = 30.0
    max_attempts: int = 8

    def to_json(self, sources: dict[str, PaceSource]) -> dict[str, dict[str, float | str]]:
        """Each setting with where it came from (``export --json``)."""
        return {
            f.name: {"value": getattr(self, f.name), "from": sources.get(f.name, "default")}
            for f in fields(self)
        }


@dataclass(frozen=True)
class PaceSettings:
    """What one place (the command line, or migration.toml) sets; None leaves it to the next."""

    searches_per_minute: int | None = None
    reads_per_second: float | None = None
    timeout: float | None = None
    max_attempts: int | None = None


# Setting → its flag and its migration.toml key, for messages that name what to change.
FLAGS = {
    "searches_per_minute": "--searches-per-minute",
    "reads_per_second": "--reads-per-second",
    "timeout": "--timeout",
    "max_attempts": "--max-attempts",
}
CONFIG_KEYS = {name: f"stytch_{name}" for name in FLAGS}
# The least each setting takes: a timeout is any time above zero, the rest count requests.
MINIMUM = {"searches_per_minute": 1.0, "reads_per_second": 1.0, "max_attempts": 1.0, "timeout": 0.0}


def too_low(name: str, value: float) -> bool:
    """Whether ``value`` is below what setting ``name`` takes (see :data:`MINIMUM`), or no number at all.

    ``nan`` and ``inf`` parse as floats (flags and TOML alike) but pace nothing: both are refused.
    """
    return not math.isfinite(value) or value <= 0 or value < MINIMUM[name]


def check_flags(flags: PaceSettings) -> None:
    """A flag given below what it takes is a :class:`ConfigError` naming the flag."""
    for name, flag in FLAGS.items():
        value = getattr(flags, name)
        if value is None or not too_low(name, value):
            continue
        if not math.isfinite(value):
            raise ConfigError(f"{flag} takes a finite number; got {value}")
        if name == "timeout":
            raise ConfigError(f"{flag} takes a number of seconds greater than 0; got {value}")
        raise ConfigError(f"{flag} must be at least 1; got {value}")


def resolve_pace(flags: PaceSettings, configured: PaceSettings) -> tuple[StytchPace, dict[str, PaceSource]]:
    """The pace to use, setting by setting: the flag given, else migration.toml's, else the default.

    Returns the pace and where each setting came from. ``configured`` is what the
    workspace's ``migration.toml`` sets (all None when there is none).
    """
    default = StytchPace()
    sources: dict[str, PaceSource] = {}

    def pick(name: str) -> float:
        for source, given in (("flag", flags), ("config", configured)):
            value = getattr(given, name)
            if value is not None:
                sources[name] = "flag" if source == "flag" else "config"
                return float(value)
        sources[name] = "default"
        return float(getattr(default, name))

    pace = StytchPace(
        searches_per_minute=int(pick("searches_per_minute")),
        reads_per_second=pick("reads_per_second"),
        timeout=pick("timeout"),
        max_attempts=int(pick("max_attempts")),
    )
    return pace, sources

"""Building blocks shared by the synthetic-project generator: seeded streams, ids and a fixed clock.

Everything here is deterministic: identifiers come from a seeded ``random.Random`` rather
than ``uuid4``, and timestamps from a fixed window rather than the wall clock, so the same
arguments always produce byte-identical projects.
"""

from __future__ import annotations

import functools
import random
import time
from typing import Any

Json = dict[str, Any]

DAY = 86_400
# The generated world lives in 2023-2024: objects are created from BASE_TS on, and NOW_TS
# plays "today" (latest update, lock and rotation times).
BASE_TS = 1_672_531_200  # 2023-01-01T00:00:00Z
NOW_TS = BASE_TS + 730 * DAY  # 2024-12-31T00:00:00Z

_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def stream(seed: int, purpose: str) -> random.Random:
    """A random stream for one purpose, so adding draws to one part never reshuffles another.

    String seeds are hashed with SHA-512 by ``random``, independently of PYTHONHASHSEED.
    """
    return random.Random(f"stytch2workos/{seed}/{purpose}")


def new_uuid(rng: random.Random) -> str:
    """A version-4-shaped UUID string drawn from ``rng``."""
    n = (rng.getrandbits(128) & _V4_CLEAR) | _V4_SET
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * DAY))


def rfc3339(ts: int) -> str:
    """Seconds since the epoch as Stytch prints timestamps: RFC 3339, UTC, ``Z`` suffix."""
    # Formatting the date once per day keeps this off the profile of large projects.
    day, second = divmod(ts, DAY)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    return f"{_date(day)}T{hour:02d}:{minute:02d}:{second:02d}Z"


def environment(project_id: str) -> str:
    """``live`` or ``test``: Stytch embeds the project's environment in every object id."""
    return "live" if project_id.startswith("project-live-") else "test"


def api_base(env: str) -> str:
    """Stytch's API host for an environment; connection URLs (ACS, SCIM base) live under it."""
    return "https://api.stytch.com" if env == "live" else "https://test.stytch.com"


class Ids:
    """Stytch-style ids (``<kind>-<env>-<uuid>``) drawn from one seeded stream."""

    def __init__(self, rng: random.Random, env: str) -> None:
        self.rng = rng
        self.env = env

    def __call__(self, kind: str) -> str:
        return f"{kind}-{self.env}-{new_uuid(self.rng)}"


def between(rng: random.Random, start: int, end: int) -> int:
    """A second in ``[start, end]`` (``start`` when the window is empty)."""
    return start if end <= start else rng.randint(start, end)


def later(rng: random.Random, start: int) -> int:
    """An update time after ``start``: often soon after, sometimes much later, never past now."""
    if start >= NOW_TS:
        return start
    if rng.random() < 0.3:
        return start
    span = NOW_TS - start
    return start + int(span * rng.random() ** 3)

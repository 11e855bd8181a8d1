"""Identifiers, timestamps, ordered collections and cursor pagination for the WorkOS emulator.

WorkOS ids are a prefix plus a 26-character Crockford-base32 ULID: 48 bits of
milliseconds, then 80 random bits. The emulator stamps an object's id and its
``created_at`` from the same millisecond, so a cursor id that no longer exists
(the object was deleted between two pages) still has a position: the time in
its first ten characters.

Lists are ordered by creation time (``created_at``, then id) as WorkOS
documents; each collection keeps its keys sorted so an unfiltered page costs a
binary search, not a scan.
"""

from __future__ import annotations

import secrets
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(CROCKFORD)}
_RANDOM_BITS = 80

Key = tuple[str, str]  # (created_at, id): the creation-time order WorkOS lists use
T = TypeVar("T")


def iso_from_ms(ms: int) -> str:
    """``2026-01-15T12:00:00.000Z``: ISO-8601 UTC with milliseconds, as WorkOS writes times."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD[digit])
    return "".join(reversed(chars))


class IdFactory:
    """Monotonic ULID-style ids: within one millisecond the random part counts up."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._last_ms = 0
        self._last_random = 0

    def stamp(self, prefix: str) -> tuple[str, str]:
        """A new id and the matching ``created_at``."""
        ms = max(int(self.clock() * 1000), self._last_ms)
        if ms == self._last_ms:
            self._last_random = (self._last_random + 1) % (1 << _RANDOM_BITS)
        else:
            self._last_random = secrets.randbits(_RANDOM_BITS - 1)  # headroom for the counter
        self._last_ms = ms
        ulid = _encode(ms, 10) + _encode(self._last_random, 16)
        return f"{prefix}_{ulid}", iso_from_ms(ms)

    def new_id(self, prefix: str) -> str:
        """A new id when no timestamp is needed alongside it."""
        return self.stamp(prefix)[0]

    def now(self) -> str:
        """The current time in WorkOS's format."""
        return iso_from_ms(int(self.clock() * 1000))


def key_from_id(object_id: str) -> Key | None:
    """The creation key encoded in an emulator-made id, or None for a foreign id."""
    ulid = object_id.rsplit("_", 1)[-1]
    if len(ulid) != 26:
        return None
    try:
        ms = 0
        for char in ulid[:10]:
            ms = ms * 32 + _DECODE[char]
    except KeyError:
        return None
    return iso_from_ms(ms), object_id


class KeyIndex:
    """Ids kept sorted by creation key: one secondary index (memberships of an org, ...)."""

    __slots__ = ("_ids", "keys")

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self._ids: set[str] = set()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._ids

    def __iter__(self) -> Iterator[str]:
        """Ids in creation order."""
        return (object_id for _, object_id in self.keys)

    def add(self, key: Key) -> None:
        if key[1] in self._ids:
            return
        self._ids.add(key[1])
        # New objects almost always sort last, so this is usually an append.
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
        else:
            insort(self.keys, key)

    def discard(self, key: Key) -> None:
        if key[1] in self._ids:
            self._ids.remove(key[1])
            del self.keys[bisect_left(self.keys, key)]


class Collection(Generic[T]):
    """Objects by id, with their creation keys kept sorted."""

    def __init__(self) -> None:
        self.by_id: dict[str, T] = {}
        self._keys: dict[str, Key] = {}
        self._order = KeyIndex()

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[T]:
        """Objects in creation order."""
        return (self.by_id[object_id] for object_id in self._order)

    @property
    def sorted_keys(self) -> list[Key]:
        return self._order.keys

    def get(self, object_id: str) -> T | None:
        return self.by_id.get(object_id)

    def add(self, object_id: str, created_at: str, item: T) -> Key:
        """Insert or replace; returns the object's creation key."""
        if object_id in self.by_id:
            self.remove(object_id)
        key = (created_at, object_id)
        self.by_id[object_id] = item
        self._keys[object_id] = key
        self._order.add(key)
        return key

    def remove(self, object_id: str) -> T | None:
        item = self.by_id.pop(object_id, None)
        if item is not None:
            self._order.discard(self._keys.pop(object_id))
        return item

    def key(self, object_id: str) -> Key | None:
        """A cursor's position: the live object's key, else the time encoded in its id."""
        return self._keys.get(object_id) or key_from_id(object_id)

    def keys_for(self, ids: Iterable[str]) -> list[Key]:
        """Sorted keys of a small ad-hoc subset (an intersection or a union of lookups)."""
        keys = self._keys
        return sorted(keys[i] for i in set(ids) if i in keys)


@dataclass(frozen=True)
class ListParams:
    limit: int = 10
    order: str = "desc"
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Page:
    ids: list[str]
    before: str | None
    after: str | None


class BadCursor(ValueError):
    """A ``before``/``after`` id that names no position in the list."""


def paginate(
    keys: Sequence[Key],
    params: ListParams,
    locate: Callable[[str], Key | None],
    keep: Callable[[str], bool] | None = None,
) -> Page:
    """One page of ``keys`` (sorted ascending) under WorkOS cursor semantics.

    ``asc``/``desc``: ``after`` continues past the cursor in the listing's order and
    ``before`` returns the page just ahead of it; ``list_metadata.after`` is the last
    id when more follow, ``list_metadata.before`` the first id when some precede.
    ``normal`` lists newest first but ``before`` means older and ``after`` newer.
    ``keep`` filters ids while walking, so a page costs about ``limit`` steps, not a scan.
    """
    n, limit = len(keys), params.limit
    before, after = params.before, params.after
    if params.order == "normal":
        before, after = after, before
    ascending = params.order == "asc"

    def position(cursor: str) -> Key:
        key = locate(cursor)
        if key is None:
            raise BadCursor(cursor)
        return key

    def at(step: int) -> str:
        """The id at a position in listing order (0 = first listed)."""
        return keys[step if ascending else n - 1 - step][1]

    def passes(step: int) -> bool:
        return keep is None or keep(at(step))

    # The window of listing positions [lo, hi) between the cursors.
    lo, hi = 0, n
    if after is not None:
        key = position(after)
        lo = bisect_right(keys, key) if ascending else n - bisect_left(keys, key)
    if before is not None:
        key = position(before)
        hi = bisect_left(keys, key) if ascending else n - bisect_right(keys, key)
    chosen: list[int] = []
    if before is not None and after is None:
        step = hi - 1  # the page nearest the before-cursor, walking backwards
        while step >= lo and len(chosen) < limit:
            if passes(step):
                chosen.append(step)
            step -= 1
        chosen.reverse()
    else:
        step = lo
        while step < hi and len(chosen) < limit:
            if passes(step):
                chosen.append(step)
            step += 1
    has_prev = bool(chosen) and any(passes(s) for s in range(chosen[0] - 1, -1, -1))
    has_next = bool(chosen) and any(passes(s) for s in range(chosen[-1] + 1, n))
    ids = [at(step) for step in chosen]
    first = ids[0] if ids else None
    last = ids[-1] if ids else None
    if params.order == "normal":
        return Page(ids, last if has_next else None, first if has_prev else None)
    return Page(ids, first if has_prev else None, last if has_next else None)

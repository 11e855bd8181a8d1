"""Pure parts of the WorkOS emulator: ids, timestamps, collections, cursor pagination."""

from __future__ import annotations

import re

import pytest

from stytch2workos_emulators.workos.store import (
    BadCursor,
    Collection,
    IdFactory,
    KeyIndex,
    ListParams,
    iso_from_ms,
    key_from_id,
    paginate,
)

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def make_keys(count: int) -> list[tuple[str, str]]:
    """Ascending keys item_00 .. item_NN, one second apart."""
    return [(iso_from_ms(1_700_000_000_000 + i * 1000), f"item_{i:02d}") for i in range(count)]


def locate(keys: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    return {object_id: key for key, object_id in ((k, k[1]) for k in keys)}


def ids(numbers: list[int]) -> list[str]:
    return [f"item_{i:02d}" for i in numbers]


def test_iso_from_ms_is_utc_with_milliseconds() -> None:
    assert iso_from_ms(0) == "1970-01-01T00:00:00.000Z"
    assert iso_from_ms(1_768_478_400_123) == "2026-01-15T12:00:00.123Z"


def test_ids_are_prefixed_ulids_sorted_and_carry_their_creation_time() -> None:
    ticks = iter([1000.0005] * 3 + [999.0])  # a repeated millisecond, then a clock step back
    factory = IdFactory(clock=lambda: next(ticks))
    stamped = [factory.stamp("user") for _ in range(4)]
    made = [object_id for object_id, _ in stamped]
    assert all(i.startswith("user_") and ULID.fullmatch(i[5:]) for i in made)
    assert made == sorted(made) and len(set(made)) == 4
    assert {created for _, created in stamped} == {"1970-01-01T00:16:40.000Z"}
    assert key_from_id(made[0]) == ("1970-01-01T00:16:40.000Z", made[0])


@pytest.mark.parametrize("foreign", ["user_123", "org_" + "!" * 26, "plain"])
def test_key_from_id_rejects_foreign_ids(foreign: str) -> None:
    assert key_from_id(foreign) is None


def test_collection_keeps_creation_order_across_out_of_order_inserts_and_removals() -> None:
    items: Collection[str] = Collection()
    items.add("b", "2026-01-02T00:00:00.000Z", "B")
    items.add("a", "2026-01-01T00:00:00.000Z", "A")
    items.add("c", "2026-01-03T00:00:00.000Z", "C")
    assert list(items) == ["A", "B", "C"]
    assert items.remove("b") == "B" and items.remove("b") is None
    items.add("a", "2026-01-04T00:00:00.000Z", "A2")  # replacing moves it
    assert list(items) == ["C", "A2"] and len(items) == 2
    assert items.keys_for({"a", "c", "zz"}) == [
        ("2026-01-03T00:00:00.000Z", "c"),
        ("2026-01-04T00:00:00.000Z", "a"),
    ]


# (params, expected ids, expected list_metadata.before, expected list_metadata.after) over 7 items
CASES = [
    (ListParams(3, "desc"), [6, 5, 4], None, 4),
    (ListParams(3, "desc", after="item_04"), [3, 2, 1], 3, 1),
    (ListParams(3, "desc", after="item_01"), [0], 0, None),
    (ListParams(3, "desc", before="item_01"), [4, 3, 2], 4, 2),
    (ListParams(3, "desc", before="item_05"), [6], None, 6),
    (ListParams(3, "asc"), [0, 1, 2], None, 2),
    (ListParams(3, "asc", after="item_02"), [3, 4, 5], 3, 5),
    (ListParams(3, "asc", after="item_05"), [6], 6, None),
    (ListParams(3, "asc", before="item_05"), [2, 3, 4], 2, 4),
    (ListParams(3, "asc", before="item_01"), [0], None, 0),
    (ListParams(10, "asc", before="item_05", after="item_01"), [2, 3, 4], 2, 4),
    (ListParams(3, "normal"), [6, 5, 4], 4, None),
    (ListParams(3, "normal", before="item_04"), [3, 2, 1], 1, 3),
    (ListParams(3, "normal", after="item_01"), [4, 3, 2], 2, 4),
    (ListParams(100, "desc"), [6, 5, 4, 3, 2, 1, 0], None, None),
]


@pytest.mark.parametrize(("params", "expected", "before", "after"), CASES)
def test_paginate(params: ListParams, expected: list[int], before: int | None, after: int | None) -> None:
    keys = make_keys(7)
    page = paginate(keys, params, locate(keys).get)
    assert page.ids == ids(expected)
    assert page.before == (None if before is None else f"item_{before:02d}")
    assert page.after == (None if after is None else f"item_{after:02d}")


@pytest.mark.parametrize("order", ["asc", "desc", "normal"])
def test_following_cursors_visits_every_item_once(order: str) -> None:
    keys = make_keys(11)
    seen: list[str] = []
    params = ListParams(4, order)
    cursor_name = "before" if order == "normal" else "after"
    while True:
        page = paginate(keys, params, locate(keys).get)
        seen += page.ids
        cursor = getattr(page, cursor_name)
        if cursor is None:
            break
        params = ListParams(4, order, **{cursor_name: cursor})
    expected = ids(list(range(11)))
    assert seen == (expected if order == "asc" else expected[::-1])


def test_a_deleted_cursor_keeps_its_place_through_the_time_in_its_id() -> None:
    factory = IdFactory(clock=iter([1.0, 2.0, 3.0]).__next__)
    items: Collection[str] = Collection()
    made = []
    for _ in range(3):
        object_id, created = factory.stamp("org")
        items.add(object_id, created, object_id)
        made.append(object_id)
    items.remove(made[1])
    page = paginate(items.sorted_keys, ListParams(10, "asc", after=made[1]), items.key)
    assert page.ids == [made[2]]


def test_an_unknown_foreign_cursor_is_refused() -> None:
    keys = make_keys(3)
    with pytest.raises(BadCursor):
        paginate(keys, ListParams(after="nope"), locate(keys).get)


def test_empty_list() -> None:
    page = paginate([], ListParams(), lambda _: None)
    assert (page.ids, page.before, page.after) == ([], None, None)


FILTERED = [  # over 10 items keeping the even ones
    (ListParams(2, "asc"), [0, 2], None, 2),
    (ListParams(2, "asc", after="item_02"), [4, 6], 4, 6),
    (ListParams(2, "asc", after="item_05"), [6, 8], 6, None),
    (ListParams(2, "asc", after="item_06"), [8], 8, None),
    (ListParams(2, "desc", before="item_03"), [6, 4], 6, 4),
    (ListParams(3, "desc", after="item_01"), [0], 0, None),
]


@pytest.mark.parametrize(("params", "expected", "before", "after"), FILTERED)
def test_paginate_filters_while_walking(
    params: ListParams, expected: list[int], before: int | None, after: int | None
) -> None:
    keys = make_keys(10)
    page = paginate(keys, params, locate(keys).get, keep=lambda i: int(i[-2:]) % 2 == 0)
    assert page.ids == ids(expected)
    assert page.before == (None if before is None else f"item_{before:02d}")
    assert page.after == (None if after is None else f"item_{after:02d}")


def test_key_index_keeps_ids_sorted_and_unique() -> None:
    index = KeyIndex()
    keys = make_keys(4)
    for key in (keys[2], keys[0], keys[3], keys[0]):
        index.add(key)
    assert list(index) == ["item_00", "item_02", "item_03"] and len(index) == 3
    index.discard(keys[2])
    index.discard(keys[1])  # never added: ignored
    assert "item_02" not in index and "item_03" in index and index.keys == [keys[0], keys[3]]

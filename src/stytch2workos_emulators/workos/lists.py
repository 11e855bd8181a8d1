"""Paginated list endpoints: query parameters in, ``{object: list, data, list_metadata}`` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from stytch2workos_emulators.server.http import Request
from stytch2workos_emulators.workos.errors import field_error
from stytch2workos_emulators.workos.store import BadCursor, Collection, Key, ListParams, paginate

T = TypeVar("T")
ORDERS = ("desc", "asc", "normal")
MAX_LIMIT = 100


def list_params(request: Request) -> ListParams:
    """``limit`` (1-100, default 10), ``order`` (desc default, asc, normal), ``before``, ``after``."""
    raw_limit = request.q("limit")
    limit = 10
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            field_error("limit", "invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}.")
    order = request.q("order") or "desc"
    if order not in ORDERS:
        field_error("order", "invalid_order", "order must be one of: desc, asc, normal.")
    return ListParams(limit, order, request.q("before") or None, request.q("after") or None)


def list_page(
    request: Request,
    collection: Collection[T],
    render: Callable[[T], dict[str, Any]],
    keys: Sequence[Key] | None = None,
    keep: Callable[[T], bool] | None = None,
) -> dict[str, Any]:
    """One page of ``collection``, or of the sorted ``keys`` of an index; ``keep`` filters."""
    params = list_params(request)
    by_id = collection.by_id
    wanted = None if keep is None else (lambda object_id: keep(by_id[object_id]))
    try:
        page = paginate(collection.sorted_keys if keys is None else keys, params, collection.key, wanted)
    except BadCursor as exc:
        name = "before" if params.before == str(exc) else "after"
        field_error(name, "invalid_cursor", f"'{exc}' is not a valid {name} cursor for this list.")
    return {
        "object": "list",
        "data": [render(by_id[i]) for i in page.ids],
        "list_metadata": {"before": page.before, "after": page.after},
    }

"""The export's per-organization connection reads, on threads beside the member searches.

Member searches are paced at Stytch's search budget (100 a minute), so the members
stage of a large project takes minutes, and the SSO and SCIM reads (one or two per
organization, under the separate budget for other reads) would add their own
minutes if they waited for it. They run on reader threads instead, started once
the organizations are known.

Reader threads only talk to Stytch. What they find goes through a queue to the
thread that runs the export, which stores it between member pages: the workspace
connection has a single writer, so no reader can still be writing when the
workspace closes, and a reader that outlives the export (one stuck in a slow
request after Ctrl-C) has nothing left to touch but the network. An organization
is stored, with its checkpoint, in one transaction, so after a ``kill -9`` the
organizations not yet stored are read again and the others are not.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from stytch2workos import stopping
from stytch2workos.source.client import StytchSource

# (kind, connection) pairs: kind is saml, oidc, external or scim.
Found = list[tuple[str, dict[str, Any]]]
# How often a caller waiting for the last results looks for a stop request.
_POLL_SECONDS = 0.2


def fetch_connections(source: StytchSource, org: dict[str, Any]) -> Found:
    """Every SSO connection of one organization, and its SCIM connection when it has one."""
    found: Found = []
    for kind, items in source.sso_connections(org["organization_id"]).items():
        found.extend((kind.removesuffix("_connections"), c) for c in items)
    if org.get("scim_active_connection"):
        scim = source.scim_connection(org["organization_id"])
        if scim is not None:
            found.append(("scim", scim))
    return found


class ConnectionReads:
    """Reads the connections of ``orgs`` on up to ``workers`` threads; use as a context manager.

    :meth:`ready` hands over what has been read so far, :meth:`rest` waits for the
    remainder; a reader's error is raised by either, in the caller's thread, after the
    results that arrived before it. Leaving the context stops the readers: each
    finishes at most the organization it is reading.
    """

    def __init__(self, source: StytchSource, orgs: Sequence[dict[str, Any]], workers: int) -> None:
        self._source = source
        self._todo: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        for org in orgs:
            self._todo.put(org)
        self._results: queue.SimpleQueue[tuple[str, Found | Exception]] = queue.SimpleQueue()
        self._halt = threading.Event()
        self._error: Exception | None = None  # a reader's, raised at the next hand-over
        self.outstanding = len(orgs)  # organizations whose result has not been handed over
        # Daemons: a reader stuck in a request must not hold the process open after a stop.
        self._threads = [
            threading.Thread(target=self._read, name=f"export-connections-{n}", daemon=True)
            for n in range(min(max(1, workers), len(orgs)))
        ]

    def __enter__(self) -> ConnectionReads:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._halt.set()
        if kind is None:
            # Everything was handed over, so every reader has found the queue empty.
            for thread in self._threads:
                thread.join()

    def _read(self) -> None:
        while not self._halt.is_set():
            try:
                org = self._todo.get_nowait()
            except queue.Empty:
                return
            org_id = str(org["organization_id"])
            try:
                found = fetch_connections(self._source, org)
            except Exception as exc:  # handed to the export's thread, which raises it
                self._halt.set()  # the export ends on it: the other readers stop too
                self._results.put((org_id, exc))
                return
            self._results.put((org_id, found))

    def _take(self, wait: bool) -> list[tuple[str, Found]]:
        """The results that have arrived, after waiting for at least one when ``wait``.

        A reader's error is raised once the results that arrived before it are handed over.
        """
        if self._error is not None:
            raise self._error
        taken: list[tuple[str, Found]] = []
        while self.outstanding:
            try:
                if wait and not taken:
                    org_id, result = self._results.get(timeout=_POLL_SECONDS)
                else:
                    org_id, result = self._results.get_nowait()
            except queue.Empty:
                if taken or not wait:
                    break
                stopping.check()
                continue
            if isinstance(result, Exception):
                if not taken:
                    raise result
                self._error = result
                break
            self.outstanding -= 1
            taken.append((org_id, result))
        return taken

    def ready(self) -> list[tuple[str, Found]]:
        """(organization id, connections) for each organization read since the last call."""
        return self._take(wait=False)

    def rest(self) -> Iterator[list[tuple[str, Found]]]:
        """Every result not handed over yet, in batches as they arrive, until the readers finish."""
        while self.outstanding or self._error is not None:
            yield self._take(wait=True)

"""A small ASGI layer shared by both emulators.

Routing works on the *raw* path split on ``/`` before percent-decoding, so an
external id such as ``a%2Fb`` stays one segment (both SDKs quote path segments
with ``safe=""``). Handlers take a :class:`Request` and return a
:class:`Response`, synchronously or as a coroutine.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

JSON = Any


class HTTPError(Exception):
    """Raised by handlers to return an already-built error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    method: str
    segments: tuple[str, ...]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    route_name: str = ""
    _json: JSON = None
    _json_parsed: bool = False

    def json(self) -> JSON:
        """The body as JSON; ``{}`` for an empty body. Raises ``ValueError`` if malformed."""
        if not self._json_parsed:
            text = self.body.decode("utf-8") if self.body else ""
            self._json = json.loads(text) if text.strip() else {}
            self._json_parsed = True
        return self._json

    def q(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def q_list(self, name: str) -> list[str]:
        """A list parameter sent as ``a,b`` (WorkOS SDK), ``name[]=a`` or repeated keys."""
        raw = self.query.get(name, []) + self.query.get(name + "[]", [])
        out: list[str] = []
        for item in raw:
            out.extend(part for part in item.split(",") if part)
        return out


@dataclass
class Response:
    status: int
    body: JSON = None
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the fault layer: close the connection instead of answering.
    drop: bool = False
    # Set by the fault layer: send these bytes as the body instead of ``body`` as JSON.
    raw_body: bytes | None = None


Handler = Callable[[Request], "Response | Awaitable[Response]"]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    parts: tuple[str, ...]
    handler: Handler
    # Rate-limit hits for a request: (budget name, key) pairs.
    buckets: Callable[[Request], list[tuple[str, str]]]

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


def _no_buckets(_: Request) -> list[tuple[str, str]]:
    return []


class Router:
    """Method + path-template routing; ``{name}`` segments capture one raw segment."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        buckets: Callable[[Request], list[tuple[str, str]]] | None = None,
    ) -> None:
        parts = tuple(p for p in template.strip("/").split("/") if p)
        route = Route(method.upper(), template, parts, handler, buckets or _no_buckets)
        self.routes.append(route)

    def match(self, method: str, segments: tuple[str, ...]) -> tuple[Route, dict[str, str]] | None:
        """The first route for the path, preferring literal segments over captures."""
        best: tuple[int, Route, dict[str, str]] | None = None
        path_matched = False
        for route in self.routes:
            if len(route.parts) != len(segments):
                continue
            params: dict[str, str] = {}
            literal = 0
            for part, seg in zip(route.parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    params[part[1:-1]] = seg
                elif part == seg:
                    literal += 1
                else:
                    break
            else:
                path_matched = True
                if route.method != method:
                    continue
                if best is None or literal > best[0]:
                    best = (literal, route, params)
        if best is None:
            return None if not path_matched else (_METHOD_NOT_ALLOWED, {})
        return best[1], best[2]


async def _method_not_allowed(_: Request) -> Response:  # pragma: no cover - sentinel only
    raise AssertionError("sentinel")


_METHOD_NOT_ALLOWED = Route("*", "", (), _method_not_allowed, _no_buckets)


def is_method_not_allowed(route: Route) -> bool:
    return route is _METHOD_NOT_ALLOWED


def parse_scope(scope: Mapping[str, Any], body: bytes) -> Request:
    """Build a Request from an ASGI HTTP scope."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    raw = raw_path.decode("latin-1").split("?", 1)[0]
    segments = tuple(unquote(s) for s in raw.strip("/").split("/") if s)
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    return Request(scope["method"].upper(), segments, query, headers, body)


async def call_handler(handler: Handler, request: Request) -> Response:
    """Run a sync or async handler, turning HTTPError into its response."""
    try:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
    except HTTPError as exc:
        return exc.response
    assert isinstance(result, Response)
    return result


def encode(response: Response) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body bytes; every answer is labelled JSON, as both real APIs send."""
    if response.raw_body is not None:
        body = response.raw_body
    elif response.body is None:
        body = b""
    else:
        body = json.dumps(response.body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in response.headers.items()]
    return headers, body


async def read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def send_response(send: Callable[[dict[str, Any]], Awaitable[None]], response: Response) -> None:
    """Send a response, or start one and abandon it so the server drops the connection."""
    if response.drop:
        # Announce a body that never comes: uvicorn closes the transport when the app returns
        # with the response incomplete, which the client sees as a broken connection.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        return
    headers, body = encode(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""The ASGI application wrapping one emulated service.

Each request goes: control API (``/_emulator/...``, never limited or faulted) →
route match → credentials → rate limits → faults before the handler → handler →
commit-then-fail or garble. The service supplies routes, budgets, error bodies and state.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from stytch2workos_emulators.server.faults import FaultInjector, garble, parse_spec, rule_from_json
from stytch2workos_emulators.server.http import (
    Request,
    Response,
    Router,
    call_handler,
    is_method_not_allowed,
    parse_scope,
    read_body,
    send_response,
)
from stytch2workos_emulators.server.ratelimit import Budget, RateLimiter

CONTROL_PREFIX = "_emulator"


class Service(Protocol):
    """What an emulated API provides to :class:`EmulatorApp`."""

    name: str
    router: Router
    budgets: list[Budget]

    def authenticate(self, request: Request) -> bool: ...
    def unauthorized(self, request: Request) -> Response: ...
    def not_found(self, request: Request) -> Response: ...
    def method_not_allowed(self, request: Request) -> Response: ...
    def bad_json(self, request: Request) -> Response: ...
    def rate_limited(self, request: Request, retry_after: float) -> Response: ...
    def server_error(self, request: Request, status: int) -> Response: ...
    def decorate(self, request: Request, response: Response) -> Response: ...
    def reset(self) -> None: ...
    def load_seed(self, seed: dict[str, Any]) -> None: ...
    def dump(self) -> dict[str, Any]: ...


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.rate_limited = 0
        self.injected_rate_limited = 0
        # Wall-clock time of each route's first and last response, so a benchmark can
        # turn a request count into a rate over exactly the stretch that route was busy.
        self.first_at: dict[str, float] = {}
        self.last_at: dict[str, float] = {}


ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


class EmulatorApp:
    """ASGI app for one service, with rate limits, faults, stats and a control API."""

    def __init__(self, service: Service, fault_seed: int = 0) -> None:
        self.service = service
        self.limiter = RateLimiter(service.budgets)
        self.faults = FaultInjector(fault_seed)
        self.stats = Stats()

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = parse_scope(scope, await read_body(receive))
        if request.segments and request.segments[0] == CONTROL_PREFIX:
            response = self._control(request)
        else:
            response = await self._serve(request)
        await send_response(send, response)

    async def _serve(self, request: Request) -> Response:
        service = self.service
        found = service.router.match(request.method, request.segments)
        if found is None:
            return self._finish(request, service.not_found(request), "(unrouted)")
        route, params = found
        if is_method_not_allowed(route):
            return self._finish(request, service.method_not_allowed(request), "(unrouted)")
        request.params, request.route_name = params, route.name
        if not service.authenticate(request):
            return self._finish(request, service.unauthorized(request), route.name)
        wait = self.limiter.check(route.buckets(request))
        if wait is not None:
            self.stats.rate_limited += 1
            return self._finish(request, service.rate_limited(request, wait), route.name)
        decision = self.faults.decide(route.name, request.method != "GET")
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.before == "hang":
            await asyncio.sleep(decision.hang_seconds)
            return self._finish(request, Response(0, drop=True), route.name)
        if decision.before == "error":
            return self._finish(request, service.server_error(request, decision.error_status), route.name)
        if decision.before == "rate_limit":
            self.stats.injected_rate_limited += 1
            response = service.rate_limited(request, decision.retry_after)
            return self._finish(request, response, route.name)
        try:
            request.json()
        except (ValueError, UnicodeDecodeError):
            return self._finish(request, service.bad_json(request), route.name)
        response = await call_handler(route.handler, request)
        if decision.commit_then_fail == "drop" and response.status < 400:
            response = Response(0, drop=True)
        elif decision.commit_then_fail == "500" and response.status < 400:
            response = service.server_error(request, 500)
        elif decision.garble is not None:
            garbled = garble(response, decision.garble)
            if garbled is None:
                self.faults.unfire(decision)
            else:
                response = garbled
        return self._finish(request, response, route.name)

    def _finish(self, request: Request, response: Response, route_name: str) -> Response:
        self.stats.requests[route_name] += 1
        now = time.time()
        self.stats.first_at.setdefault(route_name, now)
        self.stats.last_at[route_name] = now
        self.stats.statuses["dropped" if response.drop else str(response.status)] += 1
        return response if response.drop else self.service.decorate(request, response)

    # -- control API -------------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        try:
            return self._control_inner(request)
        except (ValueError, TypeError, KeyError) as exc:
            return Response(400, {"error": str(exc)})

    def _control_inner(self, request: Request) -> Response:
        action = "/".join(request.segments[1:])
        method = request.method
        if action == "reset" and method == "POST":
            self.service.reset()
            self.faults.set_rules([])
            self.faults.fired.clear()
            self.limiter.reset()
            self.stats.reset()
            return Response(200, {"ok": True})
        if action == "seed" and method == "POST":
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError("a seed is a JSON object")
            self.service.load_seed(body)
            return Response(200, {"ok": True})
        if action == "state" and method == "GET":
            return Response(200, self.service.dump())
        if action == "faults":
            if method == "GET":
                return Response(200, {"rules": [r.to_json() for r in self.faults.rules]})
            if method == "DELETE":
                self.faults.set_rules([])
                return Response(200, {"rules": []})
            if method in ("PUT", "POST"):
                body = request.json()
                if isinstance(body, dict) and "spec" in body:
                    rules = parse_spec(str(body["spec"]))
                else:
                    rules = [rule_from_json(r) for r in body.get("rules", [])]
                self.faults.set_rules(rules, body.get("seed"))
                return Response(200, {"rules": [r.to_json() for r in rules]})
        if action == "rate_limits":
            if method in ("PUT", "POST"):
                self.limiter.set_mode(str(request.json()["mode"]))
            return Response(200, self.limiter.describe())
        if action == "stats":
            if method == "DELETE":
                self.stats.reset()
                self.limiter.reset()
                self.faults.fired.clear()
            return Response(200, self.stats_json())
        # A service may add its own actions (``control(method, action, body)``, None if unknown).
        extra = getattr(self.service, "control", None)
        if extra is not None:
            response: Response | None = extra(method, action, request.json())
            if response is not None:
                return response
        return Response(404, {"error": f"unknown control action {method} /{CONTROL_PREFIX}/{action}"})

    def stats_json(self) -> dict[str, Any]:
        """Request statistics: per route, per status, 429s, and the fullest window per budget."""
        return {
            "requests": dict(self.stats.requests),
            "route_times": {
                route: {"first": first, "last": self.stats.last_at[route]}
                for route, first in self.stats.first_at.items()
            },
            "total_requests": sum(self.stats.requests.values()),
            "statuses": dict(self.stats.statuses),
            "rate_limited": self.stats.rate_limited,
            "injected_rate_limited": self.stats.injected_rate_limited,
            "rate_limited_by_budget": dict(self.limiter.refused),
            "max_in_window": dict(self.limiter.max_in_window),
            "faults_fired": dict(self.faults.fired),
            "rate_limits": self.limiter.describe(),
        }


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is whole seconds (RFC 9110 delay-seconds); never 0 while refusing."""
    return str(max(1, math.ceil(seconds)))

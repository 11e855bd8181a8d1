"""Fault injection for the emulators, configurable per route.

A rule applies to the routes whose name (``"POST /user_management/users"``)
matches its glob. Per matching request, in order: added latency; a hang then a
dropped connection; a 5xx before the handler runs; an injected 429; and, after
the handler has committed its write, one of

* *commit-then-fail*: the client gets a 500 or a dropped connection although the
  change was applied;
* *garble*: the client gets the success status with a body it cannot read,
  ``missing_fields`` (the object reduced to its ``object`` tag, so an SDK model
  that requires ``id`` and friends cannot be built) or ``not_json`` (the JSON cut
  off halfway, still labelled ``application/json``). Only a 2xx answer carrying a
  JSON object is garbled; for any other answer the fault is handed back (not
  counted, ``times`` not spent) with :meth:`FaultInjector.unfire`.

Both after-the-handler faults apply to writes (every method but GET) only, so a
client's lookup after an unknown outcome is answered truthfully.

CLI form (``--faults``): rules separated by ``;``, fields by ``,``, e.g.
``route=POST /user_management/*,commit_then_fail_rate=0.1;latency_ms=20`` or
``route=POST /organizations,garble_rate=1,garble_mode=not_json,times=1``.
"""

from __future__ import annotations

import fnmatch
import json
import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from stytch2workos_emulators.server.http import Response

Outcome = Literal["hang", "error", "rate_limit"]
Garble = Literal["missing_fields", "not_json"]
GARBLE_MODES: tuple[Garble, ...] = ("missing_fields", "not_json")


@dataclass
class FaultRule:
    route: str = "*"
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    hang_rate: float = 0.0
    hang_seconds: float = 5.0
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    commit_then_fail_rate: float = 0.0
    commit_then_fail_mode: Literal["500", "drop"] = "500"
    garble_rate: float = 0.0
    garble_mode: Garble = "missing_fields"
    # How many times the rule may fire a fault (latency excluded); None is unlimited.
    times: int | None = None

    def matches(self, route_name: str) -> bool:
        return fnmatch.fnmatchcase(route_name, self.route)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data


_RATES = ("error_rate", "hang_rate", "rate_limit_rate", "commit_then_fail_rate", "garble_rate")


def rule_from_json(data: dict[str, Any]) -> FaultRule:
    """Validate one rule given as JSON (control API) or parsed from the CLI form."""
    known = {f.name for f in fields(FaultRule)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    values = dict(data)
    if "error_statuses" in values:
        raw = values["error_statuses"]
        items = raw.split("|") if isinstance(raw, str) else raw
        values["error_statuses"] = tuple(int(s) for s in items)
    for name in ("latency_ms", "hang_seconds", "retry_after", *_RATES):
        if name in values:
            values[name] = float(values[name])
    if values.get("times") is not None:
        values["times"] = int(values["times"])
    rule = FaultRule(**values)
    for name in _RATES:
        if not 0.0 <= getattr(rule, name) <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    if rule.commit_then_fail_mode not in ("500", "drop"):
        raise ValueError("commit_then_fail_mode must be 500 or drop")
    if rule.garble_mode not in GARBLE_MODES:
        raise ValueError(f"garble_mode must be one of {', '.join(GARBLE_MODES)}")
    return rule


def parse_spec(spec: str) -> list[FaultRule]:
    """Parse the CLI form into rules."""
    rules: list[FaultRule] = []
    for chunk in spec.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        data: dict[str, Any] = {}
        for item in chunk.split(","):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault field {item!r} is not key=value")
            data[key.strip()] = value.strip()
        rules.append(rule_from_json(data))
    return rules


@dataclass
class Decision:
    latency: float = 0.0
    before: Outcome | None = None
    error_status: int = 500
    hang_seconds: float = 0.0
    retry_after: float = 1.0
    commit_then_fail: Literal["500", "drop"] | None = None
    garble: Garble | None = None
    # The rule that chose ``garble``, so an answer that cannot be garbled hands it back.
    garble_rule: FaultRule | None = None


class FaultInjector:
    """Decides, per request, which faults to apply. Deterministic for a given seed."""

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[FaultRule] = []
        self.random = random.Random(seed)
        self.fired: dict[str, int] = {}

    def set_rules(self, rules: list[FaultRule], seed: int | None = None) -> None:
        self.rules = rules
        if seed is not None:
            self.random.seed(seed)

    def _fire(self, rule: FaultRule, kind: str) -> None:
        if rule.times is not None:
            rule.times -= 1
        self.fired[kind] = self.fired.get(kind, 0) + 1

    def _roll(self, rule: FaultRule, rate: float) -> bool:
        if rate <= 0 or (rule.times is not None and rule.times <= 0):
            return False
        return rate >= 1.0 or self.random.random() < rate

    def decide(self, route_name: str, is_write: bool) -> Decision:
        decision = Decision()
        for rule in self.rules:
            if not rule.matches(route_name):
                continue
            decision.latency += rule.latency_ms / 1000.0
            if decision.before is None:
                if self._roll(rule, rule.hang_rate):
                    decision.before, decision.hang_seconds = "hang", rule.hang_seconds
                    self._fire(rule, "hang")
                elif self._roll(rule, rule.error_rate):
                    decision.before = "error"
                    decision.error_status = self.random.choice(rule.error_statuses)
                    self._fire(rule, "error")
                elif self._roll(rule, rule.rate_limit_rate):
                    decision.before, decision.retry_after = "rate_limit", rule.retry_after
                    self._fire(rule, "rate_limit")
            if (
                is_write
                and decision.before is None
                and decision.commit_then_fail is None
                and decision.garble is None
                and self._roll(rule, rule.commit_then_fail_rate)
            ):
                decision.commit_then_fail = rule.commit_then_fail_mode
                self._fire(rule, "commit_then_fail")
            if (
                is_write
                and decision.before is None
                and decision.commit_then_fail is None
                and decision.garble is None
                and self._roll(rule, rule.garble_rate)
            ):
                decision.garble, decision.garble_rule = rule.garble_mode, rule
                self._fire(rule, "garble")
        return decision

    def unfire(self, decision: Decision) -> None:
        """Hand back a garble the answer could not carry: uncounted, its ``times`` restored."""
        rule = decision.garble_rule
        if rule is None:
            return
        if rule.times is not None:
            rule.times += 1
        # The counters may have been reset while the handler ran.
        left = self.fired.get("garble", 0) - 1
        if left > 0:
            self.fired["garble"] = left
        else:
            self.fired.pop("garble", None)
        decision.garble = decision.garble_rule = None


def garble(response: Response, mode: Garble) -> Response | None:
    """``response`` made unreadable as ``mode`` says, or None if it has no JSON object to spoil."""
    if not 200 <= response.status < 300 or not isinstance(response.body, dict):
        return None
    if mode == "missing_fields":
        # Only the type tag survives: every SDK model needs at least an id besides it.
        kept = {key: value for key, value in response.body.items() if key == "object"}
        return Response(response.status, kept, dict(response.headers))
    text = json.dumps(response.body, separators=(",", ":")).encode()
    # Cut inside the object, so the text can never be complete JSON.
    return Response(response.status, None, dict(response.headers), raw_body=text[: max(1, len(text) // 2)])

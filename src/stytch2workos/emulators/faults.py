"""Fault injection for the emulators, configurable per route.

A rule applies to the routes whose name (``"POST /user_management/users"``)
matches its glob. Per matching request, in order: added latency; a hang then a
dropped connection; a 5xx before the handler runs; an injected 429; and, after
the handler has committed its write, *commit-then-fail*: the client gets a 500 or
a dropped connection although the change was applied.

CLI form (``--faults``): rules separated by ``;``, fields by ``,``, e.g.
``route=POST /user_management/*,commit_then_fail_rate=0.1;latency_ms=20``.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

Outcome = Literal["hang", "error", "rate_limit"]


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
    # How many times the rule may fire a fault (latency excluded); None is unlimited.
    times: int | None = None

    def matches(self, route_name: str) -> bool:
        return fnmatch.fnmatchcase(route_name, self.route)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["error_statuses"] = list(self.error_statuses)
        return data


_RATES = ("error_rate", "hang_rate", "rate_limit_rate", "commit_then_fail_rate")


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
                and self._roll(rule, rule.commit_then_fail_rate)
            ):
                decision.commit_then_fail = rule.commit_then_fail_mode
                self._fire(rule, "commit_then_fail")
        return decision

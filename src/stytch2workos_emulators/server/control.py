"""Client for the emulators' control API (``/_emulator/...``), used by tests, demo and bench."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class EmulatorControl:
    """Drive one emulator: seed, reset, faults, rate-limit mode, state and statistics."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, action: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base_url}/_emulator/{action}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def seed(self, seed: dict[str, Any]) -> None:
        self._call("POST", "seed", seed)

    def set_settings(self, settings: dict[str, Any]) -> None:
        """Switch behaviours of a running emulator (a seed with only ``settings`` adds nothing else)."""
        self.seed({"settings": settings})

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "state")
        return result

    def set_faults(
        self, rules: list[dict[str, Any]] | None = None, *, spec: str | None = None, seed: int = 0
    ) -> None:
        body: dict[str, Any] = {"seed": seed}
        if spec is not None:
            body["spec"] = spec
        else:
            body["rules"] = rules or []
        self._call("PUT", "faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def set_rate_limits(self, mode: str) -> None:
        self._call("PUT", "rate_limits", {"mode": mode})

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

"""Client for the emulators' control API (``/_emulator/...``), used by tests, demo and bench."""

from __future__ import annotations

import json
import time
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

    # -- WorkOS SSO handoff (seed keys and actions described in workos/handoff_seed.py) --------

    def complete_setup(self, organization_id: str, kind: str, **options: Any) -> None:
        """Play the customer finishing Admin Portal setup: ``kind`` is ``sso`` or ``dsync``."""
        self.seed({"complete_setup": [{"organization_id": organization_id, "kind": kind, **options}]})

    def set_object_state(
        self,
        state: str,
        *,
        connection_id: str | None = None,
        directory_id: str | None = None,
        source: str = "dashboard",
    ) -> None:
        """Move one WorkOS connection or directory to ``state`` (events follow)."""
        target = {"connection_id": connection_id} if connection_id else {"directory_id": directory_id}
        self.seed({"set_state": [{**target, "state": state, "source": source}]})

    def add_webhook_endpoint(
        self, endpoint_url: str, secret: str, events: list[str] | None = None
    ) -> dict[str, Any]:
        """Register a WorkOS webhook endpoint (loopback HTTP allowed); returns it as stored."""
        endpoint: dict[str, Any] = {"endpoint_url": endpoint_url, "secret": secret}
        if events is not None:
            endpoint["events"] = events
        self.seed({"webhook_endpoints": [endpoint]})
        stored: dict[str, Any] = next(
            w for w in reversed(self.state()["webhook_endpoints"]) if w["endpoint_url"] == endpoint_url
        )
        return stored

    def set_connections_api(self, enabled: bool) -> None:
        """Switch the WorkOS environment's Create Connection API on or off (off: POST is a 404)."""
        self.seed({"feature_flags": {"connections_api": enabled}})

    def webhook_deliveries(self, *, settle: float = 0.0) -> list[dict[str, Any]]:
        """WorkOS webhook delivery records; with ``settle``, wait up to that many seconds
        for every delivery to finish (delivered, failed or skipped)."""
        deadline = time.monotonic() + settle
        while True:
            records: list[dict[str, Any]] = self.state()["webhook_deliveries"]
            if time.monotonic() >= deadline or all(r["status"] != "pending" for r in records):
                return records
            time.sleep(0.02)

    # -- Stytch webhooks (stytch/webhooks.py) ----------------------------------------------

    def add_stytch_webhook_endpoint(self, url: str, secret: str) -> dict[str, Any]:
        """Register a Stytch webhook endpoint (``whsec_`` secret); returns ``{id, url}``."""
        result: dict[str, Any] = self._call("POST", "stytch/webhooks", {"url": url, "secret": secret})
        return result

    def set_stytch_webhook_settings(self, **settings: Any) -> dict[str, Any]:
        """Delivery knobs: ``retry_scale``, ``timeout``, ``duplicate``, ``reorder_window``."""
        result: dict[str, Any] = self._call("PUT", "stytch/webhook_settings", settings)
        return result

    def stytch_change(
        self, source: str, operation: str, body: dict[str, Any] | None = None, **params: str
    ) -> dict[str, Any]:
        """Make a Stytch write as ``dashboard`` or ``scim`` would (its event says so).

        ``operation``: create/update/delete_organization, create/update/delete/reactivate_member;
        ``params``: ``organization_id`` and ``member_id`` as the API path takes them.
        """
        change = {"source": source, "operation": operation, "params": params, "body": body or {}}
        result: dict[str, Any] = self._call("POST", "stytch/change", change)
        return result

    def stytch_webhook_deliveries(self, *, settle: float = 0.0, count: int = 0) -> list[dict[str, Any]]:
        """Stytch webhook deliveries; with ``settle``, wait up to that many seconds for at
        least ``count`` of them and for every one to finish (delivered, failed or skipped)."""
        deadline = time.monotonic() + settle
        while True:
            records: list[dict[str, Any]] = self._call("GET", "stytch/webhook_deliveries")["deliveries"]
            finished = len(records) >= count and all(r["status"] != "pending" for r in records)
            if finished or time.monotonic() >= deadline:
                return records
            time.sleep(0.02)

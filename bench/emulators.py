"""Emulator throughput: simple GETs per second, limits and faults off.

Tests and rehearsals lean on the emulators; if they were slow, a benchmark of the
tool would measure the emulator instead. The client runs in this process (the
emulators in their own), over keep-alive connections from a few threads.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.project import generate_project

from ._common import BenchResult, Context, at_least, log
from ._servers import EmulatorConfig, Emulators

TARGET_RPS = 1000.0
THREADS = 2


def _hammer(base_url: str, path: str, headers: dict[str, str], seconds: float) -> tuple[int, float, int]:
    """GET ``path`` from ``THREADS`` keep-alive connections; (responses, seconds, errors)."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    counts = [0] * THREADS
    errors = [0] * THREADS
    barrier = threading.Barrier(THREADS + 1)
    stop_at = [0.0]

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        # Warm the connection so setup is not counted.
        conn.request("GET", path, headers=headers)
        conn.getresponse().read()
        barrier.wait()
        n = bad = 0
        while time.perf_counter() < stop_at[0]:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            n += 1
            if response.status != 200:
                bad += 1
        counts[slot], errors[slot] = n, bad
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600  # replaced below once everyone is ready
    barrier.wait()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - start, sum(errors)


def _create_workos_org(base_url: str) -> str:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    conn.request(
        "POST",
        "/organizations",
        body=json.dumps({"name": "Bench Org"}),
        headers={"Authorization": f"Bearer {defaults.WORKOS_API_KEY}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"creating a WorkOS organization failed: {response.status} {body}")
    return str(body["id"])


def run(ctx: Context) -> BenchResult:
    """Requests per second each emulator serves to a keep-alive client."""
    seconds = 1.5 if ctx.quick else 5.0
    result = BenchResult("emulators")
    with Emulators(EmulatorConfig(rate_limits="off"), ctx.work / "emulators") as emu:
        project = generate_project(1, 1, 1)
        emu.stytch.seed(project.seed)
        org_id = project.seed["organizations"][0]["organization_id"]
        token = base64.b64encode(f"{defaults.STYTCH_PROJECT_ID}:{defaults.STYTCH_SECRET}".encode()).decode()
        cases = [
            (
                "stytch",
                "GET /v1/b2b/organizations/{id}",
                emu.stytch_url,
                f"/v1/b2b/organizations/{org_id}",
                {"Authorization": f"Basic {token}"},
            ),
            (
                "workos",
                "GET /organizations/{id}",
                emu.workos_url,
                f"/organizations/{_create_workos_org(emu.workos_url)}",
                {"Authorization": f"Bearer {defaults.WORKOS_API_KEY}"},
            ),
        ]
        for name, route, base_url, path, headers in cases:
            log(f"emulators: {name} {route} for {seconds:g}s from {THREADS} keep-alive threads")
            count, elapsed, errors = _hammer(base_url, path, headers, seconds)
            rps = count / elapsed
            log(f"emulators: {name} served {count:,} requests, {rps:,.0f}/s, {errors} non-200")
            result.metrics.append(at_least(f"{name} {route}", rps, TARGET_RPS, "req/s"))
            result.details[name] = {
                "route": route,
                "requests": count,
                "seconds": round(elapsed, 3),
                "requests_per_second": round(rps, 1),
                "non_200": errors,
                "threads": THREADS,
            }
            if errors:
                result.metrics[-1].ok = False
    return result

"""Webhook path latency: a change in the Stytch emulator → the write in the WorkOS emulator.

A generated project is exported and imported (not measured) under both APIs' real rate
limits; ``sync --listen`` then runs as an operator would, with the Stytch emulator delivering Svix-signed webhooks to it on
Svix's real schedule. Members are renamed one at a time through the official SDK, each
after the previous one reached WorkOS, so there is never a backlog. The tool records each
event's lag (Stytch's event timestamp → the WorkOS write done); this benchmark also times
each change from the SDK call to the moment the workspace shows it applied (which adds
up to one 20 ms poll). Target: p95 ≤ 5 s (issue #12).
"""

from __future__ import annotations

import base64
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from stytch import B2BClient

from stytch2workos_emulators import defaults

from ._common import BenchResult, Context, at_most, cli_env, info, log, run_cli
from ._servers import EmulatorConfig, Emulators
from .import_speed import blocking_codes, role_slugs, roles_seed

SECRET = "whsec_" + base64.b64encode(b"fake-benchmark-key-not-a-secret!").decode()
TARGET_P95 = 5.0
APPLY_TIMEOUT = 30.0


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def applied(workspace: Path) -> tuple[int, list[float]]:
    """How many events are applied, and their recorded lags (read-only)."""
    db = sqlite3.connect(f"file:{workspace / 'workspace.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT status, lag_seconds FROM stytch_events ORDER BY seq").fetchall()
    except sqlite3.Error:
        return 0, []
    finally:
        db.close()
    done = [float(lag) for status, lag in rows if status in ("applied", "failed") and lag is not None]
    return sum(1 for status, _ in rows if status in ("applied", "failed")), done


def start_listener(workspace: Path, env: dict[str, str], logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``sync --listen 0`` in the background; its URL once it listens."""
    err = logs.with_suffix(".err").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stytch2workos",
            "sync",
            "-w",
            str(workspace),
            "--listen",
            "0",
            "--yes",
            "--json",
        ],
        env={**env, "STYTCH_WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=err,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    if '"listening"' not in first:
        proc.kill()
        raise RuntimeError(f"sync --listen did not start: {first!r}; see {err.name}")
    url = first.split('"listening": "', 1)[1].split('"', 1)[0]
    # Keep reading its JSON lines so the pipe never fills.
    stream = proc.stdout
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()
    return proc, url


def run(ctx: Context) -> BenchResult:
    changes, members, orgs = ctx.size(200, 40), ctx.size(400, 60), ctx.size(10, 4)
    result = BenchResult("sync_listen")
    work = ctx.work / "sync_listen"
    workspace = work / "workspace"
    with Emulators(EmulatorConfig(rate_limits="real", generate=(orgs, members, 12)), work) as emu:
        env = cli_env(emu.stytch_url, emu.workos_url)
        log(f"sync_listen: export and import of {members:,} members (not measured)")
        run_cli(
            ["export", "-w", str(workspace), "--json"],
            env,
            logs=work / "export",
        )
        run_cli(["init", "-w", str(workspace)], env, logs=work / "init")
        emu.workos.seed(roles_seed(role_slugs(workspace / "migration.toml")))
        args = ["import", "-w", str(workspace), "--yes", "--json"]
        for code in blocking_codes(workspace, env, work / "plan"):
            args += ["--accept", code]
        run_cli(args, env, logs=work / "import", expect=(0, 1))
        active = [m for m in emu.stytch.state()["members"] if m["status"] == "active"]
        proc, url = start_listener(workspace, env, work / "listen")
        try:
            emu.stytch.add_stytch_webhook_endpoint(url + "stytch", SECRET)
            client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=emu.stytch_url)
            log(f"sync_listen: {changes} member renames, one at a time, through the webhook path")
            observed: list[float] = []
            for n in range(changes):
                member = active[n % len(active)]
                started = time.time()
                client.organizations.members.update(
                    member["organization_id"], member["member_id"], name=f"Renamed {n}"
                )
                deadline = time.monotonic() + APPLY_TIMEOUT
                while applied(workspace)[0] < n + 1:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(f"change {n} was not applied within {APPLY_TIMEOUT:g} s")
                    time.sleep(0.02)
                observed.append(time.time() - started)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    done, lags = applied(workspace)
    p50, p95 = percentile(lags, 50), percentile(lags, 95)
    result.metrics += [
        info("events applied", done),
        info("lag p50 (tool)", p50, "s"),
        at_most("lag p95 (tool)", p95, TARGET_P95, "s"),
        info("change → applied p50 (observed)", percentile(observed, 50), "s"),
        at_most("change → applied p95 (observed)", percentile(observed, 95), TARGET_P95, "s"),
    ]
    result.details = _details(lags, observed, changes)
    return result


def _details(lags: list[float], observed: list[float], changes: int) -> dict[str, Any]:
    return {
        "changes": changes,
        "lag_seconds": {"p50": percentile(lags, 50), "p95": percentile(lags, 95), "max": max(lags, default=None),
                        "mean": statistics.fmean(lags) if lags else None},
        "observed_seconds": {"p50": percentile(observed, 50), "p95": percentile(observed, 95),
                             "max": max(observed, default=None)},
    }  # fmt: skip

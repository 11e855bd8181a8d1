"""Import speed under WorkOS's real limits with 100 ms of latency on every request.

WorkOS allows 500 user-management writes per 10 s (50/s). With a round trip of
100 ms, a loop that waits for each answer manages a handful per second; the tool
keeps a pool of requests in flight under its token buckets to run near the budget
without a 429. Measured from the emulator's own counts, over the people phase:
the write rate ÷ 50/s, 429s, records failed for rate limits, the CPU time per
member imported, and the speed-up over the sequential SDK loop in ``_baseline``
on a sample of the same members against an identically configured emulator.
"""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path
from typing import Any

from ._baseline import run_baseline, sample_members
from ._common import (
    BenchResult,
    Context,
    at_least,
    at_most,
    cli_env,
    info,
    log,
    measure_cli,
    run_cli,
)
from ._servers import EmulatorConfig, Emulators

WRITE_BUDGET_PER_SECOND = 50.0  # 500 per 10 s
LATENCY_MS = 100.0
TARGET_RATIO = 0.90
TARGET_SPEEDUP = 4.0


def role_slugs(config_path: Path) -> list[str]:
    """Every WorkOS slug ``init`` proposed in ``[roles.map]``."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    return sorted(set(data["roles"]["map"].values()))


def roles_seed(slugs: list[str]) -> dict[str, Any]:
    return {"roles": [{"slug": slug, "name": slug.replace("_", " ").title()} for slug in slugs]}


def write_rate(stats: dict[str, Any]) -> tuple[int, float, float | None]:
    """(writes, seconds, writes/s) over ``/user_management/*`` writes, first to last response."""
    routes = [
        r
        for r in stats["requests"]
        if r.startswith(("POST ", "PUT ", "DELETE ")) and "/user_management/" in r
    ]
    count = sum(int(stats["requests"][r]) for r in routes)
    times = [stats["route_times"][r] for r in routes if r in stats.get("route_times", {})]
    if count < 2 or not times:
        return count, 0.0, None
    span = max(t["last"] for t in times) - min(t["first"] for t in times)
    return count, span, (count - 1) / span if span > 0 else None


def failure_codes(workspace: Path) -> dict[str, int]:
    """Failed ledger records by code, read-only from the workspace."""
    db = sqlite3.connect(f"file:{workspace / 'workspace.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT COALESCE(code, ''), COUNT(*) FROM ledger WHERE status = 'failed' GROUP BY 1"
        ).fetchall()
    except sqlite3.Error:
        return {}
    finally:
        db.close()
    return {str(code): int(n) for code, n in rows}


def imported_members(ledger: dict[str, dict[str, int]]) -> int:
    return sum(
        ledger.get(kind, {}).get(status, 0)
        for kind in ("membership", "invitation")
        for status in ("created", "reused")
    )


def blocking_codes(workspace: Path, env: dict[str, str], logs: Path) -> list[str]:
    """Codes of the plan's blocking problems, to accept them as an operator would after review."""
    plan = run_cli(["plan", "-w", str(workspace), "--json"], env, logs=logs, expect=(0, 1))
    return sorted({p["code"] for p in plan.json()["problems"] if p["severity"] == "blocking"})


def run(ctx: Context) -> BenchResult:
    """Import a generated project with real limits and latency; then the sequential baseline."""
    orgs, members, sample = ctx.size(100, 20), ctx.size(5_000, 500), ctx.size(300, 60)
    result = BenchResult("import")
    export_file = ctx.export_file(orgs, members, 31)
    workspace = ctx.workspace_from(export_file, "import")
    run_cli(["init", "-w", str(workspace)], cli_env(), logs=ctx.work / "import" / "init")
    slugs = role_slugs(workspace / "migration.toml")
    config = EmulatorConfig(rate_limits="real", latency_ms=LATENCY_MS, workos_seed=roles_seed(slugs))
    with Emulators(config, ctx.work / "import") as emu:
        env = cli_env(workos_url=emu.workos_url)
        accept = blocking_codes(workspace, env, ctx.work / "import" / "plan")
        if accept:
            log(f"import: accepting blocking plan problems {', '.join(accept)}")
        emu.workos.reset_stats()
        log(f"import: stytch2workos import, {members:,} members, real limits, {LATENCY_MS:g} ms latency")
        args = ["import", "-w", str(workspace), "--yes", "--json"]
        for code in accept:
            args += ["--accept", code]
        run_ = measure_cli(args, env, logs=ctx.work / "import" / "cli")
        stats = emu.workos.stats()
    if run_.code not in (0, 1):
        result.error = f"import exited {run_.code}: {run_.stderr.strip()[-300:]}"
        return result
    summary = run_.json()
    writes, span, rate = write_rate(stats)
    ratio = rate / WRITE_BUDGET_PER_SECOND if rate is not None else None
    codes = failure_codes(workspace)
    rate_failures = sum(n for code, n in codes.items() if "rate" in code or "429" in code)
    done = imported_members(summary["ledger"])
    cpu_ms = 1000 * run_.cpu_seconds / done if done else None
    log(
        f"import: {writes:,} writes in {span:.1f}s = {rate or 0:.1f}/s; {stats['rate_limited']} x 429; "
        f"{done:,} members imported; {run_.seconds:.0f}s in all"
    )

    members_sample, sample_orgs = sample_members(export_file, sample)
    log(f"import: baseline, the guide's sequential SDK loop over {len(members_sample)} members")
    with Emulators(config, ctx.work / "import-baseline") as emu:
        baseline = run_baseline(emu.workos_url, members_sample, sample_orgs)
    log(
        f"import: baseline {baseline.writes} writes in {baseline.seconds:.1f}s = {baseline.writes_per_second:.1f}/s"
    )
    speedup = rate / baseline.writes_per_second if rate and baseline.writes_per_second else None

    result.metrics = [
        at_least("write rate ÷ 50/s", ratio, TARGET_RATIO),
        at_most("records failed for rate limits", rate_failures, 0),
        info("429s sent by WorkOS", int(stats["rate_limited"])),
        info("records failed (any reason)", sum(codes.values())),
        info("CPU per member", cpu_ms, "ms"),
        info("baseline writes/s", baseline.writes_per_second, "/s"),
        at_least("speed-up over sequential SDK loop", speedup, TARGET_SPEEDUP, "x"),
        info("import peak RSS", run_.peak_rss_mb, "MB"),
    ]
    result.details = {
        "organizations": orgs,
        "members": members,
        "role_slugs": slugs,
        "accepted": accept,
        "writes": writes,
        "people_phase_seconds": round(span, 3),
        "writes_per_second": rate,
        "ratio": ratio,
        "max_in_window": stats["max_in_window"],
        "rate_limited": stats["rate_limited"],
        "requests": stats["requests"],
        "ledger": summary["ledger"],
        "failure_codes": codes,
        "retries": summary.get("retries"),
        "members_imported": done,
        "cpu_ms_per_member": cpu_ms,
        "cli": run_.describe(),
        "baseline": {
            "members": baseline.members,
            "writes": baseline.writes,
            "seconds": round(baseline.seconds, 3),
            "writes_per_second": baseline.writes_per_second,
        },
        "speedup": speedup,
    }
    return result

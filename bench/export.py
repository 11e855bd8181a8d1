"""Export pacing: how close the members stage runs to Stytch's search budget, without a 429.

Stytch allows 100 member searches per minute (fixed windows aligned to the clock).
A 100,000-member generated project over 2,000 organizations takes about 110 pages
of 1,000 members. The achieved rate is measured by the emulator, from its first to
its last members-search response, against the budget the tool was given.

The windows are the real ones: every page carries 1,000 members that the tool must
parse and store before asking for the next, so squeezing the window would measure
page handling rather than pacing. ``SCALE`` shortens windows (``scaled:K``) and
raises the tool's budget to match, for machines fast enough to keep up.
"""

from __future__ import annotations

from typing import Any

from ._common import BenchResult, Context, at_least, at_most, cli_env, equals, info, log, measure_cli
from ._servers import EmulatorConfig, Emulators

MEMBERS_SEARCH = "POST /v1/b2b/organizations/members/search"
SEARCHES_PER_MINUTE = 100  # Stytch's documented budget per search endpoint
SCALE = 1  # window divisor: 1 is Stytch's real windows
# SSO/SCIM connection reads have no documented limit; the default (20/s) would make
# the connections stage of 2,000 organizations dominate the run without telling us more.
READS_PER_SECOND = 100
TARGET_RATIO = 0.90


def route_rate(stats: dict[str, Any], route: str) -> tuple[int, float, float | None]:
    """(requests, seconds from first to last response, requests per second) for a route."""
    count = int(stats["requests"].get(route, 0))
    times = stats.get("route_times", {}).get(route)
    if count < 2 or not times:
        return count, 0.0, None
    span = float(times["last"]) - float(times["first"])
    # n evenly spaced requests span n - 1 intervals.
    return count, span, (count - 1) / span if span > 0 else None


def run(ctx: Context) -> BenchResult:
    """Export a generated project through the Stytch emulator under its search budget."""
    orgs, members = ctx.size(2_000, 200), ctx.size(100_000, 10_000)
    mode = "real" if SCALE == 1 else f"scaled:{SCALE}"
    budget_per_minute = SEARCHES_PER_MINUTE * SCALE
    result = BenchResult("export")
    log(f"export: generating {members:,} members in {orgs:,} organizations inside the emulator process")
    with Emulators(
        EmulatorConfig(rate_limits=mode, generate=(orgs, members, 11)), ctx.work / "export"
    ) as emu:
        workspace = ctx.work / "export" / "workspace"
        log(f"export: stytch2workos export --searches-per-minute {budget_per_minute} (emulator: {mode})")
        run_ = measure_cli(
            [
                "export",
                "-w",
                str(workspace),
                "--searches-per-minute",
                str(budget_per_minute),
                "--reads-per-second",
                str(READS_PER_SECOND),
                "--json",
            ],
            cli_env(stytch_url=emu.stytch_url),
            logs=ctx.work / "export" / "cli",
        )
        stats = emu.stytch.stats()
    if run_.code != 0:
        result.error = f"export exited {run_.code}: {run_.stderr.strip()[-300:]}"
        return result
    summary = run_.json()
    count, span, rate = route_rate(stats, MEMBERS_SEARCH)
    allowed = budget_per_minute / 60.0
    ratio = rate / allowed if rate is not None else None
    limited = int(stats["rate_limited"]) + int(stats["injected_rate_limited"])
    log(
        f"export: {count} member searches in {span:.1f}s = {rate or 0:.2f}/s "
        f"of {allowed:.2f}/s allowed; {limited} x 429; {run_.seconds:.0f}s in all"
    )
    exported = int(summary["members"])
    result.metrics = [
        at_least("members-search rate ÷ budget", ratio, TARGET_RATIO),
        at_most("429s sent by Stytch", limited, 0),
        # Every generated member must land in the snapshot, or the rate means nothing.
        equals("members exported", exported, members),
        info("export wall time", run_.seconds, "s"),
        info("export peak RSS", run_.peak_rss_mb, "MB"),
    ]
    result.details = {
        "organizations": orgs,
        "members": members,
        "emulator_rate_limits": mode,
        "searches_per_minute": budget_per_minute,
        "reads_per_second": READS_PER_SECOND,
        "members_searches": count,
        "members_stage_seconds": round(span, 3),
        "members_search_per_second": rate,
        "allowed_per_second": allowed,
        "ratio": ratio,
        "max_in_window": stats["max_in_window"],
        "rate_limited": limited,
        "requests": stats["requests"],
        "cli": run_.describe(),
        "retries": summary.get("retries"),
    }
    return result

"""Export pacing: an export and a refresh against the minimum Stytch's search budget allows.

Stytch allows 100 member searches per minute (fixed windows aligned to the clock).
A 100,000-member generated project over 2,000 organizations takes about 110 pages
of 1,000 members, so no export of it can take less than about 110 x 0.6 s = 66 s:
that is the minimum each run's wall time is measured against (the member searches
the emulator answered, at the budget the tool was given). The tool cannot know
where the server's minute boundaries lie, so it paces to a sliding reading of the
budget; a 100-request burst at a window's start is not a minimum it could aim for.

The two organizations-search pages have their own budget and the SSO and SCIM
reads (one or two per organization, under the budget for other reads) go beside
the member searches, so neither should add more than a few seconds. Both runs are
measured: the first export into an empty workspace, then ``export --refresh`` after
a few changes in Stytch, the step ``sync`` repeats every cycle.

The windows are the real ones: every page carries 1,000 members that the tool must
parse and store before asking for the next, so squeezing the window would measure
page handling rather than pacing. ``SCALE`` shortens windows (``scaled:K``) and
raises the tool's budget to match, for machines fast enough to keep up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stytch import B2BClient

from stytch2workos_emulators import defaults

from ._common import (
    BenchResult,
    Context,
    Measured,
    at_least,
    at_most,
    cli_env,
    equals,
    info,
    log,
    measure_cli,
)
from ._servers import EmulatorConfig, Emulators

MEMBERS_SEARCH = "POST /v1/b2b/organizations/members/search"
CONNECTION_READS = ("GET /v1/b2b/sso/{organization_id}", "GET /v1/b2b/scim/{organization_id}/connection")
SEARCHES_PER_MINUTE = 100  # Stytch's documented budget per search endpoint
SCALE = 1  # window divisor: 1 is Stytch's real windows
# SSO/SCIM connection reads have no documented limit. At the tool's default (20/s) the
# ~2,400 reads of 2,000 organizations take two minutes, longer than the member searches
# they run beside; at 100/s they take under half the members stage.
READS_PER_SECOND = 100
TARGET_RATE_RATIO = 0.90
TARGET_WALL_RATIO = 1.10


def route_rate(stats: dict[str, Any], route: str) -> tuple[int, float, float | None]:
    """(requests, seconds from first to last response, requests per second) for a route."""
    count = int(stats["requests"].get(route, 0))
    times = stats.get("route_times", {}).get(route)
    if count < 2 or not times:
        return count, 0.0, None
    span = float(times["last"]) - float(times["first"])
    # n evenly spaced requests span n - 1 intervals.
    return count, span, (count - 1) / span if span > 0 else None


def reads_after_searches(stats: dict[str, Any]) -> float | None:
    """Seconds the connection reads went on after the last member search (0: all beside it)."""
    times = stats.get("route_times", {})
    if MEMBERS_SEARCH not in times:
        return None
    ends = [float(times[r]["last"]) for r in CONNECTION_READS if r in times]
    return max(0.0, max(ends, default=0.0) - float(times[MEMBERS_SEARCH]["last"]))


def _change_some_members(stytch_url: str, seed_org: str) -> None:
    """What a refresh should find: one new member and one renamed."""
    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_url)
    client.organizations.members.create(
        organization_id=seed_org, email_address="bench-new@refresh.example", name="New Member"
    )
    found = client.organizations.members.search(organization_ids=[seed_org], limit=1)
    member = found.members[0]
    client.organizations.members.update(
        organization_id=seed_org, member_id=member.member_id, name=f"{member.name} (renamed)"
    )


def _one_run(
    label: str, emu: Emulators, args: list[str], budget_per_minute: int, logs: Path
) -> tuple[Measured, dict[str, Any], dict[str, Any]]:
    """Run the CLI once; its measurements, the emulator's statistics and the figures derived."""
    emu.stytch.reset_stats()  # also a fresh rate-limit window: each run starts from none used
    run = measure_cli(args, cli_env(stytch_url=emu.stytch_url), logs=logs)
    stats = emu.stytch.stats()
    count, span, rate = route_rate(stats, MEMBERS_SEARCH)
    minimum = count * 60.0 / budget_per_minute
    figures = {
        "member_searches": count,
        "members_stage_seconds": round(span, 3),
        "members_search_per_second": rate,
        "minimum_seconds": round(minimum, 3),
        "wall_seconds": round(run.seconds, 3),
        "wall_ratio": run.seconds / minimum if minimum else None,
        "connection_reads": sum(int(stats["requests"].get(r, 0)) for r in CONNECTION_READS),
        "reads_after_last_search_seconds": reads_after_searches(stats),
        "rate_limited": int(stats["rate_limited"]) + int(stats["injected_rate_limited"]),
    }
    log(
        f"export ({label}): {count} member searches ({span:.1f}s); minimum {minimum:.1f}s, "
        f"wall {run.seconds:.1f}s = {figures['wall_ratio'] or 0:.3f}x; "
        f"{figures['connection_reads']} connection reads, "
        f"{figures['reads_after_last_search_seconds'] or 0:.1f}s past the last search; "
        f"{figures['rate_limited']} x 429"
    )
    return run, stats, figures


def run(ctx: Context) -> BenchResult:
    """Export a generated project through the Stytch emulator under its search budget, then refresh it."""
    orgs, members = ctx.size(2_000, 200), ctx.size(100_000, 10_000)
    mode = "real" if SCALE == 1 else f"scaled:{SCALE}"
    budget_per_minute = SEARCHES_PER_MINUTE * SCALE
    result = BenchResult("export")
    log(f"export: generating {members:,} members in {orgs:,} organizations inside the emulator process")
    work = ctx.work / "export"
    with Emulators(EmulatorConfig(rate_limits=mode, generate=(orgs, members, 11)), work) as emu:
        workspace = work / "workspace"
        args = [
            "export",
            "-w",
            str(workspace),
            "--searches-per-minute",
            str(budget_per_minute),
            "--reads-per-second",
            str(READS_PER_SECOND),
            "--json",
        ]
        log(f"export: stytch2workos export --searches-per-minute {budget_per_minute} (emulator: {mode})")
        first, stats, initial = _one_run("initial", emu, args, budget_per_minute, work / "cli")
        if first.code != 0:
            result.error = f"export exited {first.code}: {first.stderr.strip()[-300:]}"
            return result
        summary = first.json()
        _change_some_members(emu.stytch_url, summary["members_by_organization"][0]["organization_id"])
        log("export: stytch2workos export --refresh, after one member added and one renamed")
        second, _, refresh = _one_run("refresh", emu, [*args, "--refresh"], budget_per_minute, work / "cli")
    if second.code != 0:
        result.error = f"export --refresh exited {second.code}: {second.stderr.strip()[-300:]}"
        return result
    changes = second.json()["changes_since_previous"]
    rate = initial["members_search_per_second"]
    allowed = budget_per_minute / 60.0
    result.metrics = [
        at_most("initial: wall ÷ search-budget minimum", initial["wall_ratio"], TARGET_WALL_RATIO),
        at_most("refresh: wall ÷ search-budget minimum", refresh["wall_ratio"], TARGET_WALL_RATIO),
        at_least("members-search rate ÷ budget", rate / allowed if rate else None, TARGET_RATE_RATIO),
        at_most("429s sent by Stytch", initial["rate_limited"] + refresh["rate_limited"], 0),
        # Every generated member must land in the snapshot, or the rates mean nothing.
        equals("members exported", int(summary["members"]), members),
        equals("refresh: changes found", sum(changes.values()), 2),
        info("initial: wall time", first.seconds, "s"),
        info("refresh: wall time", second.seconds, "s"),
        info("search-budget minimum", initial["minimum_seconds"], "s"),
        info("connection reads past the last search", refresh["reads_after_last_search_seconds"], "s"),
        info("export peak RSS", first.peak_rss_mb, "MB"),
    ]
    result.details = {
        "organizations": orgs,
        "members": members,
        "emulator_rate_limits": mode,
        "searches_per_minute": budget_per_minute,
        "reads_per_second": READS_PER_SECOND,
        "allowed_per_second": allowed,
        "initial": {**initial, "cli": first.describe(), "retries": summary.get("retries")},
        "refresh": {**refresh, "cli": second.describe(), "changes": changes},
        "max_in_window": stats["max_in_window"],
        "requests": stats["requests"],
    }
    return result

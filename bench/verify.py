"""Verify at scale: a 100,000-member project checked against a WorkOS emulator that holds it,
under WorkOS's real rate limits.

The imported state is made directly (``_verify_state``: the ledger rows and the emulator's
seed), then ``stytch2workos verify`` runs as an operator runs it. Measured:

* list calls made ÷ the fewest the API allows: a full page (100) per request for users,
  organizations and invitations; memberships can only be listed per organization (or per
  user), so at least one request per organization and a full page per request within it.
  The naive floor, Σ ceil(count / 100) per list type as if memberships could be listed for
  the whole environment, is shown beside it;
* wall time ÷ the time that fewest number of requests needs at the read budget (every
  request also counts against the general 6,000 per 60 s, so 100 per second either way);
* that verify finds nothing, and that WorkOS never answered 429.
"""

from __future__ import annotations

import json
import math

from ._common import (
    BenchResult,
    Context,
    at_most,
    cli_env,
    equals,
    info,
    log,
    measure_cli,
    run_cli,
    run_python,
)
from ._servers import EmulatorConfig, Emulators

PAGE = 100
REQUESTS_PER_SECOND = 100.0  # 1,000 reads per 10 s; 6,000 requests per 60 s
TARGET_CALLS = 1.2
TARGET_TIME = 1.2


def run(ctx: Context) -> BenchResult:
    orgs, members = ctx.size(2_000, 200), ctx.size(100_000, 10_000)
    result = BenchResult("verify")
    work = ctx.work / "verify"
    export_file = ctx.export_file(orgs, members, 23)
    workspace = ctx.workspace_from(export_file, "verify")
    run_cli(["init", "-w", str(workspace)], cli_env(), logs=work / "init")
    log("verify: writing the imported state (ledger and WorkOS seed, not measured)")
    seeds = work / "seed"
    run_python("bench._verify_state", str(workspace), str(seeds), logs=work / "state")
    counts = json.loads((seeds / "counts.json").read_text(encoding="utf-8"))
    with Emulators(EmulatorConfig(rate_limits="real"), work) as emu:
        for chunk in sorted(seeds.glob("[0-9]*.json")):
            emu.workos.seed(json.loads(chunk.read_text(encoding="utf-8")))
        emu.workos.reset_stats()
        log(f"verify: stytch2workos verify, {members:,} members, real limits")
        measured = measure_cli(
            ["verify", "-w", str(workspace), "--json"], cli_env(workos_url=emu.workos_url), logs=work / "cli"
        )
        stats = emu.workos.stats()
    if measured.code not in (0, 1):
        result.error = f"verify exited {measured.code}: {measured.stderr.strip()[-300:]}"
        return result
    doc = measured.json()
    made = int(doc["list_calls"]["made"])
    per_org = [max(1, math.ceil(n / PAGE)) for n in counts["memberships_per_org"].values()]
    flat = {k: math.ceil(counts[k] / PAGE) for k in ("organizations", "users", "invitations")}
    fewest = sum(flat.values()) + sum(per_org)
    naive = sum(flat.values()) + math.ceil(counts["memberships"] / PAGE)
    floor_seconds = fewest / REQUESTS_PER_SECOND
    findings = sum(doc["totals"].values())
    log(
        f"verify: {made:,} list calls (fewest possible {fewest:,}; naive floor {naive:,}) in "
        f"{measured.seconds:.1f}s (floor {floor_seconds:.1f}s); {findings} findings; "
        f"{stats['rate_limited']} x 429"
    )
    result.metrics = [
        at_most("list calls ÷ fewest the API allows", made / fewest, TARGET_CALLS, "x"),
        info("list calls ÷ Σ ceil(count/100) per type", made / naive, "x"),
        at_most("wall time ÷ read-budget minimum", measured.seconds / floor_seconds, TARGET_TIME, "x"),
        equals("findings on an exact copy", findings, 0),
        equals("429s sent by WorkOS", int(stats["rate_limited"]), 0),
        info("verify wall time", measured.seconds, "s"),
        info("verify peak RSS", measured.peak_rss_mb, "MB"),
    ]
    result.details = {
        "organizations": orgs,
        "members": members,
        "counts": {k: v for k, v in counts.items() if k != "memberships_per_org"},
        "list_calls": doc["list_calls"],
        "fewest_calls": fewest,
        "naive_floor_calls": naive,
        "floor_seconds": floor_seconds,
        "checked": doc["checked"],
        "totals": doc["totals"],
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "cli": measured.describe(),
    }
    return result

"""Loading a JSON export: a 200,000-member file into a fresh workspace, time and peak memory.

Teams that already dumped their Stytch project with a script start here, so the
load must be quick and stream the file rather than hold it: the file is about
250 MB, and the target keeps the whole process under that.
"""

from __future__ import annotations

from ._common import BenchResult, Context, at_most, cli_env, equals, info, log, measure_cli

TARGET_SECONDS = 20.0
TARGET_RSS_MB = 250.0


def run(ctx: Context) -> BenchResult:
    """Time ``stytch2workos export --from-json`` on a generated file."""
    orgs, members = ctx.size(4_000, 400), ctx.size(200_000, 20_000)
    path = ctx.export_file(orgs, members, 23)
    size_mb = path.stat().st_size / 1e6
    workspace = ctx.work / "from_json" / "workspace"
    log(f"from_json: stytch2workos export --from-json ({size_mb:,.0f} MB, {members:,} members)")
    run_ = measure_cli(
        ["export", "-w", str(workspace), "--from-json", str(path), "--json"],
        cli_env(),
        logs=ctx.work / "from_json" / "cli",
    )
    result = BenchResult("from_json")
    if run_.code != 0:
        result.error = f"export --from-json exited {run_.code}: {run_.stderr.strip()[-300:]}"
        return result
    ctx.loaded.setdefault(path, workspace)  # later benchmarks copy it instead of loading again
    loaded = int(run_.json()["members"])
    log(f"from_json: {loaded:,} members in {run_.seconds:.1f}s, peak RSS {run_.peak_rss_mb:.0f} MB")
    # Quick runs load a tenth of the file, so they get a tenth of the time.
    seconds_target = TARGET_SECONDS * members / 200_000
    result.metrics = [
        at_most("seconds", run_.seconds, seconds_target, "s"),
        at_most("peak RSS", run_.peak_rss_mb, TARGET_RSS_MB, "MB"),
        equals("members loaded", loaded, members),
        info("members per second", loaded / run_.seconds, "/s"),
    ]
    result.details = {
        "organizations": orgs,
        "members": members,
        "file_mb": round(size_mb, 1),
        "cli": run_.describe(),
    }
    return result

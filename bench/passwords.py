"""Password hashes: parse and convert a 1,000,000-row Stytch hash CSV in ≤ 30 s, flat memory.

The parser and the converter run in a process of their own over well-formed
scrypt rows; a 100,000-row file gives the memory baseline, since a streaming
reader should need the same at ten times the rows. When the ``passwords load``
command is available it is timed too, on a workspace whose snapshot holds the
members named in the CSV.
"""

from __future__ import annotations

import subprocess
import sys

from ._common import (
    BenchResult,
    Context,
    Measured,
    Metric,
    at_least,
    at_most,
    cli_env,
    info,
    log,
    measure,
    measure_cli,
    run_python,
    with_bench_path,
)

TARGET_SECONDS = 30.0
TARGET_RSS_RATIO = 1.2
FULL_ROWS = 1_000_000


def _hash_csv(ctx: Context, rows: int) -> str:
    path = ctx.work / "data" / f"hashes-{rows}.csv"
    if not path.exists():
        log(f"passwords: writing a {rows:,}-row hash CSV (not measured)")
        run_python("bench._data", "hash-csv", str(rows), "5", str(path), logs=path)
    return str(path)


def _parse(ctx: Context, rows: int) -> tuple[Measured, dict[str, float]]:
    path = _hash_csv(ctx, rows)
    log(f"passwords: parsing and converting {rows:,} rows")
    run_ = measure(
        [sys.executable, "-m", "bench._passwords_worker", path],
        with_bench_path(cli_env()),
        logs=ctx.work / "passwords" / f"parse-{rows}",
    )
    if run_.code != 0:
        raise RuntimeError(f"the parse worker exited {run_.code}: {run_.stderr.strip()[-300:]}")
    counts: dict[str, float] = run_.json()
    log(
        f"passwords: {counts['rows']:,.0f} rows in {counts['seconds']:.1f}s "
        f"({counts['rows'] / counts['seconds']:,.0f}/s), peak RSS {run_.peak_rss_mb:.0f} MB"
    )
    return run_, counts


def _has_load_command() -> bool:
    probe = subprocess.run(
        [sys.executable, "-m", "stytch2workos", "passwords", "load", "--help"],
        env=cli_env(),
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _time_load(ctx: Context, result: BenchResult) -> None:
    """``stytch2workos passwords load`` on a snapshot holding every member the CSV names."""
    orgs, members = ctx.size(4_000, 400), ctx.size(200_000, 20_000)
    export_file = ctx.export_file(orgs, members, 23)
    csv = ctx.work / "data" / f"hashes-for-{export_file.stem}.csv"
    if not csv.exists():
        log(f"passwords: writing a hash CSV for the {members:,} members of a snapshot (not measured)")
        run_python("bench._data", "hash-csv-for", str(export_file), "9", str(csv), logs=csv)
    workspace = ctx.workspace_from(export_file, "passwords-load")
    log(f"passwords: stytch2workos passwords load, {members:,} rows")
    run_ = measure_cli(
        ["passwords", "load", str(csv), "-w", str(workspace), "--json"],
        cli_env(),
        logs=ctx.work / "passwords-load" / "cli",
    )
    if run_.code not in (0, 1):
        result.details["load"] = {"error": run_.stderr.strip()[-300:], "cli": run_.describe()}
        result.metrics.append(Metric("passwords load", None, "", f"exit 0 or 1, not {run_.code}", False))
        return
    summary = run_.json()
    rows = int(summary.get("rows_read", members))
    log(f"passwords: load took {run_.seconds:.1f}s, peak RSS {run_.peak_rss_mb:.0f} MB")
    result.metrics += [
        info(f"passwords load {rows:,} rows", run_.seconds, "s"),
        info("passwords load rows/s", rows / run_.seconds, "/s"),
        info("passwords load peak RSS", run_.peak_rss_mb, "MB"),
    ]
    result.details["load"] = {
        "rows": rows,
        "matched": summary.get("matched"),
        "cli": run_.describe(),
    }


def run(ctx: Context) -> BenchResult:
    """Rows per second and peak memory of parse + convert, at two sizes."""
    big, small = ctx.size(FULL_ROWS, 100_000), ctx.size(100_000, 10_000)
    result = BenchResult("passwords")
    small_run, _ = _parse(ctx, small)
    big_run, counts = _parse(ctx, big)
    seconds = counts["seconds"]
    ratio = big_run.peak_rss_mb / small_run.peak_rss_mb if small_run.peak_rss_mb else None
    result.metrics = [
        at_most(f"{big:,} rows parsed + converted", seconds, TARGET_SECONDS * big / FULL_ROWS, "s"),
        at_least("rows per second", counts["rows"] / seconds, FULL_ROWS / TARGET_SECONDS, "/s"),
        info(f"peak RSS, {big:,} rows", big_run.peak_rss_mb, "MB"),
        at_most(f"peak RSS ÷ at {small:,} rows", ratio, TARGET_RSS_RATIO, "x"),
    ]
    # Every row is well-formed scrypt, so anything but a conversion is a defect.
    if counts.get("converted") != big:
        result.metrics[0].ok = False
    result.details = {
        "rows": big,
        "counts": counts,
        "cli": big_run.describe(),
        "small": {"rows": small, "cli": small_run.describe()},
    }
    if _has_load_command():
        _time_load(ctx, result)
    else:
        log("passwords: no `passwords load` command in this build; skipped")
        result.details["load"] = "not available"
    return result

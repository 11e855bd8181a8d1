"""``python -m bench [--quick] [--out DIR] [NAME ...]``: run benchmarks, print a table, write JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ._common import BenchResult, Context, log

# Name on the command line → module holding ``run(ctx) -> BenchResult``, in run order.
BENCHMARKS: dict[str, str] = {
    "emulators": "bench.emulators",
    "export": "bench.export",
    "from_json": "bench.from_json",
    "import": "bench.import_speed",
    "import_memory": "bench.import_memory",
    "passwords": "bench.passwords",
    "verify": "bench.verify",
    "sync": "bench.sync",
    "sync_listen": "bench.sync_listen",
}


def _runner(name: str) -> Callable[[Context], BenchResult]:
    module = importlib.import_module(BENCHMARKS[name])
    run: Callable[[Context], BenchResult] = module.run
    return run


def _table(results: list[BenchResult], quick: bool) -> Table:
    table = Table(title="stytch2workos benchmarks" + (" (--quick sizes)" if quick else ""))
    table.add_column("benchmark")
    table.add_column("measured", justify="right")
    table.add_column("target", justify="right")
    table.add_column("ok", justify="center")
    for result in results:
        if result.error:
            table.add_row(result.name, "[red]error[/red]", "", "[red]✗[/red]")
        for metric in result.metrics:
            mark = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: ""}[metric.ok]
            table.add_row(f"{result.name}: {metric.name}", metric.shown(), metric.target, mark)
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks (all, or those named), print measured ratios against targets, "
        "and write OUT/results.json. The exit code is 0 even when a target is missed.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="results directory")
    options = parser.parse_args(argv)
    unknown = [n for n in options.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = options.names or list(BENCHMARKS)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started in the background (`cmd &`), SIGINT is ignored and children inherit that;
        # the interrupted import in import_memory needs the tool to hear it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    work = options.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ctx = Context(quick=options.quick, work=work)
    started = time.time()
    results: list[BenchResult] = []
    for name in names:
        log(f"== {name}")
        began = time.perf_counter()
        try:
            result = _runner(name)(ctx)
        except Exception as exc:  # one broken benchmark must not hide the others
            traceback.print_exc()
            result = BenchResult(name, error=f"{type(exc).__name__}: {exc}")
        result.details["seconds"] = round(time.perf_counter() - began, 1)
        log(f"== {name} done in {result.details['seconds']:.0f}s")
        results.append(result)
    # Wide enough for a row per metric even when stdout is not a terminal (make, CI logs).
    Console(width=max(110, shutil.get_terminal_size((110, 24)).columns)).print(_table(results, options.quick))
    report = {
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "quick": options.quick,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "benchmarks": {r.name: r.to_json() for r in results},
    }
    path = options.out / "results.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

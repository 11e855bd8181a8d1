"""Shared pieces of the benchmarks: results, progress lines, and running the real CLI.

The tool always runs as its own process (``python -m stytch2workos ...``) so that
what is measured is what an operator runs. ``os.wait4`` returns that child's own
CPU time. Its peak memory needs care: Linux folds the spawning process's memory
high-water mark into the child's ``ru_maxrss`` at ``exec``, so ``ru_maxrss`` is
the child's only when it exceeds this process's own peak. Otherwise the peak is
the largest ``VmHWM`` (the high-water mark of the child's own address space) read
from ``/proc/PID/status`` every 0.1 s while it runs. The same sampler lets a
caller act mid-run (interrupting an import).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stytch2workos_emulators import defaults

_T0 = time.monotonic()
INTERRUPT_GRACE = 60.0  # seconds an interrupted child gets to exit before SIGKILL


def log(message: str) -> None:
    """One progress line on stderr, stamped with the time since the benchmarks started."""
    elapsed = time.monotonic() - _T0
    print(f"[{elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Metric:
    """One row of the results table: a measured value against its target."""

    name: str
    value: float | None
    unit: str = ""
    target: str = ""
    ok: bool | None = None  # None: informational, no target

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        value = self.value
        if abs(value) >= 100:
            text = f"{value:,.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        else:
            text = f"{value:.3g}" if value else "0"
        return f"{text} {self.unit}".strip()


def at_least(name: str, value: float | None, target: float, unit: str = "") -> Metric:
    ok = None if value is None else value >= target
    return Metric(name, value, unit, f">= {_num(target)} {unit}".strip(), ok)


def at_most(name: str, value: float | None, target: float, unit: str = "") -> Metric:
    ok = None if value is None else value <= target
    return Metric(name, value, unit, f"<= {_num(target)} {unit}".strip(), ok)


def equals(name: str, value: float | None, expected: float, unit: str = "") -> Metric:
    ok = None if value is None else value == expected
    return Metric(name, value, unit, f"= {_num(expected)} {unit}".strip(), ok)


def info(name: str, value: float | None, unit: str = "") -> Metric:
    return Metric(name, value, unit)


def _num(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:g}"


@dataclass
class BenchResult:
    """What one benchmark measured: table rows plus details for results.json."""

    name: str
    metrics: list[Metric] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": [
                {"name": m.name, "value": m.value, "unit": m.unit, "target": m.target, "ok": m.ok}
                for m in self.metrics
            ],
            "details": self.details,
            "error": self.error,
        }


@dataclass
class Context:
    """Settings shared by every benchmark in one run."""

    quick: bool
    work: Path  # scratch space, emptied at the start of a run
    # Export file → a workspace that holds exactly its snapshot and nothing else.
    loaded: dict[Path, Path] = field(default_factory=dict)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def export_file(self, orgs: int, members: int, seed: int) -> Path:
        """A generated ``{"organizations", "members"}`` file, written once per run and shared."""
        path = self.work / "data" / f"export-{orgs}-{members}-{seed}.json"
        if not path.exists():
            log(f"generating a {members:,}-member project as JSON (not measured)")
            run_python("bench._data", "export-file", str(orgs), str(members), str(seed), str(path), logs=path)
        return path

    def workspace_from(self, export_file: Path, name: str) -> Path:
        """A fresh workspace holding a snapshot of ``export_file`` (not measured).

        The file is loaded once per run; later callers get a copy of that workspace.
        """
        pristine = self.loaded.get(export_file)
        if pristine is None:
            pristine = self.work / "data" / f"{export_file.stem}-workspace"
            log(f"loading {export_file.name} into a workspace (not measured)")
            run_cli(
                ["export", "-w", str(pristine), "--from-json", str(export_file), "--json"],
                cli_env(),
                logs=pristine.with_suffix(".load"),
            )
            self.loaded[export_file] = pristine
        workspace = self.work / name / "workspace"
        shutil.copytree(pristine, workspace)
        return workspace


def cli_env(stytch_url: str | None = None, workos_url: str | None = None) -> dict[str, str]:
    """The environment an operator would set: fake credentials and loopback base URLs."""
    env = defaults.operator_env(stytch_url, workos_url)
    env.update(COLUMNS="200", PYTHONUNBUFFERED="1")
    return env


@dataclass
class Measured:
    """A finished child process and what it cost."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float  # the child's own peak resident memory (see the module docstring)
    sampled_peak_rss_mb: float  # the largest VmHWM the sampler read
    cpu_seconds: float  # user + system
    interrupted: bool = False

    def json(self) -> Any:
        return json.loads(self.stdout)

    def describe(self) -> dict[str, Any]:
        return {
            "exit_code": self.code,
            "seconds": round(self.seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "sampled_peak_rss_mb": round(self.sampled_peak_rss_mb, 1),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "interrupted": self.interrupted,
        }


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _signal(pid: int, signum: int) -> None:
    # os.kill, not Popen.send_signal: the latter polls, and a poll that reaps the child
    # would leave the main thread's wait4 without its rusage.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _asks_to_stop(stop_when: Callable[[], bool]) -> bool:
    # A failing probe must not kill the sampler thread, which also enforces the timeout.
    try:
        return stop_when()
    except Exception as exc:
        log(f"stop condition failed ({type(exc).__name__}: {exc}); will ask again")
        return False


def measure(
    argv: list[str],
    env: dict[str, str],
    *,
    logs: Path,
    interval: float = 0.1,
    stop_when: Callable[[], bool] | None = None,
    timeout: float = 3600.0,
) -> Measured:
    """Run ``argv`` to completion and measure it; ``stop_when`` (polled) sends SIGINT once.

    Output goes to files under ``logs`` rather than pipes, so a chatty child can never
    block on a full pipe while we wait for it.
    """
    logs.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs.with_suffix(".out"), logs.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        own_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak_kb = 0
        interrupted = False
        finished = threading.Event()

        def sample() -> None:
            nonlocal peak_kb, interrupted
            deadline = start + timeout
            while not finished.wait(interval):
                hwm = _vm_hwm_kb(proc.pid)
                if hwm is not None:
                    peak_kb = max(peak_kb, hwm)
                if not interrupted and stop_when is not None and _asks_to_stop(stop_when):
                    interrupted = True
                    _signal(proc.pid, signal.SIGINT)
                    # An interrupted run must stop promptly; a hang is a finding, not a wait.
                    deadline = min(deadline, time.perf_counter() + INTERRUPT_GRACE)
                if time.perf_counter() > deadline:
                    _signal(proc.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 rather than Popen.wait: it hands back this child's own rusage.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        finished.set()
        sampler.join()
    return Measured(
        code=proc.returncode,
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
        seconds=seconds,
        # Kilobytes on Linux. Above our own peak, ru_maxrss can only be the child's.
        peak_rss_mb=max(peak_kb, usage.ru_maxrss if usage.ru_maxrss > own_peak_kb else 0) / 1024,
        sampled_peak_rss_mb=peak_kb / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        interrupted=interrupted,
    )


def measure_cli(args: list[str], env: dict[str, str], *, logs: Path, **kwargs: Any) -> Measured:
    """Run ``stytch2workos ARGS`` as an operator would, and measure it."""
    return measure([sys.executable, "-m", "stytch2workos", *args], env, logs=logs, **kwargs)


def run_cli(args: list[str], env: dict[str, str], *, logs: Path, expect: tuple[int, ...] = (0,)) -> Measured:
    """Run a preparatory CLI step (not what is being measured); fail loudly if it fails."""
    result = measure_cli(args, env, logs=logs)
    if result.code not in expect:
        tail = result.stderr.strip().splitlines()[-5:]
        raise RuntimeError(f"stytch2workos {' '.join(args[:1])} exited {result.code}: {' | '.join(tail)}")
    return result


def with_bench_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` plus the directory holding this package, so ``python -m bench._x`` works anywhere."""
    root = str(Path(__file__).resolve().parent.parent)
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)}


def run_python(module: str, *args: str, logs: Path) -> Measured:
    """Run a helper module of this package in a fresh interpreter (data generation)."""
    env = with_bench_path(dict(os.environ))
    result = measure([sys.executable, "-m", module, *args], env, logs=logs)
    if result.code != 0:
        tail = result.stderr.strip().splitlines()[-5:]
        raise RuntimeError(f"python -m {module} exited {result.code}: {' | '.join(tail)}")
    return result

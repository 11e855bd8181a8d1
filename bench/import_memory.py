"""Memory stays flat with project size: peak RSS of ``plan`` and ``import``, 10k vs 200k members.

Both commands stream people out of the workspace and keep only a bounded number
in flight, so twenty times the members should cost about the same memory. A full
200k import at WorkOS's 50 writes/s takes over an hour, so here the emulator's
limits are off and ``[pacing]`` is raised far above them; the 200k import is
interrupted (SIGINT: it saves its place and exits 130) once it has created as many
users as the whole 10k run did. Peak memory is the process's own high-water mark
(see ``_common``), sampled while it runs.
"""

from __future__ import annotations

import re
import sqlite3
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import BenchResult, Context, Measured, at_most, cli_env, info, log, measure_cli, run_cli
from ._servers import EmulatorConfig, Emulators
from .import_speed import blocking_codes, role_slugs, roles_seed

USERS_ROUTE = "POST /user_management/users"
TARGET_RATIO = 1.2
# Far above anything the machine can send, so pacing never waits.
UNLIMITED_PACING = {"writes_per_10s": 10_000_000, "reads_per_10s": 10_000_000, "general_per_60s": 60_000_000}


@dataclass
class SizeRun:
    members: int
    plan: Measured
    importing: Measured
    users: int  # users created in WorkOS during the import
    imported: int  # memberships and invitations done, from the ledger


def unlimited_pacing(config_path: Path) -> None:
    """Raise the ``[pacing]`` budgets of the ``init``-written file, keeping every other key."""
    text = config_path.read_text(encoding="utf-8")
    for key, value in UNLIMITED_PACING.items():
        text, n = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
        if n != 1:
            raise RuntimeError(f"{config_path}: expected one {key} line in [pacing]")
    pacing = tomllib.loads(text)["pacing"]
    assert all(pacing[k] == v for k, v in UNLIMITED_PACING.items())
    config_path.write_text(text, encoding="utf-8")


def ledger_done(workspace: Path) -> int:
    """Memberships and invitations the ledger records as done."""
    db = sqlite3.connect(f"file:{workspace / 'workspace.db'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT COUNT(*) FROM ledger WHERE kind IN ('membership', 'invitation') "
            "AND status IN ('created', 'reused')"
        ).fetchone()
    finally:
        db.close()
    return int(row[0])


def _one_size(ctx: Context, orgs: int, members: int, stop_after_users: int | None) -> SizeRun:
    name = f"import_memory-{members}"
    export_file = ctx.export_file(orgs, members, 23)
    workspace = ctx.workspace_from(export_file, name)
    run_cli(["init", "-w", str(workspace)], cli_env(), logs=ctx.work / name / "init")
    unlimited_pacing(workspace / "migration.toml")
    config = EmulatorConfig(
        rate_limits="off", workos_seed=roles_seed(role_slugs(workspace / "migration.toml"))
    )
    with Emulators(config, ctx.work / name) as emu:
        env = cli_env(workos_url=emu.workos_url)
        accept = blocking_codes(workspace, env, ctx.work / name / "accept")
        accepts = [arg for code in accept for arg in ("--accept", code)]
        log(f"import_memory: plan, {members:,} members")
        plan = measure_cli(
            ["plan", "-w", str(workspace), "--json", *accepts], env, logs=ctx.work / name / "plan"
        )
        if plan.code not in (0, 1):
            raise RuntimeError(f"plan exited {plan.code}: {plan.stderr.strip()[-300:]}")
        log(f"import_memory: plan peak RSS {plan.peak_rss_mb:.0f} MB in {plan.seconds:.0f}s")

        users = [0]
        last_poll = [0.0]

        def enough() -> bool:
            if stop_after_users is None or time.monotonic() - last_poll[0] < 1.0:
                return False
            last_poll[0] = time.monotonic()
            users[0] = int(emu.workos.stats()["requests"].get(USERS_ROUTE, 0))
            return users[0] >= stop_after_users

        what = "to the end" if stop_after_users is None else f"until {stop_after_users:,} users, then SIGINT"
        log(f"import_memory: import, {members:,} members, {what}")
        importing = measure_cli(
            ["import", "-w", str(workspace), "--yes", "--json", *accepts],
            env,
            logs=ctx.work / name / "import",
            stop_when=enough,
        )
        expected = (130,) if stop_after_users is not None else (0, 1)
        if importing.code not in expected:
            raise RuntimeError(f"import exited {importing.code}: {importing.stderr.strip()[-300:]}")
        users_created = int(emu.workos.stats()["requests"].get(USERS_ROUTE, 0))
    done = ledger_done(workspace)
    log(
        f"import_memory: import exited {importing.code} after {importing.seconds:.0f}s; "
        f"{users_created:,} users, {done:,} members done; peak RSS {importing.peak_rss_mb:.0f} MB"
    )
    return SizeRun(members, plan, importing, users_created, done)


def _ratio(big: float, small: float) -> float | None:
    return big / small if small > 0 else None


def run(ctx: Context) -> BenchResult:
    """Peak RSS of plan and import at two sizes, and CPU per member imported."""
    small_orgs, small = ctx.size(200, 100), ctx.size(10_000, 1_000)
    big_orgs, big = ctx.size(4_000, 400), ctx.size(200_000, 20_000)
    first = _one_size(ctx, small_orgs, small, None)
    second = _one_size(ctx, big_orgs, big, max(first.users, 1))
    result = BenchResult("import_memory")

    def cpu_ms(run_: SizeRun) -> float | None:
        return 1000 * run_.importing.cpu_seconds / run_.imported if run_.imported else None

    result.metrics = [
        info(f"plan peak RSS, {small:,}", first.plan.peak_rss_mb, "MB"),
        info(f"plan peak RSS, {big:,}", second.plan.peak_rss_mb, "MB"),
        at_most("plan RSS ratio", _ratio(second.plan.peak_rss_mb, first.plan.peak_rss_mb), TARGET_RATIO, "x"),
        info(f"import peak RSS, {small:,}", first.importing.peak_rss_mb, "MB"),
        info(f"import peak RSS, {big:,} (interrupted)", second.importing.peak_rss_mb, "MB"),
        at_most(
            "import RSS ratio",
            _ratio(second.importing.peak_rss_mb, first.importing.peak_rss_mb),
            TARGET_RATIO,
            "x",
        ),
        info(f"import CPU per member, {small:,}", cpu_ms(first), "ms"),
        info(f"import CPU per member, {big:,} (incl. planning all)", cpu_ms(second), "ms"),
    ]
    # An interrupt that did not land after the small run's worth of people proves nothing.
    if second.users < first.users:
        result.metrics[5].ok = False

    def describe(run_: SizeRun) -> dict[str, Any]:
        return {
            "members": run_.members,
            "plan": run_.plan.describe(),
            "import": run_.importing.describe(),
            "users_created": run_.users,
            "members_imported": run_.imported,
            "cpu_ms_per_member": cpu_ms(run_),
        }

    result.details = {"small": describe(first), "large": describe(second)}
    return result

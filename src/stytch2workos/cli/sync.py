"""``sync``: keep WorkOS in step with Stytch between the import and the switch.

Each cycle takes a fresh snapshot (as ``export --refresh``), applies what changed in Stytch
since the migration last wrote it, and creates what is new as ``import`` would.
``--watch N`` repeats a cycle every N seconds. A signal while it waits between cycles
ends it with 0 (nothing is in progress); a signal during a cycle stops it like any
command (128 + n), and the next ``sync`` resumes that cycle without taking another snapshot.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from stytch2workos import console, stopping
from stytch2workos.cli.common import (
    ConfigOpt,
    HostOpt,
    JsonOpt,
    ReadsPerSecondOpt,
    SearchesPerMinuteOpt,
    WorkspaceOpt,
    YesOpt,
    check_watch,
    confirm_writes,
    handled,
    open_existing_workspace,
    progress,
    workos_target,
)
from stytch2workos.config import MigrationConfig, load_config
from stytch2workos.errors import ConfigError, Stopped
from stytch2workos.progress import Progress
from stytch2workos.settings import stytch_credentials, workos_credentials
from stytch2workos.stytch_pace import PaceSettings, StytchPace, check_flags, resolve_pace
from stytch2workos.workspace import Workspace

if TYPE_CHECKING:
    from stytch2workos.destination.sync import SyncResult

commands = typer.Typer()


@commands.command()
@handled
def sync(
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    yes: YesOpt = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Refresh the snapshot and show the changes; write nothing to WorkOS."),
    ] = False,
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            metavar="SECONDS",
            help="Repeat a full cycle every SECONDS until interrupted (Ctrl-C between cycles exits 0).",
        ),
    ] = None,
    searches_per_minute: SearchesPerMinuteOpt = None,
    reads_per_second: ReadsPerSecondOpt = None,
    listen: Annotated[
        int | None,
        typer.Option(
            "--listen",
            metavar="PORT",
            help="Receive Stytch webhooks on PORT (0: any free port) and apply each change as it arrives; "
            "secret from STYTCH_WEBHOOK_SECRET.",
        ),
    ] = None,
    host: HostOpt = "127.0.0.1",
    as_json: JsonOpt = False,
) -> None:
    """Apply what changed in Stytch since the import (or the last sync) to WorkOS. Safe to rerun.

    Names, email addresses and verification, roles, members invited → active, members
    deleted in Stytch (\\[sync] deleted_members), organization names and domains; new
    organizations and members are created as import would. Only what this migration created
    or reused is changed; a value changed in WorkOS since is a conflict (\\[sync] conflicts).
    Stytch's pace: the flags, else \\[pacing] stytch_* in migration.toml, else the defaults.

    Example: `stytch2workos sync -w ./acme-migration --watch 900 --yes`
    """
    check_watch(watch)
    if watch is not None and not (yes or dry_run):
        raise ConfigError("--watch runs unattended: add --yes to apply each cycle (or --dry-run)")
    flags = PaceSettings(searches_per_minute, reads_per_second)
    check_flags(flags)
    # (`--listen PORT`, the webhook receiver, branches off here: it serves until stopped.)
    if listen is not None:
        _listen(workspace, config, host, listen, yes, dry_run, watch, as_json, flags)
        return
    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        ws.require_snapshot()
        pacing, _ = resolve_pace(flags, cfg.pacing.stytch)
        if watch is None:
            code = _report(_cycle(ws, cfg, yes, dry_run, as_json, pacing), as_json, lines=False)
            if code:
                raise typer.Exit(code)
            return
        if not dry_run:
            # A quiet cycle never calls WorkOS: without this read, a refused key would surface
            # only at the first change to write, maybe days into the watch.
            with workos_target(workos_credentials(os.environ), cfg) as target:
                target.environment_roles()
        while True:
            in_cycle = True
            try:
                result = _cycle(ws, cfg, True, dry_run, as_json, pacing)
                in_cycle = False
                _report(result, as_json, lines=True)
                stopping.check()
                time.sleep(watch)
                stopping.check()
            except Stopped:
                if in_cycle:
                    raise  # mid-cycle: 128 + n, and the next sync resumes this cycle
                # Between cycles nothing is in progress: a stop here is the way to end --watch.
                if not as_json:
                    console.err.print("Stopped between cycles; every cycle so far is complete.")
                raise typer.Exit(0) from None


def _listen(
    workspace: str | None,
    config: Path | None,
    host: str,
    port: int,
    yes: bool,
    dry_run: bool,
    watch: float | None,
    as_json: bool,
    flags: PaceSettings,
) -> None:
    """``--listen``: receive Stytch's webhooks and apply each change as it arrives, until
    stopped (destination/sync_listen.py). The secret comes from STYTCH_WEBHOOK_SECRET and
    is never printed; with ``--json`` each log line is a JSON object on stdout."""
    if dry_run or watch is not None:
        raise ConfigError(
            "--listen applies each change as it arrives: it takes neither --dry-run nor --watch"
        )
    secret = os.environ.get("STYTCH_WEBHOOK_SECRET", "").strip()
    if not secret:
        raise ConfigError(
            "STYTCH_WEBHOOK_SECRET is not set: export the endpoint's signing secret "
            "(Stytch Dashboard → Webhooks → the endpoint → signing secret, whsec_...)"
        )
    console.keep_secret([secret])
    if not 0 <= port <= 65535:
        raise ConfigError("--listen takes a port from 0 to 65535")
    from stytch2workos.source.stytch_webhooks import verifier

    hook = verifier(secret)  # a bad secret is refused before the SDKs load
    from stytch2workos.destination.passwords_source import password_lookup
    from stytch2workos.destination.sync_listen import receive_and_apply
    from stytch2workos.source.take import stytch_source

    stytch_creds, workos_creds = stytch_credentials(os.environ), workos_credentials(os.environ)

    def log(line: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if as_json:
            print(console.safe(json.dumps({"at": stamp, "message": line}, ensure_ascii=False)), flush=True)
        else:
            console.err.print(escape(console.safe(f"{stamp} {line}")), soft_wrap=True)

    def ready(url: str) -> None:
        if as_json:
            print(json.dumps({"listening": url}), flush=True)
        else:
            console.err.print(
                escape(f"listening for Stytch webhooks on {url} (Ctrl-C to stop)"), soft_wrap=True
            )
        if host not in ("127.0.0.1", "::1", "localhost"):
            console.warn("listening beyond this machine: put it behind HTTPS (Svix delivers to https)")

    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        ws.require_snapshot()
        ws.bind_project(stytch_creds.project_id)
        if not yes:
            confirm_writes(
                workos_creds, "Apply each change Stytch's webhooks announce to WorkOS as it arrives?"
            )
        source = stytch_source(stytch_creds, resolve_pace(flags, cfg.pacing.stytch)[0])

        def fetch(kind: str, object_id: str) -> dict[str, Any] | None:
            return source.member(object_id) if kind == "member" else source.organization(object_id)

        try:
            # One read of each service before listening: a refused key or an unreachable API ends
            # the command now (exit 3) instead of failing every delivery that arrives for hours.
            source.rbac_policy()
            with workos_target(workos_creds, cfg) as target:
                target.environment_roles()
                try:
                    receive_and_apply(
                        ws, target, cfg, hook, fetch, host, port, log, ready, password_lookup(ws)
                    )
                except OSError as exc:
                    raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        finally:
            source.close()


def _cycle(
    ws: Workspace, cfg: MigrationConfig, yes: bool, dry_run: bool, as_json: bool, pacing: StytchPace
) -> SyncResult:
    """One refresh + plan + apply."""
    from stytch2workos.destination.passwords_source import password_lookup
    from stytch2workos.destination.sync import SyncOptions, run_sync
    from stytch2workos.destination.sync_speed import warm_up

    def confirm(preview: SyncResult) -> None:
        if yes or not (preview.changes["counts"] or preview.creates):
            return
        if not as_json:
            _print_preview(preview)
        assert creds is not None  # a dry run never confirms
        confirm_writes(creds, "Apply these changes to WorkOS?")

    creds = workos_credentials(os.environ) if not dry_run else None
    with progress(as_json) as bar:
        if creds is None:
            refresh = _refresher(ws, bar, pacing, lambda: None)
            return run_sync(ws, None, cfg, refresh, SyncOptions(dry_run=True), bar)
        refresh = _refresher(ws, bar, pacing, warm_up)
        passwords = password_lookup(ws)
        # The target opens once the plan is made; its SDK loads beside the refresh.
        return run_sync(
            ws,
            None,
            cfg,
            refresh,
            SyncOptions(),
            bar,
            confirm,
            passwords,
            connect=lambda: workos_target(creds, cfg),
        )


def _report(result: SyncResult, as_json: bool, *, lines: bool) -> int:
    """Print a cycle's result; return the exit code it deserves (1: failures or conflicts left)."""
    summary = result.to_json()
    if as_json:
        if lines:  # --watch: one JSON object per line and cycle
            print(console.safe(json.dumps(summary, ensure_ascii=False, default=str)), flush=True)
        else:
            console.print_json(summary)
    else:
        _print_result(summary)
    unresolved = [c for c in result.conflicts if c["resolution"] == "reported"]
    return 1 if result.failures or unresolved else 0


def _refresher(ws: Workspace, bar: Progress, pacing: StytchPace, warm: Any) -> Any:
    def refresh() -> int:
        from stytch2workos.source.export import ExportOptions, export_project
        from stytch2workos.source.take import stytch_source

        creds = stytch_credentials(os.environ)
        ws.bind_project(creds.project_id)
        source = stytch_source(creds, pacing, bar.note)  # the SDK loads only when a cycle refreshes
        warm()
        try:
            return export_project(ws, source, ExportOptions(refresh=True), bar).snapshot_id
        finally:
            source.close()

    return refresh


def _print_preview(result: Any) -> None:
    summary = result.to_json()
    console.out.print(f"[bold]Snapshot {summary['snapshot']}[/bold]: changes to apply")
    _print_changes(summary)


def _print_changes(summary: dict[str, Any]) -> None:
    counts: dict[str, int] = summary["changes"]["counts"]
    if counts:
        console.out.print(console.counts_table("Changes", counts, "change"))
        for label, examples in summary["changes"]["examples"].items():
            for example in examples[:3]:
                console.out.print(escape(f"  {label}: {example}"))
    if summary["creates"]:
        console.out.print(console.counts_table("New in Stytch (created as import would)", summary["creates"]))
    if not counts and not summary["creates"]:
        console.out.print("No changes since the last sync.")


def _print_result(summary: dict[str, Any]) -> None:
    verb = "would apply" if summary["dry_run"] else "applied"
    resumed = " (resumed)" if summary["resumed"] else ""
    console.out.print(f"[bold]Sync of snapshot {summary['snapshot']}{resumed}[/bold]: {verb}")
    _print_changes(summary)
    if summary["dry_run"]:
        console.out.print("Dry run: nothing was written to WorkOS.")
        return
    outcomes = summary["outcomes"]
    created = sum(row.get("created", 0) + row.get("recovered", 0) for row in summary["import"].values())
    console.out.print(
        f"This run: {outcomes.get('applied', 0):,} applied, {created:,} created, "
        f"{outcomes.get('unchanged', 0):,} already in step, {outcomes.get('conflict', 0):,} conflict(s), "
        f"{outcomes.get('failed', 0):,} failed"
    )
    for c in summary["conflicts"][:20]:
        console.warn(
            f"conflict ({c['resolution']}): {c['kind']} {c['key']} {c['field']}: WorkOS has {c['live']!r}, "
            f"the migration wrote {c['baseline']!r}, Stytch says {c['desired']!r}"
        )
    reported = [c for c in summary["conflicts"] if c["resolution"] == "reported"]
    if reported:
        console.warn(
            'conflicts were left as WorkOS has them: set [sync] conflicts = "stytch" or "workos" in '
            "migration.toml to decide, then run sync again"
        )
    for f in summary["failures"][:20]:
        console.warn(f"{f['kind']} {f.get('key') or f.get('source_id')}: {f['detail']}")
    orphans = summary["users_without_membership"]
    if orphans["count"]:
        console.warn(
            f"{orphans['count']:,} user(s) have no active membership left (their users are kept): "
            + ", ".join(orphans["examples"][:5])
        )

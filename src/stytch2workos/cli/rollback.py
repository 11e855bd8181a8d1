"""The `rollback` command: remove from WorkOS exactly what this migration made.

A dry run unless ``--yes`` or a confirmed prompt: it lists, per kind, what would be
revoked or deleted (with examples) and who would be kept. Exit codes: 0 done (or a dry
run), 1 something was kept or refused (the rollback is not complete), others as every
command (see ``cli/common.py``).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    WorkspaceOpt,
    YesOpt,
    confirm_writes,
    handled,
    open_existing_workspace,
    progress,
    workos_target,
)
from stytch2workos.config import load_config
from stytch2workos.settings import workos_credentials

commands = typer.Typer()

_SHOWN = 20
_EXAMPLES = 3


def _plural(n: int, kind: str) -> str:
    return f"{n:,} {kind}" + ("" if n == 1 else "s")


@commands.command("rollback")
@handled
def rollback(
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    yes: YesOpt = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Carry the rollback out (asks first, unless --yes).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Also delete users who signed in or joined other organizations, and organizations "
            "with members this migration did not add.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove from WorkOS what this migration created, newest first. A dry run unless --yes or --apply.

    Invitations are revoked; memberships, users, organizations, their roles, permissions and SSO connections are deleted. What existed before the migration is never touched. Safe to rerun: a stopped rollback resumes, a finished one does nothing.

    Example: `stytch2workos rollback -w ./acme-migration` (a dry run; add --yes to act)
    """
    from stytch2workos.destination.rollback import plan_for, run_rollback

    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        creds = workos_credentials(os.environ)
        act = yes or apply
        if apply and not yes:
            plan = plan_for(ws)
            total = len(plan.steps)
            counts = ", ".join(_plural(n, kind) for kind, n in plan.counts().items()) or "nothing"
            confirm_writes(creds, f"Revoke or delete {total:,} WorkOS objects ({counts})?")
        with workos_target(creds, cfg) as target, progress(as_json) as bar:
            result = run_rollback(ws, target, cfg, apply=act, force=force, progress=bar)
    summary = result.to_json()
    if as_json:
        console.print_json(summary)
    else:
        _print(summary)
    if act and result.needs_attention:
        raise typer.Exit(1)


def _print(summary: dict[str, object]) -> None:
    planned = summary["planned"]
    outcomes = summary["outcomes"]
    examples = summary["examples"]
    assert isinstance(planned, dict) and isinstance(outcomes, dict) and isinstance(examples, dict)
    dry = bool(summary["dry_run"])
    title = "Rollback (dry run: nothing was changed)" if dry else "Rollback"
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("kind")
    table.add_column("to undo", justify="right")
    if dry:
        table.add_column("examples (Stytch ids)")
    else:
        for column in ("deleted", "gone", "kept", "failed"):
            table.add_column(column, justify="right")
    for kind in sorted(
        set(planned) | set(outcomes), key=lambda k: list(planned).index(k) if k in planned else 99
    ):
        n = int(planned.get(kind, 0))
        if dry:
            shown = examples.get(kind, [])[:_EXAMPLES]
            more = ", …" if n > len(shown) else ""
            table.add_row(kind, f"{n:,}", escape(", ".join(shown)) + more)
        else:
            done = outcomes.get(kind, {})
            table.add_row(
                kind, f"{n:,}", *(f"{done.get(c, 0):,}" for c in ("deleted", "gone", "kept", "failed"))
            )
    console.out.print(table)
    if not planned:
        console.out.print("Nothing this migration created is left in WorkOS.")
    kept = summary["kept"]
    assert isinstance(kept, list)
    if kept:
        verb = "would be kept" if dry else "kept"
        console.warn(f"{len(kept):,} {verb} (in use outside this migration; --force deletes them):")
        for row in kept[:_SHOWN]:
            what = f"{row['kind']} {row['source_id']} ({row['workos_id']})"
            console.err.print(f"  {escape(what)}: {escape(str(row['detail']))}")
    failures = summary["failures"]
    assert isinstance(failures, list)
    for row in failures[:_SHOWN]:
        console.warn(f"{row['kind']} {row['workos_id']}: {row['detail']}")
    manual = summary["manual"]
    assert isinstance(manual, list)
    if manual:
        slugs = ", ".join(escape(str(r["source_id"])) for r in manual[:_SHOWN])
        console.warn(
            f"{len(manual):,} environment roles this migration created have no API to delete them; "
            f"delete them in the WorkOS Dashboard (Roles): {slugs}"
        )
    in_flight = summary["in_flight"]
    assert isinstance(in_flight, list)
    if in_flight:
        console.warn(
            f"{len(in_flight):,} creates were on the wire when an import stopped; run `stytch2workos import` "
            "to settle them, then rollback again"
        )
    untouched = summary["untouched"]
    assert isinstance(untouched, dict)
    if untouched:
        parts = ", ".join(_plural(int(n), kind) for kind, n in untouched.items())
        console.out.print(f"Existed before the migration, left as they are: {parts}.")
    if dry and planned:
        console.out.print("Run again with --yes (or --apply) to carry it out.")

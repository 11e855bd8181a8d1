"""``passwords load``, ``passwords apply`` and ``passwords check``: old passwords keep working.

Secrets never come from argv: the private key's passphrase and the password to
check are read at a hidden prompt, or from standard input when it is not a
terminal (scripts). Nothing printed here holds a hash, a salt or key material.

The WorkOS SDK and the cryptography code are imported inside the commands that
use them: every other command starts without paying for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    IterationsOpt,
    JsonOpt,
    KeyOpt,
    PrivateKeyOpt,
    WorkspaceOpt,
    YesOpt,
    confirm_writes,
    handled,
    open_existing_workspace,
    progress,
    read_secret,
    workos_target,
)
from stytch2workos.config import load_config
from stytch2workos.errors import ConfigError, InputError, WorkspaceError
from stytch2workos.private_files import open_private_text
from stytch2workos.settings import workos_credentials
from stytch2workos.source.hash_input import check_delivery_options, hash_lines, needs_attention

passwords_app = typer.Typer(
    name="passwords",
    help="Carry Stytch password hashes into WorkOS: load the support export, apply, check.",
    no_args_is_help=True,
)


def _tee(lines: Iterable[str], path: Path) -> Iterator[str]:
    # Only on explicit request: the decrypted CSV holds every hash in the project.
    with open_private_text(path) as out:
        for line in lines:
            out.write(line.rstrip("\r\n") + "\n")
            yield line


def _print_load(summary: dict[str, Any], files: dict[str, str]) -> None:
    table = Table(title="Password hashes loaded", title_justify="left", show_edge=False)
    table.add_column("")
    table.add_column("rows", justify="right")
    rows = [
        ("rows read", summary["rows_read"]),
        ("matched a member", summary["matched"]),
        ("matched no member", summary["unmatched"]),
        ("repeated row, same hash (kept once)", summary["duplicates"]),
        ("repeated member id, other hash (neither used)", summary["conflicting_rows"]),
        ("unreadable", summary["malformed"]),
        ("deleted members", summary["deleted_members"]),
    ]
    rows += [(f"converted: {kind}", n) for kind, n in summary["converted"].items()]
    rows += [(f"refused: {code}", n) for code, n in summary["refused"].items()]
    for label, n in rows:
        if n or label in ("rows read", "matched a member"):
            table.add_row(label, f"{n:,}")
    console.out.print(table)
    people = summary["people"]
    console.out.print(
        f"People: [bold]{people['with_password']:,}[/bold] keep their password; "
        f"{people['conflicting']:,} had different passwords in different organizations "
        f"(only one is kept: {escape(files['conflicts'])}); "
        f"[bold]{people['need_reset']:,}[/bold] will need a password reset ({escape(files['resets'])})."
    )
    if people["password_members_not_in_export"]:
        console.warn(
            f"{people['password_members_not_in_export']:,} members with a Stytch password are not in "
            "this export; ask Stytch support whether the export is complete"
        )
    if summary["unmatched"]:
        examples = ", ".join(summary["unmatched_examples"][:5])
        console.warn(f"{summary['unmatched']:,} rows match no member in the snapshot, e.g. {examples}")
    console.out.print(
        f"Every refused or unreadable row, with its line and reason: {escape(files['problems'])}"
    )


@passwords_app.command("load")
@handled
def load(
    hashes: Annotated[
        Path, typer.Argument(help="The hashes file from Stytch support (.enc), or a decrypted CSV.")
    ],
    key: KeyOpt = None,
    private_key: PrivateKeyOpt = None,
    iterations: IterationsOpt = None,
    write_decrypted: Annotated[
        Path | None,
        typer.Option(
            "--write-decrypted", help="Also write the decrypted CSV here (0600). It holds every hash."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Accept a load that leaves fewer people with a usable hash than the stored one.",
        ),
    ] = False,
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read Stytch's password-hash export into the workspace, converted for WorkOS.

    The stored hashes are replaced only by a load that read the whole file and leaves at
    least as many people with a usable hash; anything else changes nothing.

    Example: `stytch2workos passwords load hashes.csv --key key.bin.enc --private-key support.pem -w ./acme-migration`
    """
    from stytch2workos.passwords_report import write_load_reports
    from stytch2workos.source.passwords_load import load_hashes

    check_delivery_options(key, private_key, iterations)
    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        ws.require_snapshot()
        if write_decrypted is not None and key is None:
            raise ConfigError("--write-decrypted is for an encrypted delivery; this file is already plain")
        lines, source = hash_lines(
            hashes, key, private_key, iterations, lambda: read_secret("Passphrase for the private key")
        )
        if write_decrypted is not None:
            lines = _tee(lines, write_decrypted)
        with progress(as_json) as bar:
            result = load_hashes(ws, lines, cfg.password_rule, source=source, replace=replace, progress=bar)
        summary = result.to_json()
        files = write_load_reports(ws, summary)
    if as_json:
        console.print_json({**summary, "reports": files})
    else:
        _print_load(summary, files)
    if needs_attention(summary):
        raise typer.Exit(1)


@passwords_app.command("apply")
@handled
def apply(
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    yes: YesOpt = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry hashes WorkOS refused before.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set the loaded hashes on users already in WorkOS (those imported before the load). Safe to rerun.

    Example: `stytch2workos passwords apply -w ./acme-migration --yes`
    """
    from stytch2workos.destination.passwords_apply import count_to_apply, run_apply

    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        total, todo = count_to_apply(ws)
        if total == 0:
            raise WorkspaceError("no password hashes are loaded: run `stytch2workos passwords load` first")
        creds = workos_credentials(os.environ)
        if not yes:
            confirm_writes(creds, f"Set up to {todo:,} password hashes on WorkOS users?")
        with workos_target(creds, cfg) as target, progress(as_json) as bar:
            result = run_apply(ws, target, cfg, retry_failed=retry_failed, progress=bar)
    summary = result.to_json()
    if as_json:
        console.print_json(summary)
    else:
        console.out.print(
            f"Passwords: {result.applied:,} set now, {result.already_set:,} already in WorkOS, "
            f"{result.failed + result.failed_before:,} refused by WorkOS."
        )
        if result.waiting_for_import:
            console.out.print(
                f"{result.waiting_for_import:,} people are not imported yet; `stytch2workos import` "
                "sends their hash when it creates them."
            )
        for failure in result.failures[:20]:
            console.warn(f"{failure['source_id']}: {failure['detail']}")
        if result.failed_before and not retry_failed:
            console.warn(f"{result.failed_before:,} failed before; pass --retry-failed to try them again")
    if result.failed or result.failed_before:
        raise typer.Exit(1)


@passwords_app.command("check")
@handled
def check(
    email: Annotated[str, typer.Argument(help="The user's email address in WorkOS.")],
    as_json: JsonOpt = False,
) -> None:
    """Ask WorkOS whether a password works for EMAIL (asked at a hidden prompt, never on the command line).

    Example: `stytch2workos passwords check ada@example.com`
    """
    from stytch2workos.destination.client import WorkOSTarget
    from stytch2workos.destination.passwords_check import check_password

    creds = workos_credentials(os.environ, need_client_id=True)
    password = read_secret(f"Password for {email}")
    if not password:
        raise InputError("the password is empty")
    with WorkOSTarget(creds) as target:
        result = check_password(target, email, password)
    if as_json:
        console.print_json({"email": email, "accepted": result.accepted, "outcome": result.outcome})
    elif result.accepted and result.outcome == "signed_in":
        console.out.print(f"[green]accepted[/green]: WorkOS signed {escape(email)} in with this password.")
    elif result.accepted:
        console.out.print(
            f"[green]accepted[/green]: the password is right; WorkOS then asks for a further step "
            f"({result.outcome})."
        )
    else:
        console.out.print(f"[red]rejected[/red]: WorkOS does not accept this password for {escape(email)}.")
    if not result.accepted:
        raise typer.Exit(1)

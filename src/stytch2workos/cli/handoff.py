"""``packets``, ``portal-link`` and ``handoff``: handing SSO and directories to customers' IT admins.

* ``packets`` writes, for each organization with SSO or SCIM, a page for its IT admin
  (``packets/<slug>.md`` and ``.txt`` in the workspace, owner-only), from what import
  recorded. It talks to no API: run it after ``import``, again whenever you like.
* ``portal-link`` mints one WorkOS Admin Portal link for one organization, on demand.
  A link works for five minutes, so it is printed, never stored or mailed in bulk.
* ``handoff`` shows where each organization's connections and directories stand
  (exit 0 only when every organization is done); ``--watch`` refreshes until then;
  ``--listen PORT`` receives WorkOS webhooks into the workspace instead.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from stytch2workos import console
from stytch2workos.cli.common import (
    ConfigOpt,
    JsonOpt,
    WorkspaceOpt,
    check_watch,
    handled,
    open_existing_workspace,
    open_workspace_for_reading,
    workos_target,
)
from stytch2workos.config import load_config
from stytch2workos.errors import ConfigError
from stytch2workos.settings import workos_credentials

if TYPE_CHECKING:
    from stytch2workos.destination.handoff import OrgStatus

commands = typer.Typer()

OrgsOpt = Annotated[
    list[str] | None, typer.Option("--org", help="Only this Stytch organization id (repeatable).")
]
INTENTS = (
    "sso",
    "dsync",
    "domain_verification",
    "certificate_renewal",
    "audit_logs",
    "log_streams",
    "bring_your_own_key",
)
LINK_LIFETIME = timedelta(minutes=5)  # WorkOS: "expires five minutes after issuance"
_COLOURS = {
    "recreated": "green",
    "activated": "green",
    "waiting": "yellow",
    "failed": "red",
    "skipped": "dim",
}


@commands.command()
@handled
def packets(
    workspace: WorkspaceOpt = None, org: OrgsOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Write a page for each customer's IT admin: what to change in their identity provider.

    Example: `stytch2workos packets -w ./acme-migration --org organization-live-1234`
    """
    from stytch2workos.packets_files import write_packets

    with open_workspace_for_reading(workspace) as ws:
        result = write_packets(ws, load_config(ws.path, config), org)
    written, not_ready, proxies = result["written"], result["not_ready"], result["proxies"]
    out_dir = result["directory"]
    if as_json:
        console.print_json({"written": written, "not_ready": not_ready, "proxies": proxies})
        return
    console.out.print(f"Wrote {len(written):,} packet(s) (Markdown and text) in {escape(out_dir)}")
    for proxy in proxies:
        console.out.print(
            escape(
                f"Your proxy: forward {proxy['from']} to {proxy['to']} (connection {proxy['connection_id']})"
            ),
            soft_wrap=True,
        )
    if not_ready:
        console.warn(
            f"{len(not_ready):,} organization(s) have connections import has not settled yet (run "
            f"`stytch2workos import`): {', '.join(not_ready[:5])}"
        )


@commands.command("portal-link")
@handled
def portal_link(
    org: Annotated[str, typer.Option("--org", help="The Stytch organization id.")],
    intent: Annotated[str, typer.Option("--intent", help=f"What the page sets up: {', '.join(INTENTS)}.")],
    return_url: Annotated[
        str | None, typer.Option("--return-url", help="Where the page's back link goes.")
    ] = None,
    success_url: Annotated[str | None, typer.Option("--success-url", help="Where to go after setup.")] = None,
    workspace: WorkspaceOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mint a WorkOS Admin Portal link for one organization (valid five minutes; printed, never stored).

    Example: `stytch2workos portal-link --org organization-live-1234 --intent dsync`
    """
    from stytch2workos.workspace.ledger import DONE, Ledger

    if intent not in INTENTS:
        raise ConfigError(f"--intent must be one of {', '.join(INTENTS)}; got {intent!r}")
    for name, url in (("--return-url", return_url), ("--success-url", success_url)):
        if url is not None and not url.startswith(("https://", "http://")):
            raise ConfigError(f"{name} must be an http(s) URL")
    with open_workspace_for_reading(workspace) as ws:
        cfg = load_config(ws.path, config)
        entry = Ledger(ws).get("organization", org)
    if entry is None or entry.status not in DONE or not entry.target_id:
        raise ConfigError(f"organization {org} is not in WorkOS yet: run `stytch2workos import` first")
    workos_org = entry.target_id
    creds = workos_credentials(os.environ)
    with workos_target(creds, cfg) as target:
        portal = target.client.admin_portal
        answer = target.call(
            "general",
            lambda: portal.generate_link(
                organization=workos_org, intent=intent, return_url=return_url, success_url=success_url
            ),
        )
    expires = (datetime.now(UTC) + LINK_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    if as_json:
        console.print_json(
            {
                "organization_id": org,
                "workos_organization_id": workos_org,
                "intent": intent,
                "link": answer.link,
                "expires_at": expires,
            }
        )
        return
    console.out.print(escape(answer.link), soft_wrap=True)
    console.err.print(
        escape(
            f"Admin Portal link ({intent}) for {org}: valid until about {expires} (five minutes). "
            "Open it or pass it on now; run this again for a fresh one."
        ),
        soft_wrap=True,
    )


@commands.command()
@handled
def handoff(
    workspace: WorkspaceOpt = None,
    org: OrgsOpt = None,
    config: ConfigOpt = None,
    watch: Annotated[
        float | None, typer.Option("--watch", help="Refresh every SECONDS until every organization is done.")
    ] = None,
    listen: Annotated[
        int | None, typer.Option("--listen", help="Receive WorkOS webhooks on this port (0: any free port).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address --listen binds.")] = "127.0.0.1",
    as_json: JsonOpt = False,
) -> None:
    """Where each organization's SSO connections and directories stand; exit 0 when all are done.

    Example: `stytch2workos handoff -w ./acme-migration --watch 300`
    """
    if listen is not None:
        _listen(workspace, config, host, listen)
        return
    check_watch(watch)
    from stytch2workos.destination.handoff import derive, read_workos
    from stytch2workos.handoff_view import load_view
    from stytch2workos.packets import IDP_NAMES

    with open_workspace_for_reading(workspace) as ws:
        cfg = load_config(ws.path, config)
    creds = workos_credentials(os.environ)
    with workos_target(creds, cfg) as target:
        while True:
            with open_workspace_for_reading(workspace) as ws:
                view = load_view(ws, cfg, org)
            state = read_workos(target, view.workos_orgs.values())
            statuses = derive(
                view.decisions, view.names, view.workos_orgs, view.outcomes, state, view.events, IDP_NAMES
            )
            done = all(s.done for s in statuses)
            if as_json:
                doc = _status_json(statuses)
                if watch is None:
                    console.print_json(doc)
                else:  # one line per refresh
                    console.out.print(escape(json.dumps(doc, ensure_ascii=False)), soft_wrap=True)
            else:
                _print_status(statuses)
            if watch is None or done:
                break
            time.sleep(watch)
    if not done:
        raise typer.Exit(1)


def _status_json(statuses: list[OrgStatus]) -> dict[str, Any]:
    return {
        "organizations": [s.to_json() for s in statuses],
        "done": sum(s.done for s in statuses),
        "total": len(statuses),
        "all_done": all(s.done for s in statuses),
    }


def _print_status(statuses: list[OrgStatus]) -> None:
    table = Table(title="SSO and directory handoff", title_justify="left", show_edge=False)
    for column in ("organization", "connection", "state", "since", "detail"):
        table.add_column(column)
    for s in statuses:
        for n, line in enumerate(s.lines):
            colour = _COLOURS.get(line.state, "")
            name = (s.name or s.organization_id) + (" ✓" if s.done else "") if n == 0 else ""
            table.add_row(
                escape(name),
                escape(line.label),
                f"[{colour}]{line.state}[/{colour}]" if colour else line.state,
                escape(line.since or ""),
                escape(line.detail),
            )
    console.out.print(table)
    done = sum(s.done for s in statuses)
    console.out.print(f"{done:,} of {len(statuses):,} organization(s) done")


def _listen(workspace: str | None, config: Any, host: str, port: int) -> None:
    from stytch2workos.destination.handoff_receiver import Receiver, serve

    secret = os.environ.get("WORKOS_WEBHOOK_SECRET", "").strip()
    if not secret:
        raise ConfigError(
            "WORKOS_WEBHOOK_SECRET is not set: export the webhook endpoint's signing secret "
            "(WorkOS Dashboard → Webhooks)"
        )
    console.keep_secret([secret])
    if not 0 <= port <= 65535:
        raise ConfigError("--listen takes a port from 0 to 65535")

    def log(line: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        console.err.print(escape(console.safe(f"{stamp} {line}")), soft_wrap=True)

    def ready(url: str) -> None:
        console.err.print(escape(f"listening for WorkOS webhooks on {url} (Ctrl-C to stop)"), soft_wrap=True)
        if host not in ("127.0.0.1", "::1", "localhost"):
            console.warn("listening beyond this machine: put it behind HTTPS (WorkOS delivers only to https)")

    with open_existing_workspace(workspace) as ws:
        cfg = load_config(ws.path, config)
        with workos_target(workos_credentials(os.environ), cfg) as target:
            try:
                serve(Receiver(ws, target.client, secret), host, port, log, ready)
            except OSError as exc:
                raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None

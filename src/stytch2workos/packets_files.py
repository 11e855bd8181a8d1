"""Writing the customers' packets: ``packets/<slug>.md`` and ``.txt`` in the workspace, owner-only.

Shared by ``packets`` and ``migrate``. Reads the workspace (what import recorded) and
talks to no API; :mod:`stytch2workos.packets` renders each page.
"""

from __future__ import annotations

from typing import Any

from stytch2workos.config import MigrationConfig
from stytch2workos.private_files import open_private_text, private_dir
from stytch2workos.workspace import Workspace


def write_packets(ws: Workspace, cfg: MigrationConfig, orgs: list[str] | None) -> dict[str, Any]:
    """Write a packet per organization with SSO or SCIM that import has settled.

    Returns ``written`` (organization, name, file paths), ``not_ready`` (organizations
    whose connections import has not settled yet), ``proxies`` (ACS URLs the operator
    forwards) and ``directory``.
    """
    from stytch2workos.handoff_view import load_view
    from stytch2workos.packets import Context, build_packet, file_stem, render_markdown, render_text
    from stytch2workos.transform.connections import NOTE_PROXIED_ACS

    written: list[dict[str, str]] = []
    not_ready: list[str] = []
    proxies: list[dict[str, str]] = []
    view = load_view(ws, cfg, orgs)
    ctx = Context(cfg.handoff.app_name, cfg.handoff.contact, cfg.roles, view.names)
    out_dir = ws.path / "packets"
    taken: set[str] = set()
    for org_id in view.organizations():
        items = view.items(org_id)
        if items is None:
            not_ready.append(org_id)
            continue
        packet = build_packet(org_id, view.names.get(org_id) or org_id, items, ctx)
        stem = file_stem(view.slugs.get(org_id, ""), org_id, taken)
        private_dir(out_dir)
        paths = {"markdown": out_dir / f"{stem}.md", "text": out_dir / f"{stem}.txt"}
        for fmt, path in paths.items():
            with open_private_text(path) as out:
                out.write(render_markdown(packet) if fmt == "markdown" else render_text(packet))
        written.append(
            {
                "organization_id": org_id,
                "name": view.names.get(org_id, ""),
                **{k: str(p) for k, p in paths.items()},
            }
        )
        for item in items:
            if NOTE_PROXIED_ACS in item.facts.notes and item.details.get("callback_url"):
                proxies.append(
                    {
                        "connection_id": item.facts.source_id,
                        "from": item.facts.idp_target,
                        "to": str(item.details["callback_url"]),
                    }
                )
    return {"written": written, "not_ready": not_ready, "proxies": proxies, "directory": str(out_dir)}

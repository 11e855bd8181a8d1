"""``make demo``: a full migration rehearsal on the emulators.

Starts both emulators on loopback (with the real APIs' rate limits), generates a
synthetic Stytch project with Stytch's encrypted password delivery, puts a few
pre-existing users and organizations in the WorkOS environment, then runs the real
CLI as an operator would: ``migrate`` (it stops once for the review of
``migration.toml``; the demo then goes on as if it was reviewed, confirming with
``--yes``) → an old password signs in → the SSO handoff → a change in Stytch made
through the official ``stytch`` SDK → ``sync`` → ``status`` → ``report --html``,
whose path is printed at the end. Everything is fake and local.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import start_in_thread
from stytch2workos_emulators.stytch import api as stytch
from stytch2workos_emulators.synth.passwords import write_password_delivery
from stytch2workos_emulators.synth.project import generate_project
from stytch2workos_emulators.workos import api as workos

console = Console(highlight=False)


def _step(title: str) -> None:
    console.rule(f"[bold cyan]{title}")


def _cli(args: list[str], env: dict[str, str], capture: bool = False, stdin: str | None = None) -> Any:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    console.print(f"[bold green]$ stytch2workos {shown}[/bold green]")
    proc = subprocess.run(
        [sys.executable, "-m", "stytch2workos", *args],
        env=env,
        text=True,
        capture_output=capture,
        input=stdin,
        check=False,
    )
    if proc.returncode not in (0, 1):
        if capture:
            console.print(proc.stderr)
        raise SystemExit(f"demo step failed with exit code {proc.returncode}")
    return json.loads(proc.stdout) if capture and proc.stdout.strip() else None


def _workos_seed(project_seed: dict[str, Any]) -> dict[str, Any]:
    """A target that is not empty: one organization and two users from a pilot. Its roles are
    WorkOS's own admin and member only: import creates the rest."""
    org = project_seed["organizations"][1]
    active = [m for m in project_seed["members"] if m["status"] == "active"]
    return {
        "organizations": [
            {
                "name": org["organization_name"],
                "external_id": org["organization_id"],
                "metadata": {"created_by": "an earlier pilot"},
            }
        ],
        "users": [
            {"email": m["email_address"].upper(), "email_verified": True, "first_name": "Existing"}
            for m in active[:2]
        ],
    }


def _someone_with_a_kept_password(
    seed: dict[str, Any], passwords: dict[str, str], id_map: list[dict[str, str]], resets: Path
) -> tuple[str, str]:
    """An imported person with one Stytch member whose hash WorkOS took, and their password.

    Chosen from what the tool reports (the id map, the reset list), not from its database.
    """
    members_per_email: dict[str, int] = {}
    for member in seed["members"]:
        key = str(member["email_address"]).lower()
        members_per_email[key] = members_per_email.get(key, 0) + 1
    with resets.open(encoding="utf-8", newline="") as f:
        need_reset = {row["email"] for row in csv.DictReader(f)}
    imported = {row["stytch_id"] for row in id_map if row["kind"] == "member" and row["workos_user_id"]}
    for member in sorted(seed["members"], key=lambda m: str(m["member_id"])):
        email = str(member["email_address"])
        if (
            member["member_id"] in passwords
            and member["member_id"] in imported
            and members_per_email[email.lower()] == 1
            and email.lower() not in need_reset
        ):
            return email, passwords[member["member_id"]]
    raise SystemExit("no imported person with a password to check: that is a bug, please report it")


def _sso_handoff(env: dict[str, str], w_ctl: EmulatorControl, id_map: list[dict[str, str]]) -> None:
    """Packets for the customers' admins, one printed; a portal link; the status before and after
    one customer finishes the Admin Portal (played by the emulator's control API)."""
    written = _cli(["packets", "--json"], env, capture=True)["written"]
    texts = {row["organization_id"]: Path(row["text"]).read_text(encoding="utf-8") for row in written}
    # The richest one to show: a recreated SAML connection and a directory to set up again.
    org_id = next((o for o, t in texts.items() if "(SAML)" in t and "(SCIM)" in t), next(iter(texts)))
    console.print(f"{len(written)} packets written; the one for {org_id}:", markup=False)
    console.print(texts[org_id], markup=False, soft_wrap=True)
    _cli(["portal-link", "--org", org_id, "--intent", "dsync"], env)
    _cli(["handoff", "--org", org_id], env)
    workos_org = next(
        r["workos_id"] for r in id_map if r["kind"] == "organization" and r["stytch_id"] == org_id
    )
    console.print("[dim]The customer's IT admin finishes the Admin Portal (directory sync and SSO):[/dim]")
    w_ctl.complete_setup(workos_org, "dsync")
    w_ctl.complete_setup(workos_org, "sso")
    _cli(["handoff", "--org", org_id], env)


def _stytch_changes(stytch_url: str, seed: dict[str, Any]) -> list[str]:
    """What happens in Stytch during the sync window, through the official SDK: a member renamed,
    a member's role changed, a member added."""
    from stytch import B2BClient

    client = B2BClient(defaults.STYTCH_PROJECT_ID, defaults.STYTCH_SECRET, environment=stytch_url)
    members = client.organizations.members
    active = sorted(
        (m for m in seed["members"] if m["status"] == "active"), key=lambda m: str(m["member_id"])
    )
    renamed, promoted = active[0], active[1]
    members.update(renamed["organization_id"], renamed["member_id"], name="Renamed During Sync")
    roles = sorted({r["role_id"] for m in seed["members"] for r in m["roles"]} - {"stytch_member"})
    new_role = "stytch_admin" if "stytch_admin" in roles else roles[0]
    members.update(promoted["organization_id"], promoted["member_id"], roles=[new_role])
    org = seed["organizations"][0]
    domain = (org.get("email_allowed_domains") or ["newcomer.example"])[0]
    added = f"new.colleague@{domain}"
    members.create(org["organization_id"], added, name="New Colleague")
    return [
        f"renamed {renamed['email_address']} to 'Renamed During Sync'",
        f"gave {promoted['email_address']} the role {new_role}",
        f"added {added} to {org['organization_name']}",
    ]


def main() -> None:
    base = Path(os.environ.get("DEMO_DIR", "demo-workspace")).resolve()
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(mode=0o700)
    ws, files = base / "workspace", base / "stytch-support"

    _step("1. Emulators and a synthetic Stytch project")
    stytch_server = start_in_thread(stytch.create_app())
    workos_server = start_in_thread(workos.create_app())
    s_ctl, w_ctl = EmulatorControl(stytch_server.base_url), EmulatorControl(workos_server.base_url)
    project = generate_project(orgs=16, members=400, seed=2026)
    s_ctl.seed(project.seed)
    delivery = write_password_delivery(project, files, defaults.STYTCH_PROJECT_ID)
    console.print(
        f"Stytch emulator  {stytch_server.base_url}  ({len(project.seed['organizations'])} organizations, "
        f"{len(project.seed['members'])} members, rate limits as documented)"
    )
    console.print(f"WorkOS emulator  {workos_server.base_url}  (rate limits as documented)")
    env = defaults.operator_env(stytch_server.base_url, workos_server.base_url)
    env["STYTCH2WORKOS_WORKSPACE"] = str(ws)

    _step("2. migrate: export everything Stytch's API gives, propose migration.toml, stop for review")
    _cli(["migrate"], env)
    w_ctl.seed(_workos_seed(project.seed))
    console.print(
        "[dim]A person reviews migration.toml here. Meanwhile WorkOS holds only its own admin and "
        "member roles, one organization and two users from a pilot: migrate reuses them.[/dim]"
    )

    _step("3. What customers and people must do before cutover (no network)")
    _cli(["readiness"], env)

    _step("4. migrate again: plan, passwords, roles, organizations, people, SSO, packets, verify")
    started = time.monotonic()
    password_args = ["--passwords-delivery", str(delivery["hashes"]), "--key", str(delivery["key"])]
    password_args += ["--private-key", str(delivery["private_key"])]
    _cli(["migrate", "--yes", *password_args], env)
    console.print(f"migrate took {time.monotonic() - started:.1f}s at WorkOS's write budget")
    console.print("[dim]Running it again changes nothing (every stage finds its work done):[/dim]")
    again = _cli(["migrate", "--yes", "--json"], env, capture=True)
    if again["exit_code"] != 0:
        raise SystemExit("a rerun of migrate did not end cleanly: that is a bug, please report it")
    loads = [s for s in again["stages"] if s["stage"] == "passwords load"]
    imported = next(s for s in again["stages"] if s["stage"] == "import")["counts"]
    console.print(
        f"[dim]Ledger after the rerun: {json.dumps(imported)}; hashes loaded again: {bool(loads)}[/dim]"
    )

    _step("5. The id map for your application's database; sign in with an old password")
    _cli(["mapping", "--output", str(base / "id-map.csv")], env)
    with (base / "id-map.csv").open(encoding="utf-8", newline="") as f:
        id_map = list(csv.DictReader(f))
    passwords = json.loads(Path(delivery["passwords"]).read_text(encoding="utf-8"))
    email, password = _someone_with_a_kept_password(
        project.seed, passwords, id_map, ws / "password-resets.csv"
    )
    _cli(["passwords", "check", email], env, stdin=password + "\n")

    _step("6. Hand SSO and directories over to customers' IT admins")
    _sso_handoff(env, w_ctl, id_map)

    _step("7. The sync window: people change things in Stytch; sync carries them over")
    for change in _stytch_changes(stytch_server.base_url, project.seed):
        console.print(f"Stytch (through the official SDK): {change}", markup=False)
    _cli(["sync", "--yes"], env)

    _step("8. Where the migration stands, and the report to share")
    _cli(["status"], env)
    report = ws / "report.html"
    _cli(["report", "--html", str(report)], env)

    _step("Summary")
    stats = w_ctl.stats()
    console.print(
        f"WorkOS emulator: {stats['total_requests']:,} requests, {stats['rate_limited']} refused for rate "
        f"(fullest 10 s window of writes: {stats['max_in_window'].get('user_management_writes', 0)} of 500)"
    )
    console.print(f"Workspace: {ws}")
    console.print(f"Report: [bold]{report}[/bold] (open it in a browser; it needs no network)")
    stytch_server.stop()
    workos_server.stop()


if __name__ == "__main__":
    main()

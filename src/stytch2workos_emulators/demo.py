"""``make demo``: a full migration rehearsal on the emulators.

Starts both emulators on loopback (with the real APIs' rate limits), generates a
synthetic Stytch project with Stytch's encrypted password delivery, puts a few
pre-existing users and organizations in the WorkOS environment, then runs the
real CLI, step by step, as an operator would: export → init → plan → passwords
load → import → mapping → passwords check. Everything is fake and local.
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

    _step("2. Export everything Stytch's API gives")
    _cli(["export"], env)

    _step("3. Propose role and permission slugs; the WorkOS environment as a pilot left it")
    _cli(["init"], env)
    w_ctl.seed(_workos_seed(project.seed))
    console.print(
        "WorkOS has only its own admin and member roles, one organization and two users from a pilot: "
        "import creates Stytch's roles and permissions before the first membership."
    )

    _step("4. Plan (no writes), and what customers and people must do before cutover")
    _cli(["plan"], env)
    _cli(["readiness"], env)

    _step("5. Load the password hashes Stytch support sent (encrypted)")
    loaded = _cli(
        [
            "passwords",
            "load",
            str(delivery["hashes"]),
            "--key",
            str(delivery["key"]),
            "--private-key",
            str(delivery["private_key"]),
            "--json",
        ],
        env,
        capture=True,
    )
    people = loaded["people"]
    console.print(
        f"{people['with_password']:,} people keep their password; {people['need_reset']:,} will need a "
        "reset (their hash uses an algorithm WorkOS cannot import); details in the workspace reports."
    )

    _step("6. Import into WorkOS")
    started = time.monotonic()
    result = _cli(["import", "--yes", "--json"], env, capture=True)
    ledger = result["ledger"]
    roles = {kind: sum(ledger.get(kind, {}).values()) for kind in ("permission", "role", "org_role")}
    console.print(
        f"Roles stage first: {roles['permission']} permissions, {roles['role']} environment roles and "
        f"{roles['org_role']} organization roles, then organizations and people:"
    )
    console.print_json(json.dumps(ledger))
    console.print(f"import took {time.monotonic() - started:.1f}s at WorkOS's write budget")
    console.print("[dim]Running it again changes nothing:[/dim]")
    again = _cli(["import", "--yes", "--json"], env, capture=True)
    if again["ledger"] != result["ledger"]:
        raise SystemExit("a rerun changed the ledger: that is a bug, please report it")

    console.print("[dim]Users that already existed in WorkOS get their hash through `passwords apply`:[/dim]")
    _cli(["passwords", "apply", "--yes"], env)

    _step("7. The id map for your application's database")
    _cli(["mapping", "--output", str(base / "id-map.csv")], env)
    with (base / "id-map.csv").open(encoding="utf-8", newline="") as f:
        id_map = list(csv.DictReader(f))

    _step("8. Sign in with an old password")
    passwords = json.loads(Path(delivery["passwords"]).read_text(encoding="utf-8"))
    resets = Path(loaded["reports"]["resets"])
    email, password = _someone_with_a_kept_password(project.seed, passwords, id_map, resets)
    _cli(["passwords", "check", email], env, stdin=password + "\n")

    _step("9. Hand SSO and directories over to customers' IT admins")
    _sso_handoff(env, w_ctl, id_map)

    _step("Summary")
    stats = w_ctl.stats()
    console.print(
        f"WorkOS emulator: {stats['total_requests']:,} requests, {stats['rate_limited']} refused for rate "
        f"(fullest 10 s window of writes: {stats['max_in_window'].get('user_management_writes', 0)} of 500)"
    )
    console.print(
        f"Passwords: {people['with_password']:,} people sign in with their Stytch password; "
        f"{people['need_reset']:,} need a reset."
    )
    console.print(f"Workspace: {ws}")
    stytch_server.stop()
    workos_server.stop()


if __name__ == "__main__":
    main()

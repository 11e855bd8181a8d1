"""``make demo``: a full migration rehearsal on the emulators.

Starts both emulators on loopback (with the real APIs' rate limits), generates a
synthetic Stytch project with Stytch's encrypted password delivery, puts a few
pre-existing users and organizations in the WorkOS environment, then runs the
real CLI, step by step, as an operator would: export → init → plan → passwords
load → import → mapping → passwords check. Everything is fake and local.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from .emulators import defaults, stytch, workos
from .emulators.control import EmulatorControl
from .emulators.generate import generate_project
from .emulators.generate_passwords import write_password_delivery
from .emulators.serve import start_in_thread

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


def _workos_seed(project_seed: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """A target that is not empty: the roles, one organization and two users already there."""
    org = project_seed["organizations"][1]
    active = [m for m in project_seed["members"] if m["status"] == "active"]
    return {
        "roles": [{"slug": slug, "name": slug.replace("_", " ").title()} for slug in roles],
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


def _role_slugs(toml_text: str) -> list[str]:
    import tomllib

    return sorted(set(tomllib.loads(toml_text).get("roles", {}).get("map", {}).values()))


def _someone_with_a_kept_password(ws: Path, passwords: dict[str, str]) -> tuple[str, str]:
    """An imported person whose Stytch hash was the one kept, and their plaintext password."""
    db = sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT p.member_id, m.email FROM password_hashes p JOIN members m ON m.member_id = p.member_id "
            "JOIN ledger u ON u.kind = 'user' AND u.source_id = p.email_key AND u.status IN ('created', 'reused') "
            "WHERE p.status = 'selected' ORDER BY p.member_id"
        ).fetchall()
    finally:
        db.close()
    member_id, email = next((m, e) for m, e in rows if m in passwords)
    return str(email), passwords[member_id]


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

    _step("3. Propose a role map, and prepare the WorkOS environment")
    _cli(["init"], env)
    slugs = _role_slugs((ws / "migration.toml").read_text(encoding="utf-8"))
    w_ctl.seed(_workos_seed(project.seed, slugs))
    console.print(f"WorkOS now has roles {', '.join(slugs)}, one organization and two users from a pilot.")

    _step("4. Plan (no writes)")
    _cli(["plan"], env)

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
    console.print_json(json.dumps(result["ledger"]))
    console.print(f"import took {time.monotonic() - started:.1f}s at WorkOS's write budget")
    console.print("[dim]Running it again changes nothing:[/dim]")
    again = _cli(["import", "--yes", "--json"], env, capture=True)
    if again["ledger"] != result["ledger"]:
        raise SystemExit("a rerun changed the ledger: that is a bug, please report it")

    console.print("[dim]Users that already existed in WorkOS get their hash through `passwords apply`:[/dim]")
    _cli(["passwords", "apply", "--yes"], env)

    _step("7. The id map for your application's database")
    _cli(["mapping", "--output", str(base / "id-map.csv")], env)

    _step("8. Sign in with an old password")
    passwords = json.loads(Path(delivery["passwords"]).read_text(encoding="utf-8"))
    email, password = _someone_with_a_kept_password(ws, passwords)
    _cli(["passwords", "check", email], env, stdin=password + "\n")

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

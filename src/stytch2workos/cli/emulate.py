"""``stytch2workos emulate``: serve both emulators for rehearsals and development."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from stytch2workos import console
from stytch2workos.cli.common import JsonOpt, handled
from stytch2workos.errors import ConfigError, InputError, OutputError

if TYPE_CHECKING:
    from stytch2workos_emulators.server.app import EmulatorApp

commands = typer.Typer()


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a JSON object")
    return data


def _seed(emulator: EmulatorApp, path: Path) -> None:
    try:
        emulator.service.load_seed(_load_json(path))
    except (ValueError, TypeError, KeyError) as exc:  # what the control API answers 400 for
        raise InputError(f"{path} is not a usable {emulator.service.name} seed: {exc}") from None


# What the emulators need beyond the tool itself: the `emulators` extra.
EXTRA_MODULES = ("stytch2workos_emulators", "uvicorn", "httptools", "bcrypt", "argon2")
INSTALL_HINT = "pip install 'stytch2workos[emulators]'"


def _require_emulators() -> None:
    """Import the emulators, or say in one line how to install them (exit 2)."""
    try:
        import stytch2workos_emulators.server.serve
        import stytch2workos_emulators.synth.passwords
        import stytch2workos_emulators.workos.api  # noqa: F401
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in EXTRA_MODULES:
            raise
        raise ConfigError(
            f"the emulators are not installed (no module {exc.name}); add them with: {INSTALL_HINT}"
        ) from None


@commands.command()
@handled
def emulate(
    stytch_port: Annotated[int, typer.Option(help="Port for the Stytch emulator (0 picks one).")] = 8401,
    workos_port: Annotated[int, typer.Option(help="Port for the WorkOS emulator (0 picks one).")] = 8402,
    seed: Annotated[Path | None, typer.Option("--seed", help="Stytch seed JSON file.")] = None,
    workos_seed: Annotated[Path | None, typer.Option(help="WorkOS seed JSON file.")] = None,
    generate: Annotated[bool, typer.Option(help="Generate a synthetic Stytch project.")] = False,
    orgs: Annotated[int, typer.Option(help="Organizations to generate.")] = 20,
    members: Annotated[int, typer.Option(help="Members to generate.")] = 500,
    random_seed: Annotated[int, typer.Option(help="Seed of the generator (same seed, same project).")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Where --generate writes its files (seed, passwords, hash delivery).")
    ] = None,
    rate_limits: Annotated[
        str, typer.Option(help="real, off, or scaled:K (windows K times shorter).")
    ] = "real",
    latency_ms: Annotated[float, typer.Option(help="Latency added to every request.")] = 0.0,
    faults: Annotated[
        str | None, typer.Option(help="Fault rules, e.g. 'route=POST *,error_rate=0.05'.")
    ] = None,
    stytch_project_id: Annotated[
        str | None, typer.Option(help="Project id the Stytch emulator accepts.")
    ] = None,
    stytch_secret: Annotated[
        str | None, typer.Option(help="Secret the Stytch emulator accepts (fake).")
    ] = None,
    workos_api_key: Annotated[
        str | None, typer.Option(help="API key the WorkOS emulator accepts (fake).")
    ] = None,
    workos_client_id: Annotated[
        str | None, typer.Option(help="Client id the WorkOS emulator accepts.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve the Stytch and WorkOS emulators on loopback until interrupted.

    Example: `stytch2workos emulate --generate --members 2000 --out ./rehearsal`
    """
    _require_emulators()
    from stytch2workos_emulators import defaults
    from stytch2workos_emulators.server.faults import parse_spec
    from stytch2workos_emulators.server.ratelimit import parse_mode
    from stytch2workos_emulators.server.serve import bind, serve_forever
    from stytch2workos_emulators.stytch import api as stytch
    from stytch2workos_emulators.workos import api as workos

    try:
        parse_mode(rate_limits)
        rules = parse_spec(faults) if faults else []
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if latency_ms < 0:
        raise ConfigError("--latency-ms cannot be negative")
    creds = {
        "STYTCH_PROJECT_ID": stytch_project_id or defaults.STYTCH_PROJECT_ID,
        "STYTCH_SECRET": stytch_secret or defaults.STYTCH_SECRET,
        "WORKOS_API_KEY": workos_api_key or defaults.WORKOS_API_KEY,
        "WORKOS_CLIENT_ID": workos_client_id or defaults.WORKOS_CLIENT_ID,
    }
    stytch_app = stytch.create_app(project_id=creds["STYTCH_PROJECT_ID"], secret=creds["STYTCH_SECRET"])
    workos_app = workos.create_app(api_key=creds["WORKOS_API_KEY"], client_id=creds["WORKOS_CLIENT_ID"])
    if seed is not None:
        _seed(stytch_app, seed)
    if generate:
        from stytch2workos_emulators.synth.project import generate_project, write_project

        project = generate_project(orgs, members, random_seed, creds["STYTCH_PROJECT_ID"])
        stytch_app.service.load_seed(project.seed)
        if out is not None:
            from stytch2workos_emulators.synth.passwords import write_password_delivery

            try:
                written = write_project(project, out)
                written |= write_password_delivery(project, out, creds["STYTCH_PROJECT_ID"], seed=random_seed)
            except OSError as exc:  # the directory itself (files are OutputErrors already)
                raise OutputError(f"cannot write to {out}: {exc.strerror}") from None
            for name, path in written.items():
                console.err.print(f"wrote {name}: {escape(str(path))}")
    if workos_seed is not None:
        _seed(workos_app, workos_seed)
    for emulator in (stytch_app, workos_app):
        emulator.limiter.set_mode(rate_limits)
        if latency_ms:
            from stytch2workos_emulators.server.faults import FaultRule

            emulator.faults.set_rules([FaultRule(latency_ms=latency_ms), *rules])
        else:
            emulator.faults.set_rules(list(rules))
    try:
        s_sock, w_sock = bind(port=stytch_port), bind(port=workos_port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on the chosen ports: {exc.strerror}") from None
    s_url = f"http://127.0.0.1:{s_sock.getsockname()[1]}"
    w_url = f"http://127.0.0.1:{w_sock.getsockname()[1]}"
    if as_json:  # one line a script can read before it starts using the emulators
        environment = {"STYTCH_BASE_URL": s_url, "WORKOS_BASE_URL": w_url, **creds}
        line = json.dumps({"stytch_url": s_url, "workos_url": w_url, "environment": environment})
        sys.stdout.write(console.safe(line) + "\n")
        sys.stdout.flush()
    else:
        _print_environment(s_url, w_url, creds)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever([(stytch_app, s_sock), (workos_app, w_sock)])


def _print_environment(s_url: str, w_url: str, creds: dict[str, str]) -> None:
    console.out.print("[bold]Emulators running.[/bold] In another shell:\n")
    console.out.print(f"export STYTCH_BASE_URL={s_url}")
    console.out.print(f"export WORKOS_BASE_URL={w_url}")
    for name, value in creds.items():
        console.out.print(escape(f"export {name}={value}"))
    console.out.print(f"\nControl API: {s_url}/_emulator/stats and {w_url}/_emulator/stats. Ctrl-C stops.")

"""Both emulators in a child process of their own, so they never share a GIL with the tool.

``python -m bench._servers CONFIG_JSON`` builds the apps, optionally generates a
Stytch project inside the child (the seed never crosses a socket), binds free
loopback ports, prints one JSON line with the base URLs and serves until SIGTERM.
:class:`Emulators` starts and stops that process from a benchmark.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stytch2workos_emulators.server.control import EmulatorControl

from ._common import with_bench_path


@dataclass
class EmulatorConfig:
    rate_limits: str = "off"
    latency_ms: float = 0.0
    generate: tuple[int, int, int] | None = None  # orgs, members, random seed
    workos_seed: dict[str, Any] | None = None


class Emulators:
    """A running emulator process: base URLs, control clients, stop()."""

    def __init__(self, config: EmulatorConfig, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self._err = (log_dir / "emulators.err").open("ab")
        env = with_bench_path(dict(os.environ))
        payload = {
            "rate_limits": config.rate_limits,
            "latency_ms": config.latency_ms,
            "generate": list(config.generate) if config.generate else None,
            "workos_seed": config.workos_seed,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._servers", json.dumps(payload)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"the emulator process exited ({self.proc.returncode}); see {log_dir}")
        urls = json.loads(line)
        self.stytch_url: str = urls["stytch"]
        self.workos_url: str = urls["workos"]
        self.stytch = EmulatorControl(self.stytch_url)
        self.workos = EmulatorControl(self.workos_url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._err.close()

    def __enter__(self) -> Emulators:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(config: dict[str, Any]) -> None:
    from stytch2workos_emulators.server.faults import FaultRule
    from stytch2workos_emulators.server.serve import bind, serve_forever
    from stytch2workos_emulators.stytch import api as stytch
    from stytch2workos_emulators.workos import api as workos

    stytch_app = stytch.create_app()
    workos_app = workos.create_app()
    if config.get("generate"):
        from stytch2workos_emulators.synth.project import generate_project

        orgs, members, seed = config["generate"]
        stytch_app.service.load_seed(generate_project(orgs, members, seed).seed)
    if config.get("workos_seed"):
        workos_app.service.load_seed(config["workos_seed"])
    for app in (stytch_app, workos_app):
        app.limiter.set_mode(config["rate_limits"])
        if config.get("latency_ms"):
            app.faults.set_rules([FaultRule(latency_ms=float(config["latency_ms"]))])
    s_sock, w_sock = bind(), bind()
    urls = {
        "stytch": f"http://127.0.0.1:{s_sock.getsockname()[1]}",
        "workos": f"http://127.0.0.1:{w_sock.getsockname()[1]}",
    }
    sys.stdout.write(json.dumps(urls) + "\n")
    sys.stdout.flush()
    serve_forever([(stytch_app, s_sock), (workos_app, w_sock)])


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))

"""Run emulator apps on loopback sockets: in a background thread (tests, demo) or
in the foreground (``stytch2workos emulate``)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn

# uvicorn logs every dropped connection we inject on purpose; keep the terminal quiet.
for _name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it, headers and body go out as two small
    # segments and the second waits for the client's delayed ACK (about 40 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _config(app: Callable[..., Any]) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="critical",
        access_log=False,
        lifespan="off",
        http="httptools",
        loop="asyncio",
        timeout_keep_alive=30,
        backlog=1024,
    )


@dataclass
class RunningServer:
    base_url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` from a daemon thread; returns once the socket accepts connections."""
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name=f"emulator-{actual}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("emulator server did not start")
        time.sleep(0.005)
    return RunningServer(f"http://{host}:{actual}", actual, server, thread)


def serve_forever(apps: Sequence[tuple[Callable[..., Any], socket.socket]]) -> None:
    """Serve several apps on already-bound sockets until interrupted."""

    async def main() -> None:
        servers = [uvicorn.Server(_config(app)) for app, _ in apps]
        await asyncio.gather(*(s.serve(sockets=[sock]) for s, (_, sock) in zip(servers, apps, strict=True)))

    asyncio.run(main())

"""Shared fixtures: both emulators on real loopback sockets, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from workos import WorkOSClient

from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.control import EmulatorControl
from stytch2workos_emulators.server.serve import RunningServer, start_in_thread


@dataclass
class Emulator:
    base_url: str
    control: EmulatorControl


@pytest.fixture(scope="session")
def stytch_server() -> Iterator[RunningServer]:
    from stytch2workos_emulators.stytch import api as stytch

    server = start_in_thread(
        stytch.create_app(project_id=defaults.STYTCH_PROJECT_ID, secret=defaults.STYTCH_SECRET)
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def workos_server() -> Iterator[RunningServer]:
    from stytch2workos_emulators.workos import api as workos

    server = start_in_thread(
        workos.create_app(api_key=defaults.WORKOS_API_KEY, client_id=defaults.WORKOS_CLIENT_ID)
    )
    yield server
    server.stop()


def _fresh(server: RunningServer) -> Emulator:
    control = EmulatorControl(server.base_url)
    control.reset()
    control.set_rate_limits("off")
    return Emulator(server.base_url, control)


@pytest.fixture
def stytch_emu(stytch_server: RunningServer) -> Emulator:
    """The Stytch emulator, empty, rate limits off, no faults."""
    return _fresh(stytch_server)


@pytest.fixture
def workos_emu(workos_server: RunningServer) -> Emulator:
    """The WorkOS emulator, reset to its defaults, rate limits off, no faults."""
    return _fresh(workos_server)


@pytest.fixture
def workos_client(workos_emu: Emulator) -> Iterator[WorkOSClient]:
    """The official WorkOS SDK pointed at the emulator, with its own retries off."""
    with WorkOSClient(
        api_key=defaults.WORKOS_API_KEY,
        client_id=defaults.WORKOS_CLIENT_ID,
        base_url=workos_emu.base_url,
        max_retries=0,
    ) as sdk:
        yield sdk

"""`sync --listen`: Stytch's Svix-signed webhooks into the receiver (a real CLI subprocess),
the current state re-read from the Stytch emulator, and the WorkOS emulator brought in step.

The emulator signs with its own implementation of Svix's scheme; forged and stale
deliveries here are signed by hand the same documented way with another key or an old
timestamp. What WorkOS should hold is computed from the Stytch emulator's state by
``test_sync.expected`` (the rules the README documents), independently of the tool.
"""

# ruff: noqa: F811
from __future__ import annotations

import base64
import json
import queue
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import Emulator
from helpers import cli_env, run_cli, start_cli
from stytch2workos.destination.sync_listen import Worker
from stytch2workos.errors import ConfigError, Failure, RetriesExhausted
from stytch2workos.workspace import Workspace, stytch_events
from stytch2workos.workspace.stytch_events import StytchEvent
from stytch2workos_emulators.stytch.webhooks import signature

# The seed exported and imported once per module and restored before each test, as test_sync
# has it: its fixtures are imported, and tests name them as parameters (hence F811 above).
from test_sync import O1, O2, assert_in_step, imported, imported_once, mid, stytch_client  # noqa: F401

pytestmark = pytest.mark.timeout(180)

SECRET = "whsec_" + base64.b64encode(b"fake-listen-test-key-not-real!!!").decode()
OTHER = "whsec_" + base64.b64encode(b"someone-else-entirely-fake-key!!").decode()


@dataclass
class Listener:
    """``sync --listen`` in a child process; its stderr read by a thread as it comes."""

    proc: subprocess.Popen[str]
    url: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)
    stdout: str = ""

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.log.append(line)
            if text in line:
                return line
        raise AssertionError(f"no log line with {text!r}: {self.log}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=30)
        time.sleep(0.1)
        while not self.lines.empty():
            self.log.append(self.lines.get())
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code


def listener(ws: Path, stytch: Emulator, workos: Emulator) -> Listener:
    env = cli_env(stytch.base_url, workos.base_url, STYTCH_WEBHOOK_SECRET=SECRET)
    proc = start_cli(["sync", "-w", str(ws), "--listen", "0", "--yes"], env)
    running = Listener(proc)
    stream = proc.stderr
    assert stream is not None
    threading.Thread(target=lambda: [running.lines.put(line) for line in stream], daemon=True).start()
    ready = running.wait_for("listening for Stytch webhooks on http://127.0.0.1:")
    running.url = ready.split(" on ", 1)[1].split(" ", 1)[0]
    return running


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def signed(body: bytes, msg_id: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(stamp),
        "svix-signature": signature(secret, msg_id, stamp, body),
        "Content-Type": "application/json",
    }


def rows(ws: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{ws / 'workspace.db'}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


def workos_user_name(workos: Emulator, email: str) -> str:
    users = [u for u in workos.control.state()["users"] if u["email"] == email]
    assert len(users) == 1, users
    return " ".join(p for p in (users[0].get("first_name"), users[0].get("last_name")) if p)


def event_body(member_id: str, name: str) -> bytes:
    """A Stytch member UPDATE whose copy of the member says ``name`` (never to be trusted)."""
    return json.dumps(
        {
            "project_id": "project-test-00000000-0000-4000-8000-000000000000",
            "event_id": f"event-test-forged-{name}",
            "action": "UPDATE",
            "object_type": "member",
            "source": "DIRECT",
            "id": member_id,
            "timestamp": "2024-01-01T00:00:00.000000Z",
            "vertical": "B2B",
            "member": {"member_id": member_id, "name": name},
        }
    ).encode()


def test_forged_stale_and_malformed_deliveries_are_refused_counted_and_never_applied(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    before = workos_emu.control.state()["users"]
    running = listener(imported, stytch_emu, workos_emu)
    body = event_body(mid(1), "Mallory")
    old = int(time.time()) - 301
    cases = [
        ("forged", signed(body, "msg_forged", OTHER), 401, "signature does not match"),
        ("stale", signed(body, "msg_stale", SECRET, old), 400, "stale timestamp"),
        ("future", signed(body, "msg_future", SECRET, int(time.time()) + 301), 400, "stale timestamp"),
        ("no headers", {"Content-Type": "application/json"}, 400, "missing or malformed"),
        ("bad signature", {**signed(body, "msg_bad"), "svix-signature": "nonsense"}, 400, "malformed"),
    ]
    try:
        for what, headers, status, logged in cases:
            assert post(running.url, body, headers) == status, what
            running.wait_for(logged)
        not_json = b"not json"
        assert post(running.url, not_json, signed(not_json, "msg_text")) == 400
        running.wait_for("body is not JSON")
    finally:
        code = running.stop()
    assert code == 130
    assert rows(imported, "SELECT COUNT(*) FROM stytch_events") == [(0,)]
    assert dict(rows(imported, "SELECT reason, count FROM stytch_webhook_refusals")) == {
        "forged": 1,
        "stale": 2,
        "malformed": 2,
        "not_an_event": 1,
    }
    assert workos_emu.control.state()["users"] == before
    assert SECRET not in "".join(running.log) + running.stdout
    assert SECRET.removeprefix("whsec_") not in "".join(running.log) + running.stdout


def test_duplicate_and_reordered_deliveries_end_in_the_current_state_applied_once(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    running = listener(imported, stytch_emu, workos_emu)
    try:
        stytch_emu.control.add_stytch_webhook_endpoint(running.url + "stytch", SECRET)
        # Every message twice, and the two updates delivered newest first.
        stytch_emu.control.set_stytch_webhook_settings(retry_scale=0.001, duplicate=True, reorder_window=0.3)
        client = stytch_client(stytch_emu)
        client.organizations.members.update(O1, mid(3), name="Bobby Builder")
        client.organizations.members.update(O1, mid(3), name="Robert Builder")
        deliveries = stytch_emu.control.stytch_webhook_deliveries(settle=15, count=4)
        assert [d["status"] for d in deliveries] == ["delivered"] * 4
        names = [
            d["payload"]["member"]["name"] for d in sorted(deliveries, key=lambda d: d["attempts"][0]["at"])
        ]
        assert names[0] == "Robert Builder" and names[-1] == "Bobby Builder"  # out of order
        running.wait_for("ignored repeated event")
        deadline = time.monotonic() + 20
        while rows(imported, "SELECT COUNT(*) FROM stytch_events WHERE status = 'pending'") != [(0,)]:
            assert time.monotonic() < deadline, running.log
            time.sleep(0.05)
    finally:
        assert running.stop() == 130
    stored = rows(imported, "SELECT msg_id, status FROM stytch_events")
    assert len(stored) == 2 and {s for _, s in stored} == {"applied"}
    # The older event came last, yet WorkOS holds the newer name: each event re-reads Stytch.
    assert workos_user_name(workos_emu, "bob@acme.example") == "Robert Builder"
    lags = rows(imported, "SELECT lag_seconds FROM stytch_events")
    assert all(lag is not None and 0 <= lag < 30 for (lag,) in lags)


def test_changes_in_stytch_reach_workos_through_the_webhook_path(
    imported: Path, stytch_emu: Emulator, workos_emu: Emulator
) -> None:
    # Invited → active happens when the person signs in; the emulator's state plays that,
    # before the endpoint exists, and a Dashboard touch of the member then announces it.
    state = stytch_emu.control.state()
    for m in state["members"]:
        if m["member_id"] == mid(4):
            m.update(status="active", email_address_verified=True, updated_at="2024-03-01T00:00:00Z")
    stytch_emu.control.seed(
        {k: v for k, v in state.items() if k in ("organizations", "members", "rbac_policy")}
    )
    running = listener(imported, stytch_emu, workos_emu)
    try:
        stytch_emu.control.add_stytch_webhook_endpoint(running.url + "stytch", SECRET)
        stytch_emu.control.set_stytch_webhook_settings(retry_scale=0.001)
        stytch_emu.control.stytch_change(
            "dashboard", "update_member", {}, organization_id=O1, member_id=mid(4)
        )
        client = stytch_client(stytch_emu)
        client.organizations.members.update(O1, mid(3), name="Robert Builder", roles=["stytch_admin"])
        client.organizations.members.delete(O1, mid(5))
        client.organizations.members.update(O2, mid(6), email_address="erin.new@beta.example")
        client.organizations.members.create(O2, "gina@beta.example", name="Gina Green")
        client.organizations.update(
            O2, organization_name="Beta Corp", email_allowed_domains=["beta.example", "beta.test"]
        )
        created = client.organizations.create(
            organization_name="Gamma", email_allowed_domains=["gamma.example"]
        )
        client.organizations.members.create(
            created.organization.organization_id, "hank@gamma.example", name="Hank Hill"
        )
        deliveries = stytch_emu.control.stytch_webhook_deliveries(settle=15, count=8)
        assert [d["status"] for d in deliveries] == ["delivered"] * 8
        deadline = time.monotonic() + 60
        while rows(imported, "SELECT COUNT(*) FROM stytch_events WHERE status = 'pending'") != [(0,)]:
            assert time.monotonic() < deadline, running.log
            time.sleep(0.1)
    finally:
        assert running.stop() == 130
    assert rows(imported, "SELECT status, COUNT(*) FROM stytch_events GROUP BY status") == [("applied", 8)]
    assert_in_step(stytch_emu, workos_emu)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--listen", "0", "--yes"], {}, "STYTCH_WEBHOOK_SECRET is not set"),
        (["--listen", "0", "--yes"], {"STYTCH_WEBHOOK_SECRET": "whsec_***"}, "not a Svix signing secret"),
        (["--listen", "70000", "--yes"], {"STYTCH_WEBHOOK_SECRET": SECRET}, "port from 0 to 65535"),
        (["--listen", "0", "--dry-run"], {"STYTCH_WEBHOOK_SECRET": SECRET}, "neither --dry-run nor --watch"),
    ],
)
def test_bad_listen_usage_is_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    """Refused before any workspace or API is touched."""
    run = run_cli(
        ["sync", "-w", str(tmp_path / "none"), *args],
        cli_env("http://127.0.0.1:9", "http://127.0.0.1:9", **env),
    )
    assert run.code == 2, run.stderr
    assert message in run.stderr
    assert "***" not in run.stderr and SECRET not in run.stderr + run.stdout


def _event(seq_name: str, object_id: str, kind: str = "member", action: str = "UPDATE") -> StytchEvent:
    return StytchEvent(
        f"msg_{seq_name}",
        f"event-{seq_name}",
        kind,
        object_id,
        action,
        "DIRECT",
        "2024-01-01T00:00:00.000001Z",
    )


@pytest.mark.parametrize(
    ("failure", "left_pending", "status"),
    [
        (None, 0, "applied"),
        (RetriesExhausted(Failure("Stytch", 503, "server_unavailable", "down"), 5), 3, "pending"),
        (ConfigError("refused"), 0, "failed"),
        (KeyError("a defect"), 0, "failed"),
    ],
)
def test_worker_applies_pending_events_once_per_object_and_keeps_them_through_an_outage(
    tmp_path: Path, failure: Exception | None, left_pending: int, status: str
) -> None:
    """Events stored by a run that stopped (even kill -9) are applied by the next one: one
    read and one apply per object; an outage keeps them pending; other errors fail them."""
    with Workspace(tmp_path / "ws", create=True) as ws:
        for name, object_id in (("a", "member-1"), ("b", "member-2"), ("c", "member-1")):
            assert stytch_events.record(ws, _event(name, object_id))
        assert not stytch_events.record(ws, _event("a", "member-1"))  # a repeated delivery
        stytch_events.record(ws, _event("d", "saml-1", kind="saml_connection"))
        fetched: list[tuple[str, str]] = []
        applied_: list[tuple[str, str, Any]] = []

        def fetch(kind: str, object_id: str) -> dict[str, Any] | None:
            fetched.append((kind, object_id))
            if failure is not None:
                raise failure
            return None if object_id == "member-2" else {"member_id": object_id}

        worker = Worker(ws, fetch, lambda k, o, r: applied_.append((k, o, r)), lambda line: None)
        assert worker.drain() is (left_pending == 0)
        statuses = {e.msg_id: s for e, s, _ in stytch_events.events(ws)}
    assert statuses["msg_d"] == ("ignored" if left_pending == 0 else "pending")
    assert fetched == (
        [("member", "member-1")] if left_pending else [("member", "member-1"), ("member", "member-2")]
    )
    assert {statuses[m] for m in ("msg_a", "msg_b", "msg_c")} == {status}
    if failure is None:
        assert applied_ == [("member", "member-1", {"member_id": "member-1"}), ("member", "member-2", None)]

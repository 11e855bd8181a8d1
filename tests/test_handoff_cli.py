"""`packets`, `portal-link` and `handoff` (status, --watch, --listen) end to end against both emulators."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from workos import WorkOSClient

from conftest import Emulator
from helpers import Run, cli_env, start_cli
from sso_project import (
    Project,
    cli,
    expected_outcomes,
    export_project,
    org_ids_of,
    prepare_workos,
    seed_secrets,
    workspace_copy,
)
from stytch2workos_emulators.server.serve import RunningServer
from stytch2workos_emulators.workos.webhooks import signature_header

pytestmark = pytest.mark.timeout(300)
WEBHOOK_SECRET = "whsec_FakeHandoffSecretNotReal42"


@pytest.fixture(scope="module")
def project(stytch_server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Project:
    return export_project(stytch_server, tmp_path_factory.mktemp("handoff") / "template")


@pytest.fixture
def ws(project: Project, tmp_path: Path, workos_emu: Emulator) -> Path:
    """The project imported into WorkOS, with a contact for the packets."""
    path = workspace_copy(
        project,
        tmp_path,
        handoff={"contact": "Pat at Vendor (it-help@vendor.example)", "app_name": "Acme Docs"},
    )
    prepare_workos(workos_emu, project)
    run = cli(["import", "-w", str(path), "--yes", "--json"], workos_emu)
    assert run.code == 0, run.stderr
    return path


def status(ws: Path, emu: Emulator, *args: str) -> tuple[int, dict[str, Any]]:
    run = cli(["handoff", "-w", str(ws), "--json", *args], emu)
    assert run.code in (0, 1), run.stderr
    doc: dict[str, Any] = run.json()
    return run.code, doc


def orgs_to_hand_over(project: Project) -> set[str]:
    owners = {c["connection_id"]: c["organization_id"] for _, c in project.connections()}
    return {owners[cid] for cid, (_, s, _) in expected_outcomes(project).items() if s != "skipped"}


def written_files(ws: Path) -> list[Path]:
    # The database holds the snapshot (secrets included, owner-only): everything else is output.
    return [p for p in ws.rglob("*") if p.is_file() and not p.name.startswith("workspace.db")]


def test_packets_name_the_changing_field_and_hold_no_secret(
    project: Project, ws: Path, workos_emu: Emulator, workos_client: WorkOSClient
) -> None:
    run = cli(["packets", "-w", str(ws), "--json"], workos_emu)
    assert run.code == 0, run.stderr
    doc = run.json()
    assert doc["not_ready"] == []
    by_org = {row["organization_id"]: row for row in doc["written"]}
    assert set(by_org) == orgs_to_hand_over(project)
    for row in doc["written"]:
        for fmt in ("markdown", "text"):
            assert (Path(row[fmt]).stat().st_mode & 0o777) == 0o600
    assert (ws / "packets").stat().st_mode & 0o777 == 0o700
    workos_orgs = org_ids_of(workos_emu)
    want = expected_outcomes(project)
    checked = 0
    for kind, c in project.connections():
        cid, org = c["connection_id"], c["organization_id"]
        if want[cid][1] == "skipped":
            continue
        md = Path(by_org[org]["markdown"]).read_text(encoding="utf-8")
        text = " ".join(Path(by_org[org]["text"]).read_text(encoding="utf-8").split())
        assert "Pat at Vendor" in md and "Acme Docs" in md
        if want[cid][1] != "created":
            assert "setup link" in text
            if kind == "scim":
                assert f"ending in {c['bearer_token_last_four']}" in text and c["base_url"] in text
            continue
        # The new value WorkOS gives, read independently: a create repeating the external id.
        body: dict[str, Any] = {"organization_id": workos_orgs[org], "external_id": cid}
        if kind == "saml":
            body["saml_options"] = {}
        else:
            body["oidc_options"] = {"discovery_endpoint": c["issuer"], "client_id": c["client_id"]}
            body["oidc_options"]["client_secret"] = c["client_secret"]
        answer = workos_client.request("post", ("connections",), body=body)
        assert isinstance(answer, dict)
        if kind == "oidc":
            new, old = answer["oidc_options"]["redirect_uri"], c["redirect_url"]
            assert "redirect URI" in text
        elif c["alternative_acs_url"]:
            assert "Nothing changes in" in text and answer["callback_endpoint"] not in md
            checked += 1
            continue
        else:
            new, old = answer["saml_options"]["acs_url"], c["acs_url"]
            assert c["audience_uri"] in md  # kept
        assert f"`{new}`" in md and new in text and old in text
        checked += 1
    assert checked >= 10
    # Nothing the tool wrote, and nothing it printed, holds a secret.
    human = cli(["packets", "-w", str(ws)], workos_emu)
    assert human.code == 0 and "packet(s)" in human.stdout
    outputs = run.stdout + run.stderr + human.stdout + human.stderr
    for path in written_files(ws):
        outputs += path.read_text(encoding="utf-8", errors="replace")
    for secret in seed_secrets(project.seed):
        assert secret not in outputs


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--intent", "sso"], 0, ""),
        (["--intent", "dsync", "--return-url", "https://app.example.test/settings"], 0, ""),
        (["--intent", "sso_setup"], 2, "--intent must be one of"),
        (
            ["--intent", "sso", "--return-url", "javascript:alert(1)"],
            2,
            "--return-url must be an http(s) URL",
        ),
        (["--intent", "sso", "--org", "organization-test-nope"], 2, "is not in WorkOS yet"),
    ],
)
def test_portal_link(
    project: Project, ws: Path, workos_emu: Emulator, args: list[str], code: int, message: str
) -> None:
    org = sorted(orgs_to_hand_over(project))[0]
    run = cli(["portal-link", "-w", str(ws), "--org", org, *args, "--json"], workos_emu)
    assert run.code == code, run.stderr
    if code:
        assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
        return
    doc = run.json()
    [record] = workos_emu.control.state()["portal_links"]
    assert (doc["link"], doc["intent"], doc["workos_organization_id"]) == (
        record["link"],
        args[1],
        org_ids_of(workos_emu)[org],
    )
    assert doc["expires_at"].endswith("Z")
    # Printed, never kept: no file in the workspace holds it.
    assert all(doc["link"] not in p.read_text(errors="replace") for p in ws.rglob("*") if p.is_file())
    plain = cli(["portal-link", "-w", str(ws), "--org", org, *args], workos_emu)
    assert plain.code == 0 and plain.stdout.strip().startswith("https://") and "five minutes" in plain.stderr


def test_status_moves_each_organization_to_done_by_polling(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    code, doc = status(ws, workos_emu)
    assert code == 1 and {o["organization_id"] for o in doc["organizations"]} == orgs_to_hand_over(project)
    waiting = [o for o in doc["organizations"] if not o["done"]]
    states = {i["state"] for o in doc["organizations"] for i in o["items"]}
    assert waiting and {"recreated", "waiting", "skipped"} <= states
    workos_orgs = org_ids_of(workos_emu)

    first = waiting[0]
    for kind in ("sso", "dsync"):
        workos_emu.control.complete_setup(workos_orgs[first["organization_id"]], kind)
    code, doc = status(ws, workos_emu, "--org", first["organization_id"])
    [org] = doc["organizations"]
    assert code == 0 and org["done"] and doc["all_done"]
    assert {i["state"] for i in org["items"]} <= {"recreated", "activated", "skipped"}
    assert all(
        i["since"] and i["evidence"] == "events_api" for i in org["items"] if i["state"] == "activated"
    )

    # --watch waits, refreshing, until the customers finish; then exit 0.
    proc = start_cli(
        ["handoff", "-w", str(ws), "--watch", "0.3", "--json"], cli_env(None, workos_emu.base_url)
    )
    assert proc.stdout is not None
    first_line = proc.stdout.readline()  # the first refresh, before the customers finish
    assert '"all_done": false' in first_line and proc.poll() is None
    for o in waiting[1:]:
        for kind in ("sso", "dsync"):
            workos_emu.control.complete_setup(workos_orgs[o["organization_id"]], kind)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines and '"all_done": true' in lines[-1]
    table = cli(["handoff", "-w", str(ws)], workos_emu)
    assert table.code == 0 and "organization(s) done" in table.stdout


def _post(url: str, body: bytes, signature: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["WorkOS-Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass
class Listener:
    """``handoff --listen`` in a child process, its log read by a thread as it comes."""

    proc: subprocess.Popen[str]
    url: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop(self) -> None:
        """SIGINT, then every last line, and the pipes closed."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        if self.reader is not None:
            self.reader.join(timeout=10)
        while not self.lines.empty():
            self.log.append(self.lines.get())
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def wait_for(self, text: str, timeout: float = 20) -> str:
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


def _listener(ws: Path, emu: Emulator) -> Listener:
    env = cli_env(None, emu.base_url, WORKOS_WEBHOOK_SECRET=WEBHOOK_SECRET)
    listener = Listener(start_cli(["handoff", "-w", str(ws), "--listen", "0"], env))
    stream = listener.proc.stderr
    assert stream is not None
    listener.reader = threading.Thread(
        target=lambda: [listener.lines.put(line) for line in stream], daemon=True
    )
    listener.reader.start()
    ready = listener.wait_for("listening for WorkOS webhooks on http://127.0.0.1:")
    listener.url = ready.split(" on ", 1)[1].split(" ", 1)[0]
    return listener


def test_webhook_receiver_records_verified_events_once_and_refuses_forged_and_stale(
    project: Project, ws: Path, workos_emu: Emulator
) -> None:
    code, doc = status(ws, workos_emu)
    target = next(o for o in doc["organizations"] if any(i["kind"] == "directory" for i in o["items"]))
    workos_org = org_ids_of(workos_emu)[target["organization_id"]]
    listener = _listener(ws, workos_emu)
    proc, url = listener.proc, listener.url
    try:
        workos_emu.control.add_webhook_endpoint(url + "webhooks/workos", WEBHOOK_SECRET)
        workos_emu.control.complete_setup(workos_org, "dsync")
        workos_emu.control.complete_setup(workos_org, "sso")
        listener.wait_for("recorded dsync.activated")
        [delivered] = [
            d for d in workos_emu.control.webhook_deliveries(settle=10) if d["event"] == "dsync.activated"
        ]
        assert delivered["status"] == "delivered"

        now_ms = int(time.time() * 1000)
        body = b'{"id":"event_FORGED1","event":"dsync.activated","data":{"id":"directory_x"},"created_at":"2024-01-01T00:00:00Z"}'
        assert _post(url, body, signature_header("whsec_someone_else", body, now_ms)) == 401
        listener.wait_for("refused: signature does not match")
        assert _post(url, body, signature_header(WEBHOOK_SECRET, body, now_ms - 181_000)) == 401
        listener.wait_for("refused: stale signature")
        assert _post(url, body, None) == 400
        listener.wait_for("refused: no WorkOS-Signature header")
        assert _post(url, body, "t=1,v1=zz") == 401
        listener.wait_for("refused: malformed WorkOS-Signature header")

        # The same event again, freshly signed (WorkOS retries a delivery it thinks failed).
        events = workos_emu.control.state()["events"]
        activated = next(
            e for e in events if e["event"] == "dsync.activated" and e["organization_id"] == workos_org
        )
        again = json.dumps({k: v for k, v in activated.items() if k != "organization_id"}).encode()
        assert _post(url, again, signature_header(WEBHOOK_SECRET, again, int(time.time() * 1000))) == 200
        listener.wait_for(f"ignored repeated event {activated['id']}")

        # The status reads the stored events: this organization is done, on the webhook's word.
        code, doc = status(ws, workos_emu, "--org", target["organization_id"])
        [org] = doc["organizations"]
        assert code == 0 and org["done"]
        directory = next(i for i in org["items"] if i["kind"] == "directory")
        assert (directory["state"], directory["evidence"]) == ("activated", "webhook")
        assert "event_FORGED1" not in str(doc)
    finally:
        listener.stop()
    assert proc.returncode == 128 + signal.SIGINT
    assert WEBHOOK_SECRET not in "".join(listener.log)
    assert any("interrupted" in line for line in listener.log)


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["--listen", "0"], "WORKOS_WEBHOOK_SECRET is not set"),
        ({"WORKOS_WEBHOOK_SECRET": WEBHOOK_SECRET}, ["--listen", "70000"], "--listen takes a port"),
        ({}, ["--watch", "0"], "--watch takes a number of seconds"),
    ],
)
def test_handoff_refusals(
    ws: Path, workos_emu: Emulator, env: dict[str, str], args: list[str], message: str
) -> None:
    run: Run = cli(["handoff", "-w", str(ws), *args], workos_emu, **env)
    assert run.code == 2 and message in run.stderr

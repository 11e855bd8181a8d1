"""CLI failure paths, in-process: clear messages and documented exit codes, never a traceback."""

from __future__ import annotations

import base64
import contextlib
import json
import stat
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from helpers import OIDC_SECRET, cli_env, small_seed
from stytch2workos.cli.app import app
from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.delivery import ScryptParams, stytch_scrypt_row, write_csv

runner = CliRunner()


def invoke(args: list[str], **env: str) -> Result:
    result = runner.invoke(app, args, env=cli_env(**env))
    assert "Traceback" not in result.output
    return result


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    """A workspace holding a snapshot of small_seed(), loaded from a JSON file (no network)."""
    seed = small_seed()
    data = tmp_path / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    path = tmp_path / "ws"
    result = invoke(["export", "-w", str(path), "--from-json", str(data), "--json"])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["mapping", "-o", "{missing}/id-map.csv"],
        ["export", "--from-json", "{data}", "--refresh", "--json-out", "{missing}/export.json"],
        ["mapping", "-o", "{file}/id-map.csv"],
    ],
)
def test_an_output_file_that_cannot_be_written_is_exit_2(ws: Path, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    where = {"missing": str(tmp_path / "no" / "such"), "data": str(tmp_path / "project.json")}
    where["file"] = str(tmp_path / "a-file")
    result = invoke([*(a.format(**where) for a in args), "-w", str(ws)])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output


def test_outputs_are_owner_only(ws: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        out = tmp_path / f"id-map.{fmt}"
        out.write_text("old")
        out.chmod(0o644)
        assert invoke(["mapping", "-w", str(ws), "-o", str(out), "--format", fmt]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(ws.stat().st_mode) == 0o700
    for path in ws.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_workspace_that_cannot_be_created_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    result = invoke(["mapping", "-w", str(tmp_path / "a-file" / "ws")])
    assert result.exit_code == 2, result.output
    assert "cannot open the workspace" in result.output


class _Echo(BaseHTTPRequestHandler):
    """A misbehaving server: every answer quotes the request, credentials included."""

    status = 400
    content_type = "text/plain"
    request_body = b""
    body: Callable[[BaseHTTPRequestHandler], bytes] = staticmethod(lambda h: str(h.headers).encode())

    def _answer(self) -> None:
        self.request_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = type(self).body(self)
        self.send_response(type(self).status)
        self.send_header("Content-Type", type(self).content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def echo_server(**behaviour: Any) -> Iterator[str]:
    handler = type("Handler", (_Echo,), behaviour)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _basic_credentials(handler: BaseHTTPRequestHandler) -> str:
    token = handler.headers.get("Authorization", "").partition(" ")[2]
    return base64.b64decode(token).decode()


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        # A proxy page or debugging server quoting the request, Authorization header and all.
        (400, "text/plain", lambda h: str(h.headers).encode()),
        (502, "text/html", lambda h: f"<pre>{h.headers}</pre>".encode()),
        # A JSON error that quotes the key.
        (422, "application/json", lambda h: json.dumps({"message": str(h.headers), "code": "x"}).encode()),
    ],
)
def test_a_workos_answer_quoting_the_api_key_never_prints_it(
    ws: Path, tmp_path: Path, status: int, content_type: str, body: Any
) -> None:
    config = tmp_path / "migration.toml"
    config.write_text("[pacing]\nmax_attempts = 1\n")
    with echo_server(status=status, content_type=content_type, body=staticmethod(body)) as url:
        result = invoke(["plan", "-w", str(ws), "--config", str(config)], WORKOS_BASE_URL=url)
    assert result.exit_code == 3, result.output
    assert f"HTTP {status}" in result.output
    assert defaults.WORKOS_API_KEY not in result.output


def _stytch_error_quoting_credentials(handler: BaseHTTPRequestHandler) -> bytes:
    message = f"no project for {_basic_credentials(handler)}"
    return json.dumps(
        {"status_code": 400, "request_id": "r", "error_type": "x", "error_message": message}
    ).encode()


def _stytch_page_that_does_not_parse(handler: BaseHTTPRequestHandler) -> bytes:
    # pydantic's own message for this would quote the input, secret and all.
    org = {"organization_id": "o1", "client_secret": OIDC_SECRET}
    meta = {"total": 1, "next_cursor": ""}
    return json.dumps(
        {"status_code": 200, "request_id": "r", "organizations": [org], "results_metadata": meta}
    ).encode()


@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (400, _stytch_error_quoting_credentials, "no project for"),
        (200, _stytch_page_that_does_not_parse, "response did not parse: organizations.0."),
    ],
)
def test_a_stytch_answer_quoting_secrets_never_prints_them(
    tmp_path: Path, status: int, body: Any, shown: str
) -> None:
    with echo_server(status=status, content_type="application/json", body=staticmethod(body)) as url:
        result = invoke(["export", "-w", str(tmp_path / "ws"), "--max-attempts", "1"], STYTCH_BASE_URL=url)
    assert result.exit_code == 3, result.output
    assert shown in result.output
    for secret in (defaults.STYTCH_SECRET, OIDC_SECRET):
        assert secret not in result.output


def _json_error_quoting_the_request_body(handler: Any) -> bytes:
    quoted = handler.request_body.decode()
    return json.dumps({"message": f"cannot authenticate {quoted}", "code": "invalid_request"}).encode()


def test_passwords_check_never_prints_the_password_or_key_a_server_quotes() -> None:
    body = staticmethod(_json_error_quoting_the_request_body)
    with echo_server(status=400, content_type="application/json", body=body) as url:
        result = runner.invoke(
            app,
            ["passwords", "check", "ada@acme.example"],
            env=cli_env(WORKOS_BASE_URL=url),
            input="correct horse battery staple\n",
        )
    assert result.exit_code == 3, result.output
    assert "cannot authenticate" in result.output
    assert "correct horse" not in result.output and defaults.WORKOS_API_KEY not in result.output


def test_passwords_apply_names_the_target_and_writes_nothing_without_a_yes(ws: Path, tmp_path: Path) -> None:
    member = small_seed()["members"][0]["member_id"]
    params = ScryptParams(n=16, r=8, p=1, key_length=32)
    csv_file = tmp_path / "hashes.csv"
    csv_file.write_text(
        write_csv([stytch_scrypt_row(member, "pw", defaults.STYTCH_PROJECT_ID, n=16)], params)
    )
    assert invoke(["passwords", "load", str(csv_file), "-w", str(ws)]).exit_code == 0
    proxy = "https://ops:proxy-pass@proxy.example"
    for answer in ("n\n", ""):
        result = runner.invoke(
            app, ["passwords", "apply", "-w", str(ws)], env=cli_env(WORKOS_BASE_URL=proxy), input=answer
        )
        assert result.exit_code == 1, result.output
        assert "Target: https://proxy.example (staging/test key …_key)" in result.output
        assert "Set up to 1 password hashes on WorkOS users?" in result.output
        assert "Nothing was written." in result.output
        assert "proxy-pass" not in result.output


def test_names_and_paths_are_printed_as_they_are_not_as_markup(tmp_path: Path) -> None:
    seed = small_seed()
    seed["organizations"][0]["organization_name"] = "[/oops] Acme [bold]:smile:"
    seed["members"][0]["roles"] = [{"role_id": "[red]editor", "sources": []}]
    data = tmp_path / "project.json"
    data.write_text(json.dumps({"organizations": seed["organizations"], "members": seed["members"]}))
    ws = tmp_path / "[b]ws"
    result = invoke(
        ["export", "-w", str(ws), "--from-json", str(data), "--json-out", str(tmp_path / "[i]x.json")]
    )
    assert result.exit_code == 0, result.output
    # Long paths wrap wherever the terminal width falls: compare without whitespace.
    text = "".join(result.output.split())
    assert "[/oops]Acme[bold]:smile:" in text and "[red]editor" in text and "[i]x.json" in text
    for args in (["init"], ["mapping", "-o", str(tmp_path / "[u]map.csv")]):
        result = invoke([*args, "-w", str(ws)])
        assert result.exit_code == 0, result.output
        flat = "".join(result.output.split())
        assert "[b]ws" in flat or "[u]map.csv" in flat

"""`report --html`: one self-contained page, owner-only, no secret in it, opened in headless Chromium.

The browser checks: the page renders with no console error, its script ran, and every
figure it shows (``data-status="<path>"``) equals that path in `status --json`. A
screenshot goes to docs/report.png (the README shows it) when there is none yet, or when
STYTCH2WORKOS_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from status_project import Migrated, seed_secrets, shared_migration
from stytch2workos.status import lookup
from stytch2workos_emulators import defaults
from stytch2workos_emulators.server.serve import RunningServer

pytestmark = pytest.mark.timeout(300)
DOCS_SHOT = Path(__file__).resolve().parents[1] / "docs" / "report.png"
FIGURE = re.compile(r'<span data-status="([^"]+)">([^<]*)</span>')


@pytest.fixture(scope="module")
def migrated(
    stytch_server: RunningServer, workos_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Migrated:
    return shared_migration(tmp_path_factory, stytch_server, workos_server)


@pytest.fixture(scope="module")
def written(migrated: Migrated, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The report, written beside (not in) the workspace, and `status --json` right after."""
    out = tmp_path_factory.mktemp("report") / "shared" / "migration report.html"
    out.parent.mkdir()
    run = migrated.cli("report", "--html", str(out), "--json")
    assert run.code == 0, run.stderr
    assert run.json()["written"] == str(out)
    status = migrated.cli("status", "--json")
    assert status.code == 0, status.stderr
    return out, status.json()


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


def _browse(browser: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_file_is_private_and_self_contained(written: tuple[Path, dict[str, Any]]) -> None:
    path, _ = written
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    # Nothing to fetch: no URL at all, no external reference of any kind.
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I)
    assert not re.search(r"<(link|iframe|img|object|embed)\b|@import|\bsrc\s*=|url\(", text, re.I)
    assert "default-src 'none'" in text
    assert text.count("<svg") >= 6  # the charts are inline


def test_no_secret_is_in_the_report(migrated: Migrated, written: tuple[Path, dict[str, Any]]) -> None:
    text = written[0].read_text(encoding="utf-8")
    secrets = seed_secrets(migrated)
    assert defaults.WORKOS_API_KEY in secrets and len(secrets) > 10
    for secret in secrets:
        assert secret not in text and html.escape(secret) not in text
    assert "sha256:" not in text  # the ledger's hash fingerprints stay in the ledger


def test_each_waiting_customer_links_its_packet(written: tuple[Path, dict[str, Any]]) -> None:
    path, status = written
    text = path.read_text(encoding="utf-8")
    waiting = [c for c in status["handoff"]["customers"] if c["state"] != "done"]
    assert waiting
    for customer in waiting:
        row = re.search(
            rf'<tr data-organization="{re.escape(customer["organization_id"])}">(.*?)</tr>', text, re.S
        )
        assert row is not None, customer["organization_id"]
        links = [unquote(h) for h in re.findall(r'<a href="([^"]+)"', row.group(1))]
        assert links and not any(link.startswith("/") for link in links)  # relative to the page
        assert (path.parent / links[0]).resolve() == Path(customer["packet"]).resolve()
        assert all((path.parent / link).is_file() for link in links)


def test_the_figures_are_status_json(written: tuple[Path, dict[str, Any]]) -> None:
    path, status = written
    figures = FIGURE.findall(path.read_text(encoding="utf-8"))
    assert len(figures) > 40
    for where, shown in figures:
        value = lookup(status, where)
        assert shown.replace(",", "") == ("—" if value is None else str(value)), where


def test_chromium_renders_it_with_no_error(written: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on this machine: `make test` installs it (scripts/browser.sh) where it can")
    path, status = written
    dom = _browse(browser, path, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert re.search(r'<body[^>]*data-ready="1"', dom.stdout), "the page's script did not finish"
    # The numbers as the browser shows them (after the script ran) are those of status --json.
    shown = FIGURE.findall(dom.stdout)
    assert len(shown) > 40
    for where, text in shown:
        value = lookup(status, where)
        assert html.unescape(text).replace(",", "") == ("—" if value is None else str(value)), where
    counters = dict(re.findall(r'data-shown-for="([a-z]+)">(\d+)<', dom.stdout))
    assert counters["failures"] == str(status["failed"])
    assert counters["customers"] == str(status["handoff"]["waiting"] + status["handoff"]["failed"])
    shot = tmp_path / "report.png"
    run = _browse(
        browser,
        path,
        tmp_path / "profile",
        "--hide-scrollbars",
        "--window-size=1280,2300",
        f"--screenshot={shot}",
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if not DOCS_SHOT.exists() or os.environ.get("STYTCH2WORKOS_UPDATE_SCREENSHOT") == "1":
        DOCS_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOT)


def test_an_unwritable_destination_is_one_line_and_exit_2(migrated: Migrated, tmp_path: Path) -> None:
    for target in (tmp_path / "missing-dir" / "r.html", tmp_path):
        run = migrated.cli("report", "--html", str(target))
        assert run.code == 2, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_loading_the_charts_leaves_no_import_hook_behind() -> None:
    # pygal's plugin finder would make every later import in the process that reaches it warn.
    import sys

    import stytch2workos.report_charts  # noqa: F401

    assert [f for f in sys.meta_path if type(f).__module__.startswith("pygal")] == []

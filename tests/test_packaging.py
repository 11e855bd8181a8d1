"""The built wheel: both packages in it, the right metadata, and a product that works without the extra.

The wheel is built once per module with pip, without build isolation and without an
index (so offline), from a copy of the project: a build inside the working tree would
write ``build/`` and ``src/*.egg-info`` there, and setuptools packs whatever a stale
``build/lib`` still holds (modules deleted since) into the next wheel.
"""

from __future__ import annotations

import configparser
import email.parser
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.message import Message
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = "stytch2workos"
EMULATORS = "stytch2workos_emulators"
EMULATOR_EXTRA = {"uvicorn", "httptools", "bcrypt", "argon2-cffi"}
UNCONDITIONAL = {"stytch", "workos", "typer", "rich", "cryptography"}
# What `pip install stytch2workos` (no extra) lacks: the extra's import names, and the emulators.
NOT_INSTALLED = ("uvicorn", "httptools", "bcrypt", "argon2", EMULATORS)
INSTALL_HINT = "pip install 'stytch2workos[emulators]'"
# The oldest setuptools that reads `license = "MIT"` (PEP 639).
MIN_SETUPTOOLS = Version("77")


@dataclass(frozen=True)
class Wheel:
    path: Path
    names: frozenset[str]
    metadata: Message
    entry_points: configparser.ConfigParser
    unpacked: Path
    sources: frozenset[str]  # the .py files of src/ the wheel was built from


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    """Leave out what is not the project: VCS, virtualenv, caches, build output, workspaces."""
    return {
        name
        for name in names
        if name.startswith(".")
        or name in {"build", "dist", "__pycache__", "bench-out"}
        or name.endswith((".egg-info", "-workspace"))
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    try:
        setuptools = Version(metadata.version("setuptools"))
    except metadata.PackageNotFoundError:
        pytest.fail("setuptools is not in the virtualenv: pip install -e '.[dev]'", pytrace=False)
    if setuptools < MIN_SETUPTOOLS:
        pytest.fail(
            f"setuptools {setuptools} in the virtualenv cannot build this project (needs >= {MIN_SETUPTOOLS}): "
            "pip install -e '.[dev]'",
            pytrace=False,
        )
    tmp = tmp_path_factory.mktemp("wheel")
    project, out, unpacked = tmp / "project", tmp / "dist", tmp / "unpacked"
    shutil.copytree(ROOT, project, ignore=_copy_ignore)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--disable-pip-version-check",
        "--no-input",
        ".",
        "-w",
        str(out),
    ]
    try:
        built = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"cannot run {' '.join(command)}: {exc}", pytrace=False)
    wheels = sorted(out.glob(f"{PRODUCT}-*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        pytest.fail(
            f"pip wheel failed (exit {built.returncode}, wheels {[w.name for w in wheels]}):\n"
            f"{built.stdout}\n{built.stderr}",
            pytrace=False,
        )
    with zipfile.ZipFile(wheels[0]) as archive:
        names = frozenset(archive.namelist())
        dist_info = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        assert len(dist_info) == 1, dist_info
        info = dist_info.pop()
        meta = email.parser.Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read(f"{info}/entry_points.txt").decode())
        archive.extractall(unpacked)
    sources = frozenset(p.relative_to(project / "src").as_posix() for p in (project / "src").rglob("*.py"))
    return Wheel(wheels[0], names, meta, entry_points, unpacked, sources)


def test_the_wheel_holds_both_packages_and_nothing_else(wheel: Wheel) -> None:
    for required in (
        f"{PRODUCT}/cli/app.py",
        f"{PRODUCT}/py.typed",
        f"{EMULATORS}/server/app.py",
        f"{EMULATORS}/py.typed",
    ):
        assert required in wheel.names, f"{required} is not in {wheel.path.name}"
    missing = sorted(wheel.sources - wheel.names)
    assert not missing, f"modules of src/ not in the wheel (a package without __init__.py?): {missing}"
    tops = {name.split("/")[0] for name in wheel.names}
    strays = sorted(t for t in tops if t not in {PRODUCT, EMULATORS} and not t.endswith(".dist-info"))
    assert not strays, f"the wheel installs more than the two packages: {strays}"
    unwanted = sorted(
        n
        for n in wheel.names
        if "/tests/" in f"/{n}" or "/bench/" in f"/{n}" or "__pycache__" in n or n.endswith(".pyc")
    )
    assert not unwanted, f"tests, benchmarks or bytecode in the wheel: {unwanted}"


def _requirements(meta: Message) -> dict[str, list[str | None]]:
    """Requires-Dist by distribution name → the markers it appears with (None: unconditional)."""
    found: dict[str, list[str | None]] = {}
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        found.setdefault(canonicalize_name(req.name), []).append(
            str(req.marker) if req.marker is not None else None
        )
    return found


def test_the_emulators_dependencies_come_only_with_the_extra(wheel: Wheel) -> None:
    meta = wheel.metadata
    assert "emulators" in (meta.get_all("Provides-Extra") or []), meta.get_all("Provides-Extra")
    requirements = _requirements(meta)
    for name in sorted(EMULATOR_EXTRA):
        assert requirements.get(name) == ['extra == "emulators"'], (
            f"{name} must be required only with the emulators extra; METADATA says {requirements.get(name)}"
        )
    for name in sorted(UNCONDITIONAL):
        assert requirements.get(name) == [None], (
            f"{name} must be an unconditional requirement; METADATA says {requirements.get(name)}"
        )
    in_extra = {name for name, markers in requirements.items() if 'extra == "emulators"' in markers}
    assert in_extra == EMULATOR_EXTRA, f"the emulators extra should bring exactly {sorted(EMULATOR_EXTRA)}"


def test_the_console_script_is_the_cli_app(wheel: Wheel) -> None:
    scripts = (
        wheel.entry_points["console_scripts"] if wheel.entry_points.has_section("console_scripts") else {}
    )
    assert dict(scripts) == {"stytch2workos": "stytch2workos.cli.app:main"}


# Runs in a fresh interpreter: the product as the wheel installs it, with the extra absent.
WITHOUT_EXTRA = """
import importlib, importlib.abc, json, pkgutil, runpy, sys, traceback

NOT_INSTALLED = set(json.loads(sys.argv[3]))
mode, unpacked = sys.argv[1], sys.argv[2]


class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in NOT_INSTALLED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


early = sorted(m for m in sys.modules if m.split(".")[0] in NOT_INSTALLED)
assert not early, f"imported before they could be blocked: {early}"
sys.meta_path.insert(0, NotInstalled())
sys.path.insert(0, unpacked)

import stytch2workos

assert stytch2workos.__file__.startswith(unpacked), stytch2workos.__file__

if mode == "import-all":
    checked, failures = ["stytch2workos"], {}
    walked = pkgutil.walk_packages(
        stytch2workos.__path__, "stytch2workos.", onerror=lambda name: failures.setdefault(name, "walk failed")
    )
    for info in walked:
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # runs the CLI; the launches below cover it
        checked.append(info.name)
        try:
            importlib.import_module(info.name)
        except BaseException:
            failures[info.name] = traceback.format_exc()
    print(json.dumps({"checked": checked, "failures": failures}))
elif mode == "console-script":
    from stytch2workos.cli.app import main

    sys.argv = ["stytch2workos", "emulate"]
    main()
elif mode == "python -m":
    sys.argv = ["stytch2workos", "emulate"]
    runpy.run_module("stytch2workos", run_name="__main__", alter_sys=True)
"""


def _without_extra(wheel: Wheel, mode: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STYTCH", "WORKOS", "PYTHON")) and k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}
    }
    env["COLUMNS"] = "80"  # what Rich assumes when stderr is a pipe (CI logs), pinned
    return subprocess.run(
        [sys.executable, "-I", "-c", WITHOUT_EXTRA, mode, str(wheel.unpacked), json.dumps(NOT_INSTALLED)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_every_product_module_imports_without_the_extra(wheel: Wheel) -> None:
    run = _without_extra(wheel, "import-all")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    failures: dict[str, str] = result["failures"]
    assert not failures, "modules that need the emulators extra to import:\n" + "\n".join(
        f"--- {name}\n{error}" for name, error in sorted(failures.items())
    )
    checked = set(result["checked"])
    expected = {
        n.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for n in wheel.names
        if n.startswith(f"{PRODUCT}/") and n.endswith(".py") and not n.endswith("__main__.py")
    }
    assert checked == expected, f"walked {sorted(checked ^ expected)} differently from the wheel's files"
    assert len(checked) >= 30 and f"{PRODUCT}.cli.emulate" in checked


@pytest.mark.parametrize("launch", ["console-script", "python -m"])
def test_emulate_without_the_extra_says_how_to_install_it(wheel: Wheel, launch: str) -> None:
    run = _without_extra(wheel, launch)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 2, f"exit {run.returncode}\nstdout: {run.stdout}\nstderr: {run.stderr}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{run.stderr}"
    assert INSTALL_HINT in lines[0], lines[0]
    assert run.stdout == ""

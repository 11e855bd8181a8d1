"""The package's layering: production code never imports the emulators."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "stytch2workos"
# These exist to run the emulators: the rehearsal and the `emulate` command.
ALLOWED = {"demo.py", "cli_emulate.py"}


def _imported_modules(path: Path) -> list[str]:
    """Every module ``path`` imports, made absolute (``..emulators`` → ``stytch2workos.emulators``)."""
    package = ["stytch2workos", *path.relative_to(PACKAGE).parent.parts]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.append(module)
            # `from . import emulators` names the package in the alias, not the module.
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_production_modules_never_import_the_emulators() -> None:
    checked = 0
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "emulators" or str(relative) in ALLOWED:
            continue
        checked += 1
        offending = [m for m in _imported_modules(path) if m.startswith("stytch2workos.emulators")]
        assert not offending, f"{relative} imports {offending}"
    assert checked > 30


def test_the_check_sees_relative_imports() -> None:
    demo = _imported_modules(PACKAGE / "demo.py")
    assert "stytch2workos.emulators.control" in demo
    assert "stytch2workos.emulators.defaults" in demo

"""The emulators stand alone: none of their modules may reach into the product.

An emulator that imported the converter's limits or the reader's idea of a file
format would agree with the product by construction, and could never catch it
out. ``demo`` is the one exception: it drives the product's CLI, in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

ALLOWED = {"stytch2workos_emulators.demo"}

# Runs in a fresh interpreter, so nothing the test session already imported can hide an import.
_PROBE = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys

    class NoProduct(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "stytch2workos" or name.startswith("stytch2workos."):
                raise ImportError(f"emulator code imported the product module {name}")
            return None

    sys.meta_path.insert(0, NoProduct())
    import stytch2workos_emulators as package

    allowed = set(sys.argv[1:])
    names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    for name in names:
        if name not in allowed:
            importlib.import_module(name)
    print(len(names))
    """
)


def test_no_emulator_module_imports_the_product() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *sorted(ALLOWED)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    # The walk really covered the package (server, stytch, workos, synth and their modules).
    assert int(result.stdout) > 30

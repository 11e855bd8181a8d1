"""The import graph, read from the source with ``ast``: what may import what.

The rules of STYLE.md: the product never imports the emulators (``cli/emulate.py``
loads them lazily), the emulators never import the product (only the demo drives
the CLI), no import circles in the product, one way through the CLI package, SQL
only in ``workspace/``, and no private module of the Stytch or WorkOS SDKs.

Every module of both packages is parsed; relative imports are resolved to absolute
names, imports inside functions are counted (as lazy), and imports under
``if TYPE_CHECKING:`` are not counted as runtime imports.
"""

from __future__ import annotations

import ast
import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PRODUCT = "stytch2workos"
EMULATORS = "stytch2workos_emulators"
CLI = f"{PRODUCT}.cli"
CLI_APP = f"{CLI}.app"
CLI_COMMON = f"{CLI}.common"
CLI_EMULATE = f"{CLI}.emulate"
DEMO = f"{EMULATORS}.demo"
WORKSPACE = f"{PRODUCT}.workspace"
SDKS = frozenset({"stytch", "workos"})
SQL_METHODS = frozenset({"execute", "executemany", "executescript"})
# Well under today's counts (45 each): a wrong SRC or a broken walk cannot pass.
MIN_MODULES = {PRODUCT: 30, EMULATORS: 30}


# ---------------------------------------------------------------- the scanner


@dataclass(frozen=True)
class Import:
    """One imported name, resolved to absolute dotted names."""

    path: str  # file, relative to src/
    importer: str  # the importing module
    line: int
    statement: str  # as written
    target: str  # `import target` / `from target import names`, absolute
    names: tuple[str, ...]  # () for `import target`
    in_function: bool
    type_checking: bool

    @property
    def runtime(self) -> bool:
        return not self.type_checking

    @property
    def at_import_time(self) -> bool:
        """Runs when the importing module is imported (module level, not TYPE_CHECKING)."""
        return self.runtime and not self.in_function

    def where(self) -> str:
        how = " (inside a function)" if self.in_function else ""
        how += " (under TYPE_CHECKING)" if self.type_checking else ""
        resolved = f"  [= {self.target}]" if self.statement.startswith("from .") else ""
        return f"{self.path}:{self.line}: {self.statement}{resolved}{how}"


@dataclass(frozen=True)
class SqlCall:
    path: str
    line: int
    call: str

    def where(self) -> str:
        return f"{self.path}:{self.line}: calls {self.call}(...)"


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    is_package: bool
    imports: tuple[Import, ...]
    sql_calls: tuple[SqlCall, ...]


def resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        assert name is not None
        return name
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(base):
        raise ValueError(f"relative import beyond the top-level package in {module}")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def _type_checking_test(test: ast.expr) -> bool | None:
    """True for ``if TYPE_CHECKING:``, False for ``if not TYPE_CHECKING:``, else None."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _type_checking_test(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, path: str) -> None:
        self.module, self.is_package, self.path = module, is_package, path
        self.imports: list[Import] = []
        self.sql_calls: list[SqlCall] = []
        self._function_depth = 0
        self._type_checking_depth = 0

    @contextlib.contextmanager
    def _type_checking(self, on: bool) -> Iterator[None]:
        self._type_checking_depth += on
        try:
            yield
        finally:
            self._type_checking_depth -= on

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def visit_If(self, node: ast.If) -> None:
        guarded = _type_checking_test(node.test)
        self.visit(node.test)
        with self._type_checking(guarded is True):
            for stmt in node.body:
                self.visit(stmt)
        with self._type_checking(guarded is False):
            for stmt in node.orelse:
                self.visit(stmt)

    def _add(self, node: ast.stmt | ast.expr, target: str, names: tuple[str, ...]) -> None:
        self.imports.append(
            Import(
                path=self.path,
                importer=self.module,
                line=node.lineno,
                statement=ast.unparse(node),
                target=target,
                names=names,
                in_function=self._function_depth > 0,
                type_checking=self._type_checking_depth > 0,
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name, ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = resolve(self.module, self.is_package, node.level, node.module)
        self._add(node, target, tuple(alias.name for alias in node.names))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SQL_METHODS:
            self.sql_calls.append(SqlCall(self.path, node.lineno, ast.unparse(func)))
        # importlib.import_module("x.y") / __import__("x.y") with a literal name are imports too.
        called = (
            func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        )
        if called in {"import_module", "__import__"} and node.args:
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) else None
            if isinstance(literal, str) and not literal.startswith("."):
                self._add(node, literal, ())
        self.generic_visit(node)


def scan(name: str, is_package: bool, source: str, path: str) -> Module:
    """Parse one module's source and list its imports and SQL calls."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise AssertionError(f"{path} does not parse: {exc}") from None
    scanner = _Scanner(name, is_package, path)
    scanner.visit(tree)
    return Module(name, path, is_package, tuple(scanner.imports), tuple(scanner.sql_calls))


def discover(package: str) -> dict[str, Module]:
    """Every module of ``package`` under src/, by dotted name."""
    modules: dict[str, Module] = {}
    for file in sorted((SRC / package).rglob("*.py")):
        rel = file.relative_to(SRC)
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        modules[name] = scan(name, is_package, file.read_text(encoding="utf-8"), rel.as_posix())
    return modules


# ---------------------------------------------------------------- the graph


def top(name: str) -> str:
    return name.split(".")[0]


def ancestors(name: str) -> list[str]:
    """``a.b.c`` → ``[a, a.b]``: the packages Python initializes before ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(imp: Import, known: set[str]) -> list[str]:
    """What the statement names: ``from pkg import name`` names ``pkg.name`` when that is a module."""
    if not imp.names:
        return [imp.target]
    found: list[str] = []
    for name in imp.names:
        sub = f"{imp.target}.{name}"
        found.append(sub if sub in known else imp.target)
    return list(dict.fromkeys(found))


def loaded_modules(imp: Import, known: set[str]) -> set[str]:
    """The known modules an import may execute: what it names, and their packages' ``__init__``.

    A package that contains the importer is left out unless named explicitly: Python has
    always started initializing it before the importer runs, so it adds no edge.
    """
    own = {*ancestors(imp.importer), imp.importer}
    loaded: set[str] = set()
    for name in imported_modules(imp, known):
        loaded.add(name)
        loaded.update(a for a in ancestors(name) if a not in own)
    return loaded & known


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, list[Import]]]:
    """importer → imported module → the statements, for imports that run at import time."""
    known = set(modules)
    graph: dict[str, dict[str, list[Import]]] = {name: defaultdict(list) for name in modules}
    for module in modules.values():
        for imp in module.imports:
            if imp.at_import_time:
                for target in loaded_modules(imp, known) - {module.name}:
                    graph[module.name][target].append(imp)
    return graph


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted, in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def circles(modules: dict[str, Module]) -> list[str]:
    """One report per import circle: its members and the statements that close it."""
    graph = import_graph(modules)
    reports = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        members = set(component)
        lines = [f"import circle of {len(component)} modules: {', '.join(component)}"]
        for name in component:
            for target in sorted(set(graph[name]) & members):
                for imp in graph[name][target]:
                    lines.append(f"    {imp.where()}  → loads {target}")
        reports.append("\n".join(lines))
    return reports


def fail_if(violations: list[str], rule: str) -> None:
    if violations:
        pytest.fail(f"{rule}\n" + "\n".join(f"  {v}" for v in violations), pytrace=False)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def product() -> dict[str, Module]:
    return discover(PRODUCT)


@pytest.fixture(scope="module")
def emulators() -> dict[str, Module]:
    return discover(EMULATORS)


# ---------------------------------------------------------------- the scanner is not blind

SAMPLE = '''
"""A module that imports in every way the rules care about."""
from __future__ import annotations

import os.path, json as j
from typing import TYPE_CHECKING
from . import sibling
from .sibling import thing
from ..other.deep import x as y

if TYPE_CHECKING:
    from pkg.types import T
    import sqlite3
else:
    import only_at_runtime

if not TYPE_CHECKING:
    import also_at_runtime

try:
    import maybe
except ImportError:
    maybe = None


class C:
    import in_class_body

    def method(self):
        from pkg.lazy import later
        return db.execute("select 1")


def f():
    import importlib
    importlib.import_module("pkg.dynamic")
    conn.executemany("insert", [])
    return lambda: __import__("pkg.in_lambda")
'''


def test_the_scanner_sees_relative_lazy_type_checking_and_dynamic_imports() -> None:
    module = scan("pkg.sub.mod", False, SAMPLE, "pkg/sub/mod.py")
    seen = {(i.target, i.names, i.in_function, i.type_checking) for i in module.imports}
    assert seen == {
        ("__future__", ("annotations",), False, False),
        ("os.path", (), False, False),
        ("json", (), False, False),
        ("typing", ("TYPE_CHECKING",), False, False),
        ("pkg.sub", ("sibling",), False, False),
        ("pkg.sub.sibling", ("thing",), False, False),
        ("pkg.other.deep", ("x",), False, False),
        ("pkg.types", ("T",), False, True),
        ("sqlite3", (), False, True),
        ("only_at_runtime", (), False, False),
        ("also_at_runtime", (), False, False),
        ("maybe", (), False, False),
        ("in_class_body", (), False, False),
        ("pkg.lazy", ("later",), True, False),
        ("importlib", (), True, False),
        ("pkg.dynamic", (), True, False),
        ("pkg.in_lambda", (), True, False),
    }
    assert [(c.line, c.call) for c in module.sql_calls] == [(31, "db.execute"), (37, "conn.executemany")]
    relative = next(i for i in module.imports if i.target == "pkg.other.deep")
    assert relative.where() == "pkg/sub/mod.py:9: from ..other.deep import x as y  [= pkg.other.deep]"


@pytest.mark.parametrize(
    ("module", "is_package", "level", "name", "expected"),
    [
        ("a.b.c", False, 1, None, "a.b"),
        ("a.b.c", False, 1, "d", "a.b.d"),
        ("a.b.c", False, 2, "d", "a.d"),
        ("a.b", True, 1, "c", "a.b.c"),
        ("a.b", True, 2, None, "a"),
        ("a", False, 0, "x.y", "x.y"),
    ],
)
def test_relative_imports_resolve(
    module: str, is_package: bool, level: int, name: str, expected: str
) -> None:
    assert resolve(module, is_package, level, name) == expected


def test_a_planted_circle_is_reported_with_its_statements() -> None:
    sources = {
        ("pkg", True): "from pkg.a import A\n",
        ("pkg.a", False): "from pkg import b\nA = 1\n",  # pkg.b is a module: an edge to it
        ("pkg.b", False): "from pkg.c import C\n",
        ("pkg.c", False): "def f():\n    from pkg.a import A\nfrom pkg import a\nC = 1\n",
        ("pkg.d", False): "from pkg.a import A\n",  # pkg is d's own package: no edge back to it
        ("pkg.sub", True): "from pkg.sub.e import E\n",
        ("pkg.sub.e", False): "from pkg.sub.f import F\nE = 1\n",
        ("pkg.sub.f", False): "F = 1\n",
    }
    modules = {
        name: scan(name, is_pkg, src, name.replace(".", "/") + ("/__init__.py" if is_pkg else ".py"))
        for (name, is_pkg), src in sources.items()
    }
    reports = circles(modules)
    assert len(reports) == 1, reports
    assert reports[0].splitlines()[0] == "import circle of 3 modules: pkg.a, pkg.b, pkg.c"
    assert "pkg/c.py:3: from pkg import a  → loads pkg.a" in reports[0]
    assert "pkg/c.py:2" not in reports[0]  # the lazy import closes no circle


def test_both_packages_were_read(product: dict[str, Module], emulators: dict[str, Module]) -> None:
    for package, modules in ((PRODUCT, product), (EMULATORS, emulators)):
        assert len(modules) >= MIN_MODULES[package], f"only {len(modules)} modules found in src/{package}"
    assert {CLI_APP, CLI_COMMON, CLI_EMULATE, WORKSPACE, PRODUCT} <= set(product)
    assert {DEMO, f"{EMULATORS}.server.app"} <= set(emulators)
    assert sum(len(m.imports) for m in product.values()) > 100


# ---------------------------------------------------------------- the rules


def test_the_product_never_imports_the_emulators(product: dict[str, Module]) -> None:
    violations = []
    for module in product.values():
        for imp in module.imports:
            if imp.runtime and top(imp.target) == EMULATORS:
                if module.name == CLI_EMULATE and imp.in_function:
                    continue  # the `emulate` command loads them lazily, and says how to install them
                violations.append(imp.where())
    fail_if(
        violations,
        f"the product imports {EMULATORS} (only {CLI_EMULATE} may, and only inside its functions):",
    )


def test_the_emulators_never_import_the_product(emulators: dict[str, Module]) -> None:
    violations = [
        imp.where()
        for module in emulators.values()
        if module.name != DEMO
        for imp in module.imports
        if imp.runtime and top(imp.target) == PRODUCT
    ]
    fail_if(
        violations,
        f"the emulators import {PRODUCT} (an oracle that shares the product's code shares its "
        f"mistakes; only {DEMO} may drive the CLI):",
    )


def test_no_import_circle_in_the_product(product: dict[str, Module]) -> None:
    fail_if(circles(product), "import circles among the product's modules (module-level imports):")


def test_the_cli_imports_one_way(product: dict[str, Module], emulators: dict[str, Module]) -> None:
    known = set(product)
    commands = {name for name in product if name.startswith(f"{CLI}.") and name not in {CLI_APP, CLI_COMMON}}
    assert CLI_EMULATE in commands
    violations = []

    def cli_targets(imp: Import) -> list[str]:
        return [t for t in imported_modules(imp, known) if t == CLI or t.startswith(f"{CLI}.")]

    for imp in product[CLI_COMMON].imports:
        for target in cli_targets(imp):
            if imp.runtime and target != CLI_COMMON:
                violations.append(f"{imp.where()}  — cli/common.py imports no other cli module")
    for name in sorted(commands):
        for imp in product[name].imports:
            for target in cli_targets(imp):
                if imp.runtime and target != CLI_COMMON:
                    violations.append(f"{imp.where()}  — a command module imports only cli.common")
    for module in [*product.values(), *emulators.values()]:
        if module.name == CLI_APP:
            continue
        for imp in module.imports:
            hit = sorted(commands.intersection(imported_modules(imp, known)) - {module.name})
            if imp.runtime and hit:
                violations.append(
                    f"{imp.where()}  — only cli/app.py imports command modules ({', '.join(hit)})"
                )
    registered = {
        t for imp in product[CLI_APP].imports if imp.at_import_time for t in imported_modules(imp, known)
    }
    violations += [
        f"{name.replace('.', '/')}.py is in the cli package but cli/app.py does not import it"
        for name in sorted(commands - registered)
    ]
    fail_if(violations, "the CLI package's imports go app → command modules → common, and nowhere else:")


def test_sql_lives_only_in_the_workspace(product: dict[str, Module]) -> None:
    violations = []
    for module in product.values():
        if module.name == WORKSPACE or module.name.startswith(f"{WORKSPACE}."):
            continue
        violations += [imp.where() for imp in module.imports if top(imp.target) == "sqlite3"]
        violations += [call.where() for call in module.sql_calls]
    fail_if(violations, "SQL outside stytch2workos/workspace/ (sqlite3 imports, .execute* calls):")


def test_the_product_uses_only_the_sdks_public_modules(product: dict[str, Module]) -> None:
    violations = []
    for module in product.values():
        for imp in module.imports:
            if top(imp.target) not in SDKS:
                continue
            private = [p for p in imp.target.split(".") if p.startswith("_")]
            private += [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private:
                violations.append(f"{imp.where()}  — private: {', '.join(private)}")
    fail_if(violations, "the product imports private parts of the Stytch / WorkOS SDKs:")

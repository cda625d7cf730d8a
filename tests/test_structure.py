"""The shape of the code: no import cycles, `wsgen.gateway` stays free of I/O libraries (and is
where the test client takes what it shares with the emulator), and no package's own name
hides one of its submodules.

Read from the source with `ast`, so a cycle hidden behind `if TYPE_CHECKING:` counts too
(mypy and readers follow it); imports inside functions do not (they run later, on purpose).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGES = ("runtime", "wsgen.gateway", "wsgen.local", "wsgen.testing")
"""The code the import graph covers: what runs in Lambda, and what emulates API Gateway."""
SANS_IO = ("asyncio", "websockets")
"""What `wsgen.gateway` never imports: both front ends share it, the test client in memory."""


def module_files(package: str) -> dict[str, Path]:
    """Every module of `package` by dotted name (a package by its own name)."""
    folder = ROOT.joinpath(*package.split("."))
    modules = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _module_level(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports outside any function or class body: those that run at import time."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))  # if TYPE_CHECKING:, try:, ...
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules among `known` that module `name` imports at module level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _module_level(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        source = ".".join(p for p in (base if node.level else "", node.module or "") if p)
        targets.add(source)
        targets.update(f"{source}.{alias.name}" for alias in node.names)  # submodules
    return {t for t in targets if t in known and t != name}


def import_graph() -> dict[str, set[str]]:
    files = {name: path for package in PACKAGES for name, path in module_files(package).items()}
    known = set(files)
    return {name: imports_of(name, path, known) for name, path in files.items()}


KNOWN_CYCLES: list[set[str]] = []
"""Cycles not removed yet: none. Never add one."""


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The import cycles: each set of modules that import each other, round the loop."""
    reach = {node: _reachable(graph, node) for node in graph}
    found: list[set[str]] = []
    for node in sorted(graph):
        loop = {other for other in reach[node] if node in reach[other]}
        if loop and loop not in found:
            found.append(loop)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = list(graph[start])
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(graph[node])
    return seen


def test_the_cycle_finder_sees_a_type_checking_cycle(tmp_path):
    """The check itself: a cycle behind `if TYPE_CHECKING:` is one, a function's import not."""
    a = tmp_path / "a.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    b = tmp_path / "b.py"
    b.write_text("from . import a\n\ndef later():\n    from . import c\n")
    c = tmp_path / "c.py"
    c.write_text("from .b import later\n")
    known = {"p.a", "p.b", "p.c"}
    graph = {n: imports_of(n, tmp_path / f"{n[2:]}.py", known) for n in known}
    assert graph == {"p.a": {"p.b"}, "p.b": {"p.a"}, "p.c": {"p.b"}}
    assert cycles(graph) == [{"p.a", "p.b"}]
    assert cycles({**graph, "p.a": set()}) == []


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert {"runtime.app", "wsgen.gateway.session", "wsgen.local.server"} <= set(graph)
    found = cycles(graph)
    assert [c for c in found if c not in KNOWN_CYCLES] == []
    gone = [c for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"no longer a cycle, remove it from KNOWN_CYCLES: {gone}"


def test_the_test_client_takes_sqs_rules_from_the_gateway_not_the_emulators_endpoint():
    """`wsgen.local.sqs` is an HTTP server; what SQS accepts of a message, which the test
    client's `send_sqs_message` follows too, is `wsgen.gateway.sqs`'s."""
    graph = import_graph()
    assert "wsgen.gateway.sqs" in graph["wsgen.testing.client"]
    assert [
        m for m in sorted(graph) if m.startswith("wsgen.testing") and "wsgen.local.sqs" in graph[m]
    ] == []


@pytest.mark.parametrize("name", sorted(module_files("wsgen.gateway")))
def test_gateway_modules_import_no_io_library_anywhere(name):
    """Not even inside a function: the sans-I/O package must stay usable without them."""
    tree = ast.parse(module_files("wsgen.gateway")[name].read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    }  # fmt: skip
    assert not imported & set(SANS_IO)


@pytest.mark.slow  # a fresh interpreter
def test_importing_wsgen_gateway_loads_neither_asyncio_nor_websockets():
    names = sorted(module_files("wsgen.gateway"))
    code = (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r})\n"
        + "".join(f"import {name}\n" for name in names)
        + "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = {module.split(".")[0] for module in json.loads(out)}
    assert "wsgen" in loaded and not loaded & set(SANS_IO)


def _bound_names(tree: ast.Module) -> dict[str, ast.AST]:
    """Names a module binds at its top level, but for `from . import sub` (a submodule)."""
    bound: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not (node.level and node.module is None):
            bound.update({(alias.asname or alias.name): node for alias in node.names})
        elif isinstance(node, ast.Import):
            bound.update({(alias.asname or alias.name).split(".")[0]: node for alias in node.names})
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound.update({t.id: node for t in targets if isinstance(t, ast.Name)})
    return bound


@pytest.mark.parametrize(
    "init", sorted(p.relative_to(ROOT).as_posix() for d in ("runtime", "wsgen")
                   for p in (ROOT / d).rglob("__init__.py")),
)  # fmt: skip
def test_no_package_hides_a_submodule_behind_a_name_of_its_own(init):
    """`wsgen.local.running` once named both a module and the function its package exported,
    so `mock.patch("wsgen.local.running.X")` found the function: a package's own names and
    its submodules' must differ, for each module to be reachable by its dotted path."""
    path = ROOT / init
    submodules = {p.stem for p in path.parent.glob("*.py") if p.name != "__init__.py"}
    submodules |= {p.name for p in path.parent.iterdir() if (p / "__init__.py").is_file()}
    clashes = sorted(set(_bound_names(ast.parse(path.read_text(), init))) & submodules)
    assert clashes == [], f"{init} binds names of its submodules: rename one"

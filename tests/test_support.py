"""The tests' own shape: helpers come from tests/support, which alone defines the paths."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tests.support.paths import ROOT, TESTS

SUPPORT = TESTS / "support"
DEFINED_ONCE = ("ROOT", "EVENTS", "SAMPLES", "GOLDEN", "APPS")


def modules_outside_support() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if SUPPORT not in path.parents)


def imported_modules(tree: ast.Module) -> list[str]:
    """The modules a file imports from, relative ones spelled with their dots."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


@functools.cache
def parsed() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(), str(path))
        for path in modules_outside_support()
    }


def test_helpers_come_from_tests_support_not_from_conftest_or_test_modules() -> None:
    wrong = [
        f"{name}: {module}"
        for name, tree in parsed().items()
        for module in imported_modules(tree)
        if module.split(".")[-1] == "conftest"
        or module.split(".")[-1].startswith("test_")
        or (module.startswith("tests.") and not module.startswith("tests.support"))
    ]
    assert wrong == [], "move the helper to tests/support and import it from there"


def test_only_tests_support_defines_the_repository_paths() -> None:
    assigned = [
        f"{name}: {target.id}"
        for name, tree in parsed().items()
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in DEFINED_ONCE
    ]
    assert assigned == [], "import it from tests.support.paths"

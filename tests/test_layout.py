"""The layout section of docs/contributing.md matches the tree: every module of runtime/, wsgen/ and
tests/support/ is named there, and every path it names exists."""

from __future__ import annotations

import re

from tests.support.paths import DOCS, ROOT

PACKAGES = ("runtime", "wsgen", "tests/support")
"""Whose modules and subpackages the layout describes one by one."""


def layout() -> str:
    text = (DOCS / "contributing.md").read_text()
    return text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def named() -> set[str]:
    """Every backticked name of the layout table, as the last part of its path."""
    return {
        name.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
        for name in re.findall(r"`([^`\s]+)`", layout())
    }


def test_every_module_is_named_in_the_layout() -> None:
    names = named()
    missing = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in sorted((ROOT / package).iterdir())
        if (path.suffix == ".py" or (path / "__init__.py").is_file() or path.name == "apps")
        and not path.name.startswith("_")
        and path.stem not in names
    ]
    assert missing == [], "describe them in docs/contributing.md's layout section"


def test_every_path_the_layout_names_exists() -> None:
    paths = [
        name.split("#")[0]
        for name in re.findall(r"`([^`\s]+)`", layout())
        if "/" in name and not name.startswith(("http", "{"))
    ]
    bases = [ROOT, *(ROOT / package for package in (*PACKAGES, "tests"))]
    missing = [p for p in paths if not any((base / p).exists() for base in bases)]
    assert missing == [], "the layout names paths the tree does not have"

"""The runtime is standard library only at import time: Lambda cold starts pay for imports."""

from __future__ import annotations

import sys

import pytest

from tests.support.paths import ROOT, SAMPLES
from tests.support.probe import imported_after

pytestmark = pytest.mark.slow  # a fresh interpreter per test

FORBIDDEN = ("boto3", "botocore", "wsgen", "troposphere", "websockets", "cfn_flip", "yaml")
LAZY_ONLY = ("boto3", "botocore")  # allowed inside a function: the first management call


def third_party(modules: list[str], own: tuple[str, ...]) -> list[str]:
    return [
        name
        for name in modules
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in (*own, "__main__", "_distutils_hack")
    ]


def test_importing_runtime_loads_only_the_standard_library():
    modules = imported_after()
    assert third_party(modules, own=("runtime",)) == []
    assert not [m for m in modules if m.split(".")[0] in FORBIDDEN]


def test_importing_a_sample_app_does_not_import_boto3():
    modules = imported_after("import app", paths=(str(SAMPLES / "echo"),))
    assert "app" in modules
    assert third_party(modules, own=("runtime", "app")) == []


def test_runtime_never_imports_wsgen_or_tool_dependencies():
    for path in (ROOT / "runtime").glob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]):
                package = words[1].split(".")[0]
                lazy = line.startswith(" ") and package in LAZY_ONLY
                assert lazy or package not in FORBIDDEN, f"{path.name}: {line}"

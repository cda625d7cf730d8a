"""Import a sample's app.py under its own module name, for `wsgen.testing.Client`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from tests.support.paths import SAMPLES


@pytest.fixture
def load_sample() -> Iterator[Callable[[str], ModuleType]]:
    loaded: list[str] = []

    def load(name: str) -> ModuleType:
        module_name = f"sample_{name}_app"
        spec = importlib.util.spec_from_file_location(module_name, SAMPLES / name / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        loaded.append(module_name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)

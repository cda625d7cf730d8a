"""Import a sample's app.py under its own module name, for `wsgen.testing.Client`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.paths import SAMPLES


def _forget_modules_of(directory: Path) -> None:
    """Drop the modules imported from `directory` (a sample's own, such as chat's history),
    so each test imports them afresh, with none of another test's state."""
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").parent == directory:
            del sys.modules[name]


@pytest.fixture
def load_sample() -> Iterator[Callable[[str], ModuleType]]:
    loaded: list[Path] = []

    def load(name: str) -> ModuleType:
        directory = SAMPLES / name
        _forget_modules_of(directory)
        sys.path.insert(0, str(directory))  # its own modules, as Lambda and wsgen local find them
        loaded.append(directory)
        module_name = f"sample_{name}_app"
        spec = importlib.util.spec_from_file_location(module_name, directory / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return module

    yield load
    for directory in loaded:
        _forget_modules_of(directory)
        if str(directory) in sys.path:
            sys.path.remove(str(directory))

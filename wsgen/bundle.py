"""Stages the function's code, the template's `CodeUri`: `.wsgen/function/` in the app directory.

`sam build` packs the whole `CodeUri` into the function, so it gets only what the function
can import from the app directory, and what `sam build` needs to install its dependencies:

- every top-level module (`*.py`) but tests (`test_*.py`, `*_test.py`, `conftest.py`);
- every top-level directory holding Python code (a package, Chalice's `chalicelib/`, what
  `pip install -t .` wrote, with its `*.dist-info`), whole (data files too) but for
  `__pycache__`; not `tests`/`test`, dot-directories (`.wsgen`, `.aws-sam`, `.git`, `.venv`),
  other virtual environments (`pyvenv.cfg`), `node_modules`, `site-packages`,
  `dist-packages`;
- `requirements.txt`, which `sam build` installs into the function.

So `wsgen.toml` (which may hold local secrets), tests, templates and READMEs stay out. The
copy mirrors the app: files the app no longer has are removed, and a file is copied only
when its size or modification time differ from the staged one's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .exceptions import ConfigError
from .layer import STAGING_DIR, ignore_staging_dir

FUNCTION_DIR = f"{STAGING_DIR}/function"
REQUIREMENTS = "requirements.txt"

_SKIPPED_DIRS = frozenset(
    {"tests", "test", "__pycache__", "node_modules", "site-packages", "dist-packages"}
)


def _is_test_module(name: str) -> bool:
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def _holds_python(directory: Path) -> bool:
    """Whether `directory` is code the function may import (or pip's record of it)."""
    if directory.name.endswith(".dist-info"):
        return True
    if (directory / "pyvenv.cfg").exists():
        return False
    return any(_walk(directory, suffix=".py"))


def _walk(directory: Path, suffix: str = "") -> Iterator[Path]:
    """The files under `directory`, `__pycache__` and dot-directories left out."""
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(suffix) and not name.endswith((".pyc", ".pyo")):
                yield Path(root, name)


def function_files(app_dir: Path) -> list[Path]:
    """What the function ships, relative to `app_dir`, sorted."""
    shipped: list[Path] = []
    for entry in sorted(app_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            python = entry.suffix == ".py" and not _is_test_module(entry.name)
            if python or entry.name == REQUIREMENTS:
                shipped.append(Path(entry.name))
        elif entry.is_dir() and entry.name not in _SKIPPED_DIRS and _holds_python(entry):
            shipped += [path.relative_to(app_dir) for path in _walk(entry)]
    return shipped


def stage_function(app_dir: Path) -> Path:
    """Mirror the function's files into `app_dir/.wsgen/function/`; returns that folder.

    Raises:
        ConfigError: the folder cannot be written.
    """
    target = app_dir / FUNCTION_DIR
    try:
        ignore_staging_dir(app_dir)
        wanted = set(function_files(app_dir))
        target.mkdir(parents=True, exist_ok=True)
        for staged in list(_walk_all(target)):
            if staged.relative_to(target) not in wanted:
                staged.unlink()
        for relative in sorted(wanted):
            _copy_if_changed(app_dir / relative, target / relative)
        _remove_empty_dirs(target)
    except OSError as exc:
        raise ConfigError(
            f"cannot stage the function's code: {exc.strerror}", str(exc.filename or target)
        ) from exc
    return target


def _walk_all(directory: Path) -> Iterator[Path]:
    for root, _, files in os.walk(directory):
        for name in files:
            yield Path(root, name)


def _copy_if_changed(source: Path, target: Path) -> None:
    stat = source.stat()
    try:
        staged = target.stat()
        if (staged.st_size, staged.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            return
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _remove_empty_dirs(directory: Path) -> None:
    for root, _, _ in os.walk(directory, topdown=False):  # children before their parents
        if Path(root) != directory and not any(Path(root).iterdir()):
            os.rmdir(root)

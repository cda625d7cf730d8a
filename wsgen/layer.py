"""Stages the `runtime` package as a Lambda layer folder in the app directory.

`.wsgen/runtime-layer/python/runtime/` holds runtime's `.py` files, compacted for deployment
(no docstrings, annotations or type-only imports: see `compact`); Lambda mounts a layer's
`python/` on `sys.path` as `/opt/python`. The copy is byte-identical run after run, and files
runtime no longer has are removed.

Given the target runtime, it also ships bytecode (`__pycache__/*.cpython-3XY.pyc`, PEP 552
unchecked-hash) when an interpreter of that version is on this machine (see `bytecode`), and
source only otherwise; `staged_bytecode` says which.

Compacting parses and unparses every module, the largest part of a `wsgen template` run, so
`.wsgen/runtime-layer.sha256` records what the staged files were made from (Python version,
`runtime` and `compact` sources, the bytecode interpreter) and what they hold; while both
still match, staging is a check.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import runtime

from .exceptions import ConfigError

CACHE_DIR = "__pycache__"

STAGING_DIR = ".wsgen"
LAYER_DIR = f"{STAGING_DIR}/runtime-layer"
STAMP = f"{STAGING_DIR}/runtime-layer.sha256"
_IGNORE_ALL = "# staged by wsgen template; regenerated on every run\n*\n"


def runtime_files() -> dict[str, bytes]:
    """The runtime package's modules as they are deployed, by file name."""
    return _compact(_sources())


def _sources() -> dict[str, str]:
    package = Path(runtime.__file__).parent
    return {path.name: path.read_text() for path in sorted(package.glob("*.py"))}


def _compact(sources: dict[str, str]) -> dict[str, bytes]:
    from .compact import compact_source  # ast work, skipped while the staged copy is current

    package = Path(runtime.__file__).parent
    return {
        name: compact_source(text, str(package / name)).encode() for name, text in sources.items()
    }


def _made_from(sources: dict[str, str], python: Path | None) -> str:
    """A digest of everything the staged files depend on."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}\0".encode())
    if python is not None:
        info = python.stat()
        digest.update(f"{python}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    digest.update(Path(__file__).with_name("compact.py").read_bytes())
    for name, text in sources.items():
        digest.update(f"\0{name}\0{text}".encode())
    return digest.hexdigest()


def _stamp(made_from: str, bytecode: str, files: dict[str, bytes]) -> str:
    hashes = (f"{hashlib.sha256(data).hexdigest()}  {n}" for n, data in files.items())
    return "\n".join([made_from, f"bytecode: {bytecode}", *hashes]) + "\n"


def _staged(target: Path) -> dict[str, bytes]:
    """The staged files by name relative to `target` (modules, then their bytecode)."""
    files = {p.name: p.read_bytes() for p in sorted(target.iterdir()) if p.is_file()}
    cache = target / CACHE_DIR
    if cache.is_dir():
        files.update(
            (f"{CACHE_DIR}/{p.name}", p.read_bytes())
            for p in sorted(cache.iterdir())
            if p.is_file()
        )
    return files


def _is_current(app_dir: Path, target: Path, made_from: str) -> bool:
    """Whether the staged files are what staging `made_from` gave, unchanged since."""
    try:
        stamp = (app_dir / STAMP).read_text()
        staged = _staged(target)
        ignore = (app_dir / STAGING_DIR / ".gitignore").read_bytes()
    except OSError:
        return False
    lines = stamp.splitlines()
    if ignore != _IGNORE_ALL.encode() or len(lines) < 2 or lines[0] != made_from:
        return False
    return stamp == _stamp(made_from, lines[1].removeprefix("bytecode: "), staged)


def staged_bytecode(app_dir: Path) -> str:
    """What the staged layer's bytecode is: `cpython-312 by /path/python3.12`, or why none."""
    try:
        lines = (app_dir / STAMP).read_text().splitlines()
    except OSError:
        return "none: not staged"
    return lines[1].removeprefix("bytecode: ") if len(lines) > 1 else "none: not staged"


def ignore_staging_dir(app_dir: Path) -> None:
    """Make `app_dir/.wsgen/` with a `.gitignore` ignoring all of it.

    Raises:
        OSError: it cannot be written.
    """
    (app_dir / STAGING_DIR).mkdir(parents=True, exist_ok=True)
    _write_if_changed(app_dir / STAGING_DIR / ".gitignore", _IGNORE_ALL.encode())


def stage_runtime_layer(app_dir: Path, runtime: str | None = None) -> Path:
    """Write the layer folder into `app_dir`; returns it.

    With `runtime` (`python3.12`), the modules are also compiled for it when an interpreter
    of that version is found; without, or when none is, the layer holds source only.

    Raises:
        ConfigError: the folder cannot be written.
    """
    from .bytecode import find_interpreter

    layer = app_dir / LAYER_DIR
    target = layer / "python" / "runtime"
    sources = _sources()
    python = find_interpreter(runtime) if runtime else None
    made_from = _made_from(sources, python)
    if _is_current(app_dir, target, made_from):
        return layer
    files = _compact(sources)
    try:
        target.mkdir(parents=True, exist_ok=True)
        ignore_staging_dir(app_dir)
        for stale in target.iterdir():
            if stale.name not in files and stale.is_file():
                stale.unlink()
        for name, data in files.items():
            _write_if_changed(target / name, data)
        shutil.rmtree(target / CACHE_DIR, ignore_errors=True)
        bytecode = _compile(target, runtime, python)
        _write_if_changed(app_dir / STAMP, _stamp(made_from, bytecode, _staged(target)).encode())
    except OSError as exc:
        raise ConfigError(f"cannot stage the runtime layer: {exc.strerror}", str(layer)) from exc
    return layer


def _compile(target: Path, runtime: str | None, python: Path | None) -> str:
    """Compile the staged modules when an interpreter is there; what the stamp says of it."""
    from .bytecode import BytecodeError, compile_package, version_of

    if runtime is None:
        return "none: no runtime given"
    if python is None:
        return f"none: no {runtime} interpreter found"
    try:
        tag = compile_package(target, python, version_of(runtime))
    except BytecodeError as exc:
        shutil.rmtree(target / CACHE_DIR, ignore_errors=True)
        return f"none: {exc}"
    return f"{tag} by {python}"


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)

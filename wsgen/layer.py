"""Stages the `runtime` package as a Lambda layer folder in the app directory.

`.wsgen/runtime-layer/python/runtime/` holds runtime's `.py` files, compacted for deployment
(no docstrings, annotations or type-only imports: see `compact`); Lambda mounts a layer's
`python/` on `sys.path` as `/opt/python`. The copy is byte-identical run after run, and files
runtime no longer has are removed.

Compacting parses and unparses every module, the largest part of a `wsgen template` run, so
`.wsgen/runtime-layer.sha256` records what the staged files were made from (Python version,
`runtime` and `compact` sources) and what they hold; while both still match, staging is a check.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import runtime

from .exceptions import ConfigError

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


def _made_from(sources: dict[str, str]) -> str:
    """A digest of everything the compacted files depend on."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}\0".encode())
    digest.update(Path(__file__).with_name("compact.py").read_bytes())
    for name, text in sources.items():
        digest.update(f"\0{name}\0{text}".encode())
    return digest.hexdigest()


def _stamp(made_from: str, files: dict[str, bytes]) -> str:
    lines = [made_from, *(f"{hashlib.sha256(data).hexdigest()}  {n}" for n, data in files.items())]
    return "\n".join(lines) + "\n"


def _is_current(app_dir: Path, target: Path, made_from: str) -> bool:
    """Whether the staged files are what compacting `made_from` gave, unchanged since."""
    try:
        stamp = (app_dir / STAMP).read_text()
        staged = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}
        ignore = (app_dir / STAGING_DIR / ".gitignore").read_bytes()
    except OSError:
        return False
    return ignore == _IGNORE_ALL.encode() and stamp == _stamp(
        made_from, dict(sorted(staged.items()))
    )


def ignore_staging_dir(app_dir: Path) -> None:
    """Make `app_dir/.wsgen/` with a `.gitignore` ignoring all of it.

    Raises:
        OSError: it cannot be written.
    """
    (app_dir / STAGING_DIR).mkdir(parents=True, exist_ok=True)
    _write_if_changed(app_dir / STAGING_DIR / ".gitignore", _IGNORE_ALL.encode())


def stage_runtime_layer(app_dir: Path) -> Path:
    """Write the layer folder into `app_dir`; returns it.

    Raises:
        ConfigError: the folder cannot be written.
    """
    layer = app_dir / LAYER_DIR
    target = layer / "python" / "runtime"
    sources = _sources()
    made_from = _made_from(sources)
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
        _write_if_changed(app_dir / STAMP, _stamp(made_from, files).encode())
    except OSError as exc:
        raise ConfigError(f"cannot stage the runtime layer: {exc.strerror}", str(layer)) from exc
    return layer


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)

"""Stages the `runtime` package as a Lambda layer folder in the app directory.

`.wsgen/runtime-layer/python/runtime/` holds runtime's `.py` files, compacted for deployment
(no docstrings, annotations or type-only imports: see `compact`); Lambda mounts a layer's
`python/` on `sys.path` as `/opt/python`. The copy is byte-identical run after run, and files
runtime no longer has are removed.
"""

from __future__ import annotations

from pathlib import Path

import runtime

from .compact import compact_source
from .exceptions import ConfigError

STAGING_DIR = ".wsgen"
LAYER_DIR = f"{STAGING_DIR}/runtime-layer"
_IGNORE_ALL = "# staged by wsgen template; regenerated on every run\n*\n"


def runtime_files() -> dict[str, bytes]:
    """The runtime package's modules as they are deployed, by file name."""
    package = Path(runtime.__file__).parent
    return {
        path.name: compact_source(path.read_text(), str(path)).encode()
        for path in sorted(package.glob("*.py"))
    }


def stage_runtime_layer(app_dir: Path) -> Path:
    """Write the layer folder into `app_dir`; returns it.

    Raises:
        ConfigError: the folder cannot be written.
    """
    layer = app_dir / LAYER_DIR
    target = layer / "python" / "runtime"
    files = runtime_files()
    try:
        target.mkdir(parents=True, exist_ok=True)
        _write_if_changed(app_dir / STAGING_DIR / ".gitignore", _IGNORE_ALL.encode())
        for stale in target.iterdir():
            if stale.name not in files and stale.is_file():
                stale.unlink()
        for name, data in files.items():
            _write_if_changed(target / name, data)
    except OSError as exc:
        raise ConfigError(f"cannot stage the runtime layer: {exc.strerror}", str(layer)) from exc
    return layer


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)

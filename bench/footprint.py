"""Deployed footprint: bytes of the runtime as deployed, wsgen's layer vs Chalice's package.

The layer ships every runtime module (a module left out would only fail in AWS), so its
size grows with each feature; what an app pays at a cold start is what it imports. The row
also says that: the staged echo app imported in a fresh `-I -S -B` interpreter, and the
compacted bytes of the runtime modules it loaded (informational; the verdict is the layer's).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .deployed import chalice_package, wsgen_function
from .harness import Row

PROBE = (
    "import json, sys; sys.path[:0] = {paths!r}; import app; "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'runtime')))"
)


def wsgen_runtime_bytes() -> int:
    """What `wsgen template` stages into the runtime layer (compacted runtime modules)."""
    from wsgen.layer import runtime_files

    return sum(len(data) for data in runtime_files().values())


def echo_cold_start_modules() -> dict[str, int]:
    """The runtime modules the deployed echo app imports at its cold start, and their bytes."""
    from wsgen.layer import runtime_files

    files = runtime_files()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in wsgen_function(Path(tmp))]
        out = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", PROBE.format(paths=paths)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    names = [
        "__init__.py" if name == "runtime" else name.split(".", 1)[1] + ".py"
        for name in json.loads(out)
    ]
    return {name: len(files[name]) for name in names}


def chalice_runtime_bytes() -> int:
    """The `chalice/` files `chalice package` puts in its deployment zip (uncompressed)."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(chalice_package(Path(tmp))) as zf:
        return sum(i.file_size for i in zf.infolist() if i.filename.startswith("chalice/"))


def run(rounds: int) -> list[Row]:
    from wsgen.layer import runtime_files

    wsgen, chalice = wsgen_runtime_bytes(), chalice_runtime_bytes()
    loaded, modules = echo_cold_start_modules(), len(runtime_files())
    ratio = wsgen / chalice
    return [
        Row(
            "deployed runtime footprint",
            f"wsgen {wsgen / 1024:.1f} KiB, Chalice {chalice / 1024:.1f} KiB (ratio {ratio:.2f}); "
            f"the echo app's cold start imports {len(loaded)} of the layer's {modules} modules, "
            f"{sum(loaded.values()) / 1024:.1f} KiB",
            "≤ 1/3 of Chalice",
            ratio <= 1 / 3,
        )
    ]

"""Deployed footprint: bytes of the runtime as deployed, wsgen's layer vs Chalice's package."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from .deployed import chalice_package
from .harness import Row


def wsgen_runtime_bytes() -> int:
    """What `wsgen template` stages into the runtime layer (compacted runtime modules)."""
    from wsgen.layer import runtime_files

    return sum(len(data) for data in runtime_files().values())


def chalice_runtime_bytes() -> int:
    """The `chalice/` files `chalice package` puts in its deployment zip (uncompressed)."""
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(chalice_package(Path(tmp))) as zf:
        return sum(i.file_size for i in zf.infolist() if i.filename.startswith("chalice/"))


def run(rounds: int) -> list[Row]:
    wsgen, chalice = wsgen_runtime_bytes(), chalice_runtime_bytes()
    ratio = wsgen / chalice
    return [
        Row(
            "deployed runtime footprint",
            f"wsgen {wsgen / 1024:.1f} KiB, Chalice {chalice / 1024:.1f} KiB (ratio {ratio:.2f})",
            "≤ 1/3 of Chalice",
            ratio <= 1 / 3,
        )
    ]

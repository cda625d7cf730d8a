"""Deployed footprint: bytes of the runtime as deployed, wsgen's layer vs Chalice's package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .harness import APPS, Row


def wsgen_runtime_bytes() -> int:
    """What `wsgen template` stages into the runtime layer (compacted runtime modules)."""
    from wsgen.layer import runtime_files

    return sum(len(data) for data in runtime_files().values())


def chalice_runtime_bytes() -> int:
    """The `chalice/` files `chalice package` puts in its deployment zip (uncompressed)."""
    chalice = Path(sys.executable).with_name("chalice")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "echo"
        shutil.copytree(APPS / "chalice_echo", project)
        (project / ".chalice").mkdir()
        (project / ".chalice" / "config.json").write_text(
            '{"version": "2.0", "app_name": "echo", "stages": {"dev": {}}}'
        )
        env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
        subprocess.run(
            [str(chalice), "package", str(Path(tmp) / "out")],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
        )
        with zipfile.ZipFile(Path(tmp) / "out" / "deployment.zip") as archive:
            return sum(i.file_size for i in archive.infolist() if i.filename.startswith("chalice/"))


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

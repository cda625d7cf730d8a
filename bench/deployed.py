"""Both runtimes exactly as they deploy: wsgen's staged layer, and `chalice package`'s zip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .harness import APPS, ROOT

WSGEN_ECHO = ROOT / "samples" / "echo"
CHALICE_ECHO = APPS / "chalice_echo"


def wsgen_function(into: Path, bytecode: bool = False) -> list[Path]:
    """The echo function as Lambda sees it: the layer's `python/` and the app; sys.path order.

    With `bytecode`, the layer ships it for this interpreter, as `wsgen template` does for
    a runtime whose interpreter it finds; without, source only.
    """
    from wsgen.layer import stage_runtime_layer

    code = into / "function"
    code.mkdir(parents=True)
    shutil.copy(WSGEN_ECHO / "app.py", code / "app.py")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}" if bytecode else None
    layer = stage_runtime_layer(into, runtime) / "python"
    return [code, layer]


def chalice_package(into: Path) -> Path:
    """Run `chalice package` on the Chalice echo app; the deployment zip it writes."""
    project = into / "chalice-project"
    shutil.copytree(CHALICE_ECHO, project)
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(
        '{"version": "2.0", "app_name": "echo", "stages": {"dev": {}}}'
    )
    subprocess.run(
        [str(Path(sys.executable).with_name("chalice")), "package", str(into / "out")],
        cwd=project,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        check=True,
        capture_output=True,
    )
    return into / "out" / "deployment.zip"


def chalice_function(into: Path) -> list[Path]:
    """Chalice's echo function as Lambda sees it: the unzipped deployment package."""
    code = into / "chalice-function"
    with zipfile.ZipFile(chalice_package(into)) as archive:
        archive.extractall(code)
    return [code]

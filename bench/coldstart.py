"""Cold-start import: a fresh interpreter importing the echo app, wsgen vs Chalice vs nothing."""

from __future__ import annotations

import compileall
import subprocess
import sys

from .harness import APPS, ROOT, Row, alternate, ms, wall_time

WSGEN_APP = ROOT / "samples" / "echo"
CHALICE_APP = APPS / "chalice_echo"


def _precompile() -> None:
    # Lambda runs what was deployed; both sides get bytecode, as pip gave Chalice's.
    for folder in (ROOT / "runtime", WSGEN_APP, CHALICE_APP):
        compileall.compile_dir(str(folder), quiet=1)


def _imports_boto3() -> bool:
    code = "import app, sys; print('boto3' in sys.modules or 'botocore' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=WSGEN_APP, capture_output=True, text=True, check=True
    )
    return out.stdout.strip() == "True"


def run(rounds: int) -> list[Row]:
    _precompile()
    py = sys.executable
    medians = alternate(
        {
            "bare": lambda: wall_time([py, "-c", "pass"]),
            "wsgen": lambda: wall_time([py, "-c", "import app"], cwd=WSGEN_APP),
            "chalice": lambda: wall_time([py, "-c", "import app"], cwd=CHALICE_APP),
        },
        rounds,
    )
    wsgen_adds = medians["wsgen"] - medians["bare"]
    chalice_adds = medians["chalice"] - medians["bare"]
    ratio = wsgen_adds / chalice_adds if chalice_adds > 0 else float("inf")
    boto3 = _imports_boto3()
    return [
        Row(
            "cold-start import of the echo app",
            f"bare interpreter {ms(medians['bare'])}; wsgen adds {ms(wsgen_adds)}, "
            f"Chalice adds {ms(chalice_adds)} (ratio {ratio:.3f}); "
            f"boto3 {'imported' if boto3 else 'not imported'}",
            "wsgen adds ≤ 5 ms and ≤ 1/8 of Chalice's; boto3 not imported",
            wsgen_adds <= 0.005 and ratio <= 1 / 8 and not boto3,
        )
    ]

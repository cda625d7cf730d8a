"""Cold-start import: a fresh interpreter importing the echo app, wsgen vs Chalice vs nothing.

Each side is imported exactly as it deploys (wsgen: the app plus the staged runtime layer;
Chalice: its unzipped deployment package), in an isolated interpreter (`-I -S`: no site
packages, so neither side can lean on anything installed here; `-B`: no bytecode written
during the runs, so what is measured is what was deployed). With bytecode, wsgen's layer is
the one `wsgen template` stages when it finds an interpreter of the runtime (unchecked-hash
`.pyc` it ships); Chalice ships none, so its package is given compileall's for comparison.
The app's own module (the user's code, not either framework's) has compileall's bytecode on
both sides: Chalice's `app.py` is in its package, and wsgen's function code gets the same,
so that neither side's figure holds the other's compile of the app (the first `compile()`
in a process also builds the interpreter's AST types: ~40% of a bare start).
"""

from __future__ import annotations

import compileall
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .deployed import chalice_function, wsgen_function
from .harness import Row, alternate, ms, wall_time

IMPORT = "import sys; sys.path[:0] = {paths!r}; import app"


def _argv(paths: list[Path], extra: str = "") -> list[str]:
    return [
        sys.executable,
        "-I",
        "-S",
        "-B",
        "-c",
        IMPORT.format(paths=[str(p) for p in paths]) + extra,
    ]


def _imports_boto3(paths: list[Path]) -> bool:
    probe = "; print(any(m in sys.modules for m in ('boto3', 'botocore')))"
    out = subprocess.run(_argv(paths, probe), capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def _measure(wsgen: list[Path], chalice: list[Path], rounds: int) -> dict[str, float]:
    bare = [sys.executable, "-I", "-S", "-B", "-c", "pass"]
    return alternate(
        {
            "bare": lambda: wall_time(bare),
            "wsgen": lambda: wall_time(_argv(wsgen)),
            "chalice": lambda: wall_time(_argv(chalice)),
        },
        rounds,
    )


def _figures(medians: dict[str, float]) -> tuple[float, float, float]:
    wsgen_adds = medians["wsgen"] - medians["bare"]
    chalice_adds = medians["chalice"] - medians["bare"]
    return wsgen_adds, chalice_adds, wsgen_adds / chalice_adds if chalice_adds > 0 else 0.0


def run(rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = {"wsgen": wsgen_function(root / "plain"), "chalice": chalice_function(root)}
        compiled = {"wsgen": wsgen_function(root / "shipped", bytecode=True)}
        compileall.compile_dir(str(compiled["wsgen"][0]), quiet=1)  # the app, as Chalice's
        copies = [root / "compiled" / str(i) for i in range(len(plain["chalice"]))]
        for source, copy in zip(plain["chalice"], copies, strict=True):
            shutil.copytree(source, copy)
            compileall.compile_dir(str(copy), quiet=1)
        compiled["chalice"] = copies
        boto3 = _imports_boto3(compiled["wsgen"])
        with_bytecode = _figures(_measure(compiled["wsgen"], compiled["chalice"], rounds))
        without = _figures(_measure(plain["wsgen"], plain["chalice"], rounds))
    wsgen_adds, chalice_adds, ratio = with_bytecode
    raw_wsgen, raw_chalice, raw_ratio = without
    return [
        Row(
            "cold-start import of the echo app, as deployed, with the bytecode wsgen ships",
            f"wsgen adds {ms(wsgen_adds)}, Chalice adds {ms(chalice_adds)} "
            f"(ratio {ratio:.3f}); boto3 {'imported' if boto3 else 'not imported'}",
            "wsgen adds ≤ 5 ms and ≤ 1/8 of Chalice's; boto3 not imported",
            wsgen_adds <= 0.005 and ratio <= 1 / 8 and not boto3,
        ),
        Row(
            "the same without bytecode (no interpreter of the runtime at `wsgen template` time)",
            f"wsgen adds {ms(raw_wsgen)}, Chalice adds {ms(raw_chalice)} (ratio {raw_ratio:.3f})",
            "informational",
            None,
        ),
    ]

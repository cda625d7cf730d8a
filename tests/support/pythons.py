"""The suite on Lambda's other Python runtimes: what `make pythons` (part of `make test`) runs.

The runtime deploys to every runtime `wsgen template` accepts, and users run `wsgen local`
and their tests on the Python they have, so the tests run on each of those versions this
machine has besides the one running them (found as `wsgen template` finds an interpreter for
the layer's bytecode). For each: a virtual environment `.venv-pythonX.Y` with wsgen's
development install (made once, redone when pyproject.toml changes), then pytest in it.

`python -m tests.support.pythons` runs the in-memory tests (`not slow and not external`) on
each, and on the newest the emulator's, the sockets' and the subprocesses' too (`not
external`: the tools with environments of their own, such as sam, checkov and Chalice, run
the same whatever the Python). A version the machine lacks is said on stderr and left
out: it is not a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from wsgen.bytecode import find_interpreter
from wsgen.checks import RUNTIMES

from .paths import ROOT

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"
IN_MEMORY = "not slow and not external"
EVERYTHING_HERE = "not external"
PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")
"""pytest without its cache, which the main environment's runs keep."""


def venv_for(runtime: str, python: Path) -> Path:
    """`.venv-<runtime>` with wsgen's dev install, made or brought up to date."""
    venv = ROOT / f".venv-{runtime}"
    stamp = venv / ".installed-dev"
    project = ROOT / "pyproject.toml"
    if stamp.is_file() and stamp.stat().st_mtime >= project.stat().st_mtime:
        return venv
    if not (venv / "bin" / "python").is_file():
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    stamp.touch()
    return venv


def main() -> int:
    found = []
    for runtime in RUNTIMES:
        python = None if runtime == RUNNING else find_interpreter(runtime)
        if python is not None:
            found.append((runtime, python))
        elif runtime != RUNNING:
            print(f"make pythons: no {runtime} on this machine: not tested on it", file=sys.stderr)
    failed = []
    for runtime, python in found:
        markers = EVERYTHING_HERE if runtime == found[-1][0] else IN_MEMORY
        print(f"make pythons: {runtime} ({python}), tests marked {markers!r}", file=sys.stderr)
        venv = venv_for(runtime, python)
        done = subprocess.run([str(venv / "bin" / "python"), *PYTEST, "-m", markers], cwd=ROOT)
        if done.returncode != 0:
            failed.append(runtime)
    if failed:
        print(f"make pythons: tests failed on {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

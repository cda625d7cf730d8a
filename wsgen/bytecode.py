"""Bytecode for the staged runtime layer, compiled by an interpreter of the Lambda runtime.

Lambda mounts layers read-only, so a layer without `__pycache__` is compiled at every cold
start. Bytecode only loads on the interpreter version that wrote it, so it comes from an
interpreter of the target runtime's version found on this machine (the running one, pyenv's,
uv's, or `pythonX.Y` on PATH), never from whatever runs wsgen. The files are PEP 552
unchecked-hash `.pyc`: Python loads them without comparing anything with the source, so the
timestamps a zip or `sam build` gives the files cannot make Lambda ignore them.
https://peps.python.org/pep-0552/
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DEPLOYED_PREFIX = "/opt/python/runtime"
"""Where Lambda mounts the layer's runtime package: the file name compiled in, so the bytes
name no path of this machine (importing puts the real path in the code objects anyway)."""

_COMPILE = """
import importlib.util, py_compile, sys
want, directory, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
have = "%d.%d" % sys.version_info[:2]
if have != want:
    sys.exit("this interpreter is Python " + have + ", not " + want)
import os
for name in sorted(os.listdir(directory)):
    if name.endswith(".py"):
        source = os.path.join(directory, name)
        py_compile.compile(
            source,
            cfile=importlib.util.cache_from_source(source),
            dfile=prefix + "/" + name,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
print(sys.implementation.cache_tag)
"""


class BytecodeError(Exception):
    """The interpreter found could not compile the layer (the layer then ships source)."""


def version_of(runtime: str) -> str:
    """`3.12` for the Lambda runtime `python3.12`."""
    return runtime.removeprefix("python")


def find_interpreter(runtime: str) -> Path | None:
    """An interpreter of `runtime`'s Python version on this machine, without running any.

    In order: the running one; pyenv's (`$PYENV_ROOT`, else ~/.pyenv), the newest patch
    release; uv's managed CPythons; `pythonX.Y` on PATH (pyenv's shims skipped: they fail
    for versions not selected).
    """
    version = version_of(runtime)
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return Path(sys.executable)
    roots = [
        Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions",
        Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "uv/python",
    ]
    for root in roots:
        candidates = [
            *root.glob(f"{version}.*/bin/python{version}"),
            *root.glob(f"cpython-{version}.*/bin/python{version}"),
        ]
        found = [c for c in candidates if _release(c, version) is not None and _runnable(c)]
        if found:
            return max(found, key=lambda c: _release(c, version) or ())
    on_path = shutil.which(f"python{version}")
    if on_path and "shims" not in Path(on_path).parts:
        return Path(on_path)
    return None


def compile_package(directory: Path, python: Path, version: str) -> str:
    """Write unchecked-hash `.pyc` files for `directory`'s modules; returns the cache tag.

    Raises:
        BytecodeError: the interpreter is not `version`, or could not compile.
    """
    import subprocess  # only when the staged layer is out of date: not on every run

    try:
        done = subprocess.run(
            [str(python), "-I", "-S", "-c", _COMPILE, version, str(directory), DEPLOYED_PREFIX],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BytecodeError(f"{python} did not run: {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise BytecodeError(f"{python}: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout.strip()


def _release(candidate: Path, version: str) -> tuple[int, ...] | None:
    """(3, 12, 1) from `.../3.12.1/bin/python3.12` or `.../cpython-3.12.1-linux.../bin/...`."""
    name = candidate.parent.parent.name.removeprefix("cpython-").split("-")[0]
    if not name.startswith(f"{version}."):
        return None
    parts = name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)

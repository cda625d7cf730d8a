"""`--reload`: poll the app directory and swap in the re-imported app when a file changes.

Polling file stats costs no dependency and works on every file system; half a second is
quick enough for an edit-and-retry loop. Open connections are kept: the next event of any
connection runs the new code. An edit that does not import, or leaves no handlers, is
logged and the old app stays. wsgen.toml's `[environment]` is applied again.

Only the app's own files count, the same ones the loader forgets before re-importing: not
those under a dot-directory (`.venv`), `site-packages`/`dist-packages`, another `sys.path`
entry inside the app directory, or a package vendored with `pip install -t .`.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runtime import App
from runtime.contract import AppSpec

from ..exceptions import WsgenError
from ..loader import load_app, load_spec
from .environment import apply_app_environment

if TYPE_CHECKING:
    from .server import Emulator

POLL_INTERVAL_S = 0.5
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages"}


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Modification time and size of the app's own Python files under `directory`."""
    stats: dict[str, tuple[int, int]] = {}
    nested = [
        Path(entry).resolve()
        for entry in sys.path
        if entry
        and Path(entry).resolve().is_relative_to(directory)
        and Path(entry).resolve() != directory
    ]
    vendored = _vendored(directory)
    for path in directory.rglob("*.py"):
        parts = path.relative_to(directory).parts
        if any(p in _SKIP_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        if any(path.is_relative_to(entry) for entry in nested):
            continue
        if parts[0].removesuffix(".py") in vendored:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        stats[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return stats


def _vendored(directory: Path) -> set[str]:
    """Top-level names installed into `directory` by `pip install -t` (its `*.dist-info`)."""
    names: set[str] = set()
    for info in directory.glob("*.dist-info"):
        names.add(info.name.split("-", 1)[0])
        try:
            names.update((info / "top_level.txt").read_text().split())
        except OSError:
            continue
    return names


def reload_app(app_dir: Path, ref: str, stage: str) -> tuple[App, AppSpec, list[str]]:
    """Re-import the app from scratch, with `load_spec`'s checks; wsgen.toml applied again.

    Returns the app, its spec and the environment notices.

    Raises:
        WsgenError: it does not import, has no handlers, or wsgen.toml is malformed.
    """
    notices = apply_app_environment(app_dir, stage)
    load_app(app_dir, ref, fresh=True)  # forgets the app's modules and imports them again
    app, spec = load_spec(app_dir, ref)  # the same checks as at start (no handlers, ...)
    return app, spec, notices


async def watch(
    emulator: Emulator, before: dict[str, tuple[int, int]], interval: float = POLL_INTERVAL_S
) -> None:
    """Poll until cancelled; on a change from `before`, reload the app into `emulator`."""
    loop = asyncio.get_running_loop()
    directory = emulator.app_dir.resolve()
    while True:
        await asyncio.sleep(interval)
        now = await loop.run_in_executor(None, snapshot, directory)
        if now == before:
            continue
        before = now
        try:
            app, spec, notices = await loop.run_in_executor(
                None, reload_app, directory, emulator.app_ref, emulator.stage
            )
        except WsgenError as exc:
            emulator.log.error(f"reload failed, still serving the previous app: {exc}")
            continue
        for notice in notices:
            emulator.log.info(notice)
        emulator.use_app(app, spec)
        emulator.log.info(f"reloaded {emulator.app_ref} ({len(spec.routes)} routes)")

"""`--reload`: poll the app directory and swap in the re-imported app when a file changes.

Polling file stats costs no dependency and works on every file system; half a second is
quick enough for an edit-and-retry loop. Open connections are kept: the next event of any
connection runs the new code. An edit that does not import is logged and the old app stays.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from runtime import App
from runtime.contract import AppSpec
from runtime.exceptions import WebsocketError

from ..exceptions import AppLoadError, WsgenError
from ..loader import load_app

if TYPE_CHECKING:
    from .server import Emulator

POLL_INTERVAL_S = 0.5
_SKIP_DIRS = {"__pycache__", "node_modules", ".aws-sam", ".wsgen"}


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Modification time and size of every Python file under `directory`."""
    stats: dict[str, tuple[int, int]] = {}
    for path in directory.rglob("*.py"):
        parts = path.relative_to(directory).parts
        if any(p in _SKIP_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        stats[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return stats


def reload_app(app_dir: Path, ref: str) -> tuple[App, AppSpec]:
    """Re-import the app from scratch.

    Raises:
        AppLoadError: it does not import, or its spec is invalid.
    """
    app = load_app(app_dir, ref, fresh=True)
    try:
        spec = app.spec()
    except WebsocketError as exc:
        raise AppLoadError(str(exc)) from exc
    return app, spec


async def watch(emulator: Emulator, interval: float = POLL_INTERVAL_S) -> None:
    """Poll until cancelled; on a change, reload the app into `emulator`."""
    loop = asyncio.get_running_loop()
    directory = emulator.app_dir.resolve()
    before = await loop.run_in_executor(None, snapshot, directory)
    while True:
        await asyncio.sleep(interval)
        now = await loop.run_in_executor(None, snapshot, directory)
        if now == before:
            continue
        before = now
        try:
            app, spec = await loop.run_in_executor(None, reload_app, directory, emulator.app_ref)
        except WsgenError as exc:
            emulator.log.error(f"reload failed, still serving the previous app: {exc}")
            continue
        emulator.use_app(app, spec)
        emulator.log.info(f"reloaded {emulator.app_ref} ({len(spec.routes)} routes)")

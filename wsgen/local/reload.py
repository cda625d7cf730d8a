"""`--reload`: poll the app's files and serve the re-imported app when one changes.

Polling file stats costs no dependency and works on every file system; half a second is
quick enough for an edit-and-retry loop. Open connections are kept: the next event of any
connection runs the new code. An edit that does not import, leaves no handlers, or that the
emulator refuses to serve (wsgen.toml against the new app, a table it cannot make) is
logged and the old app stays. wsgen.toml's `[environment]` is applied again, and an edit of
wsgen.toml reloads too.

Only the app's own files count (`wsgen.loader.AppFiles`, the same ones the loader forgets
before re-importing) and wsgen.toml. The emulator gives `watch` its directory and a
`Reloader`, which hands each new app to the callback it was made with: neither reads the
other's state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from runtime import App
from runtime.spec import AppSpec

from ..exceptions import WsgenError
from ..loader import AppFiles, load_app, load_spec
from .environment import EnvironmentChanges, apply_app_environment
from .log import EventLog

POLL_INTERVAL_S = 0.5
RELOAD = "(reload)"
"""The log column of a reload's lines, timed as event lines are: `14:03:07.512  (reload)  ...`."""

Snapshot = dict[str, tuple[int, int]]
"""Each of the app's own Python files (and its wsgen.toml): modification time (ns), size."""


def snapshot(directory: Path) -> Snapshot:
    """Modification time and size of the app's own Python files under `directory`, and of
    its wsgen.toml (whose `[environment]` a reload applies again)."""
    stats: Snapshot = {}
    for path in (*AppFiles(directory).python_files(), directory / "wsgen.toml"):
        try:
            stat = path.stat()
        except OSError:
            continue  # deleted meanwhile
        stats[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return stats


def reload_app(
    app_dir: Path,
    ref: str,
    stage: str,
    environment: EnvironmentChanges,
    tables: Mapping[str, str] | None = None,
) -> tuple[App, AppSpec, list[str]]:
    """Re-import the app from scratch, with `load_spec`'s checks; wsgen.toml applied again
    through `environment`, the changes its earlier applications made (a `{ Ref = "Table" }`
    of one of `tables` as its local name).

    Returns the app, its spec and the environment notices.

    Raises:
        WsgenError: it does not import, has no handlers, or wsgen.toml is malformed.
    """
    notices = apply_app_environment(app_dir, stage, tables, changes=environment)
    load_app(app_dir, ref, fresh=True)  # forgets the app's modules and imports them again
    app, spec = load_spec(app_dir, ref)  # the same checks as at start (no handlers, ...)
    return app, spec, notices


class Reloader:
    """Re-imports one app and hands it to `serve`; a failure of either is logged, the old
    app stays (`serve` changes nothing when it raises)."""

    def __init__(
        self,
        app_dir: Path,
        app_ref: str,
        stage: str,
        serve: Callable[[App, AppSpec], None],
        log: EventLog,
        tables: Callable[[], Mapping[str, str] | None] | None = None,
        *,
        environment: EnvironmentChanges,
    ) -> None:
        self.app_dir, self.app_ref, self.stage = app_dir, app_ref, stage
        self._environment = environment
        """Where wsgen.toml's `[environment]` is applied (the emulator's: undone at stop)."""
        self._tables = tables
        """The local tables a wsgen.toml `{ Ref = "Table" }` names, asked at each reload."""
        self._serve = serve
        self._log = log

    async def reload(self) -> None:
        """Import the app again on a worker thread, then serve it from the event loop."""
        loop = asyncio.get_running_loop()
        try:
            app, spec, notices = await loop.run_in_executor(
                None,
                reload_app,
                self.app_dir,
                self.app_ref,
                self.stage,
                self._environment,
                self._tables() if self._tables else None,
            )
        except WsgenError as exc:
            self._failed(exc)
            return
        for notice in notices:
            self._log.stamped(RELOAD, notice)
        try:
            self._serve(app, spec)
        except WsgenError as exc:  # wsgen.toml against the new app, a table it needs...
            self._failed(exc)
            return
        self._log.stamped(RELOAD, f"reloaded {self.app_ref} ({len(spec.routes)} routes)")

    def _failed(self, error: WsgenError) -> None:
        self._log.stamped(
            RELOAD, f"reload failed, still serving the previous app: {error}", error=True
        )


async def watch(
    directory: Path,
    before: Snapshot,
    on_change: Callable[[], Awaitable[None]],
    interval: float = POLL_INTERVAL_S,
) -> None:
    """Poll until cancelled; await `on_change` whenever the snapshot differs from the last."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        now = await loop.run_in_executor(None, snapshot, directory)
        if now != before:
            before = now
            await on_change()

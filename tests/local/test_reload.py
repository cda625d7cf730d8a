"""--reload: an edited app is served without a restart; open connections are kept."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path

import pytest
import websockets

from tests.support.local import run
from wsgen.exceptions import AppLoadError
from wsgen.local import Emulator, EventLog, running
from wsgen.local.environment import EnvironmentChanges
from wsgen.local.reload import Reloader, reload_app, snapshot, watch

VERSION = """\
from runtime import App

app = App(app_name="reloadme")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def default(event):
    return "{answer}"
"""


def test_reload_swaps_the_app_and_keeps_connections(tmp_path: Path):
    app_dir = tmp_path / "reloadme"
    app_dir.mkdir()
    source = app_dir / "reloadapp.py"
    source.write_text(VERSION.format(answer="v1"))
    lines: list[str] = []
    log = EventLog(quiet=True)
    log.error = lines.append  # type: ignore[method-assign]
    log.info = lines.append  # type: ignore[method-assign]
    with running(app_dir, "reloadapp:app", log=log, reload=True, reload_interval=0.05) as emulator:

        async def ask(ws, expected: str) -> None:
            # The watcher polls: bounded retries until the new code answers.
            for _ in range(100):
                await ws.send("?")
                if await ws.recv() == expected:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"never answered {expected!r}; log: {lines}")

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ask(ws, "v1")
                source.write_text(VERSION.format(answer="v2") + "\n# edited\n")
                await ask(ws, "v2")  # the same connection runs the new code
                source.write_text("this is not python(\n")
                for _ in range(100):
                    if any("reload failed" in line for line in lines):
                        break
                    await asyncio.sleep(0.05)
                await ws.send("?")
                assert await ws.recv() == "v2"  # the broken edit kept the old app

        run(body, timeout=30)
    # Timed as event lines are, in their columns (`wsgen.local.log`).
    stamp = r"\d\d:\d\d:\d\d\.\d{3}  \(reload\)     "
    assert any(re.fullmatch(stamp + r"reloaded reloadapp:app \(1 routes\)", line) for line in lines)
    assert any(
        re.fullmatch(stamp + "reload failed, still serving the previous app: .*SyntaxError.*", line)
        for line in lines
    )


def _reloading(app_dir: Path, lines: list[str], **options: object):
    log = EventLog(quiet=True)
    log.error = lines.append  # type: ignore[method-assign]
    log.info = lines.append  # type: ignore[method-assign]
    return running(app_dir, "reloadapp:app", log=log, reload=True, reload_interval=0.05, **options)


async def _answers(ws, expected: str, lines: list[str]) -> None:
    for _ in range(100):  # the watcher polls: bounded retries until the app answers so
        await ws.send("?")
        if await ws.recv() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never answered {expected!r}; log: {lines}")


async def _logged(lines: list[str], text: str) -> str:
    for _ in range(100):
        found = [line for line in lines if text in line]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"never logged {text!r}; log: {lines}")


def test_a_reload_wsgen_toml_refuses_keeps_the_app_and_the_watch(tmp_path: Path):
    app_dir = tmp_path / "reloadme"
    app_dir.mkdir()
    source, toml = app_dir / "reloadapp.py", app_dir / "wsgen.toml"
    source.write_text(VERSION.format(answer="v1"))
    lines: list[str] = []
    with _reloading(app_dir, lines) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await _answers(ws, "v1", lines)
                toml.write_text('[routes."jion"]\nthrottling_rate_limit = 1\n')
                source.write_text(VERSION.format(answer="v2") + "\n# edited\n")
                failed = await _logged(lines, "reload failed")
                assert "'jion'" in failed and failed.count("\n") == 0
                await ws.send("?")
                assert await ws.recv() == "v1"  # the refused app is not served
                toml.write_text("")  # fixed: the watch goes on and serves it
                await _answers(ws, "v2", lines)

        run(body, timeout=30)


def test_a_reload_whose_table_cannot_be_made_keeps_the_app_and_the_watch(tmp_path: Path):
    app_dir = tmp_path / "reloadme"
    app_dir.mkdir()
    source = app_dir / "reloadapp.py"
    source.write_text(VERSION.format(answer="v1"))
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: nothing listens there
    lines: list[str] = []
    with _reloading(app_dir, lines, dynamodb=f"http://127.0.0.1:{port}") as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await _answers(ws, "v1", lines)
                tracked = VERSION.format(answer="v2").replace(
                    'app_name="reloadme"', 'app_name="reloadme", connections=True'
                )
                source.write_text(tracked)  # its connections table: on the closed port
                failed = await _logged(lines, "reload failed")
                assert f"DynamoDB endpoint http://127.0.0.1:{port}" in failed
                await ws.send("?")
                assert await ws.recv() == "v1"
                source.write_text(VERSION.format(answer="v3"))
                await _answers(ws, "v3", lines)

        run(body, timeout=60)
    assert emulator.connection_store is None


INSTALLED_APP = """\
import os

import nesteddep
import vendoreddep
import venvdep
from runtime import App

app = App(app_name="installed")
app.experimental_feature_flags.update(["WEBSOCKETS"])
ANSWER = "{answer}"


@app.on_ws_message(reply=True)
def default(event):
    return ANSWER + os.environ.get("GREETING", "")
"""


def test_reload_keeps_packages_installed_in_the_app_dir_and_reapplies_wsgen_toml(
    tmp_path: Path, monkeypatch
):
    """A project-local .venv, site-packages, a nested sys.path entry, `pip install -t .`."""
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    nested = tmp_path / "lib"
    for folder in (site, nested, tmp_path / "vendoreddep"):
        folder.mkdir(parents=True)
    (site / "venvdep.py").write_text("MARK = object()\n")
    (nested / "nesteddep.py").write_text("MARK = object()\n")
    (tmp_path / "vendoreddep" / "__init__.py").write_text("MARK = object()\n")
    info = tmp_path / "vendoreddep-1.0.dist-info"
    info.mkdir()
    (info / "top_level.txt").write_text("vendoreddep\n")
    (tmp_path / "wsgen.toml").write_text('[environment]\nGREETING = " hello"\n')
    (tmp_path / "installedapp.py").write_text(INSTALLED_APP.format(answer="v1"))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(nested))
    monkeypatch.delenv("GREETING", raising=False)
    names = ("venvdep", "nesteddep", "vendoreddep", "installedapp")
    environment = EnvironmentChanges()  # the emulator's: one across its reloads
    try:
        app, _, _ = reload_app(tmp_path, "installedapp:app", "local", environment)
        before = {name: sys.modules[name] for name in names}
        assert app.routes() and os.environ["GREETING"] == " hello"
        (tmp_path / "installedapp.py").write_text(INSTALLED_APP.format(answer="v2"))
        (tmp_path / "wsgen.toml").write_text('[environment]\nGREETING = " again"\n')
        app, _, _ = reload_app(tmp_path, "installedapp:app", "local", environment)
        assert sys.modules["installedapp"] is not before["installedapp"]  # the app: re-imported
        assert sys.modules["installedapp"].ANSWER == "v2"
        for name in ("venvdep", "nesteddep", "vendoreddep"):  # installed: kept
            assert sys.modules[name] is before[name], name
        assert os.environ["GREETING"] == " again"
        changed = snapshot(tmp_path.resolve())
        assert [Path(p).name for p in changed] == ["installedapp.py", "wsgen.toml"]
    finally:
        for name in names:
            sys.modules.pop(name, None)


def test_reload_refuses_an_app_left_without_handlers(tmp_path: Path):
    (tmp_path / "emptyapp.py").write_text(
        "from runtime import App\napp = App(app_name='empty')\n"
        "app.experimental_feature_flags.update(['WEBSOCKETS'])\n"
    )
    try:
        with pytest.raises(AppLoadError, match="no WebSocket handlers"):
            reload_app(tmp_path, "emptyapp:app", "local", EnvironmentChanges())
    finally:
        sys.modules.pop("emptyapp", None)


def test_an_edit_right_after_start_is_reloaded(tmp_path: Path):
    """The baseline is taken in start(): an edit before the watcher first runs still counts."""
    source = tmp_path / "reloadfirst.py"
    source.write_text(VERSION.format(answer="v1"))

    async def body():
        emulator = Emulator(
            tmp_path, "reloadfirst:app", port=0, reload=True, reload_interval=0.05,
            log=EventLog(quiet=True),
        )  # fmt: skip
        await emulator.start()
        source.write_text(VERSION.format(answer="v2") + "# edited before the watcher ran\n")
        try:
            async with websockets.connect(emulator.url) as ws:
                for _ in range(100):
                    await ws.send("?")
                    if await ws.recv() == "v2":
                        return True
                    await asyncio.sleep(0.05)
                return False
        finally:
            await emulator.stop()

    try:
        assert run(body, timeout=30)
    finally:
        sys.modules.pop("reloadfirst", None)


def test_watch_awaits_its_callback_once_per_change_and_reloader_serves_or_keeps(tmp_path: Path):
    """The seam: watch knows a directory and a callback, Reloader an app and `serve`."""
    source = tmp_path / "seamapp.py"
    source.write_text(VERSION.format(answer="v1"))
    served: list[str] = []
    lines: list[str] = []
    log = EventLog(quiet=True)
    log.error = lines.append  # type: ignore[method-assign]
    reloader = Reloader(
        tmp_path,
        "seamapp:app",
        "local",
        lambda app, spec: served.append(app.app_name),
        log,
        environment=EnvironmentChanges(),
    )

    async def body():
        changes = asyncio.Queue()

        async def on_change():
            await reloader.reload()
            changes.put_nowait(len(served))

        watcher = asyncio.create_task(watch(tmp_path, snapshot(tmp_path), on_change, 0.01))
        try:
            source.write_text(VERSION.format(answer="v2") + "# longer\n")
            first = await asyncio.wait_for(changes.get(), 10)
            source.write_text("not python(\n")
            second = await asyncio.wait_for(changes.get(), 10)
        finally:
            watcher.cancel()
        return first, second

    try:
        assert run(body) == (1, 1)  # the broken edit was not served
    finally:
        sys.modules.pop("seamapp", None)
    assert served == ["reloadme"]
    assert len(lines) == 1 and "reload failed" in lines[0] and "SyntaxError" in lines[0]


def test_an_edit_of_wsgen_toml_is_a_change(tmp_path: Path):
    (tmp_path / "app.py").write_text(VERSION.format(answer="v1"))
    before = snapshot(tmp_path)
    (tmp_path / "wsgen.toml").write_text('[environment]\nGREETING = "hello"\n')
    created = snapshot(tmp_path)
    (tmp_path / "wsgen.toml").write_text('[environment]\nGREETING = "hello, again"\n')
    assert before != created != snapshot(tmp_path)
    assert set(created) - set(before) == {str(tmp_path / "wsgen.toml")}

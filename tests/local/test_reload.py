"""--reload: an edited app is served without a restart; open connections are kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import websockets

from wsgen.local import EventLog, running

from .conftest import run

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
    assert any(line.startswith("reloaded") for line in lines)
    assert any("reload failed" in line and "SyntaxError" in line for line in lines)

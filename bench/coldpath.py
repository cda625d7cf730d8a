"""The first message after a cold start, and CPU per `send()`: the runtime's client vs boto3.

A fresh interpreter laid out as Lambda runs the deployed echo function (the app and the
staged runtime layer, no bytecode: `-I -S -B`, boto3 on the path as the Lambda runtime has
it) imports the app and handles one MESSAGE whose handler calls `send()` to a client of
`wsgen local` (its own process). The two sides differ only in where the credentials are:
Lambda's environment variables (the runtime signs itself) or a profile file (the runtime
falls back to boto3, as it does today for an app that assigns a session). The client must
receive every message. Peak RSS is the child's VmHWM (`ru_maxrss` would count the parent's
pages at the fork).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from .clients import close_all, open_many
from .deployed import wsgen_function
from .harness import APPS, EVENTS, Row, alternate, ms
from .servers import server

SENDS = 2000

CHILD = """
import json, sys, time
t0 = time.perf_counter()
sys.path[:0] = {paths!r}
import app
t1 = time.perf_counter()
event = json.load(open({event!r}))
event["requestContext"]["connectionId"] = {cid!r}
app.app(event, None)
t2 = time.perf_counter()
sends = {sends}
if sends:
    api = app.app.websocket_api
    cpu = time.process_time()
    for _ in range(sends):
        api.send({cid!r}, "x")
    cpu = (time.process_time() - cpu) / sends
else:
    cpu = 0.0
print(json.dumps({{
    "first": t2 - t0, "import": t1 - t0, "cpu": cpu,
    "rss_kib": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]),
    "boto3": "boto3" in sys.modules,
}}))
"""


def _env(side: str, endpoint: str, tmp: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "WSGEN_WEBSOCKET_ENDPOINT": endpoint,
    }
    if side == "runtime":  # what Lambda sets
        env.update(AWS_ACCESS_KEY_ID="ASIAB", AWS_SECRET_ACCESS_KEY="s", AWS_SESSION_TOKEN="t")
    else:  # only a profile: the runtime uses boto3
        profile = tmp / "credentials"
        profile.write_text("[default]\naws_access_key_id = AKIAB\naws_secret_access_key = s\n")
        env.update(AWS_SHARED_CREDENTIALS_FILE=str(profile), AWS_CONFIG_FILE=str(tmp / "none"))
    return env


def run(rounds: int, smoke: bool = False) -> list[Row]:
    sends = 20 if smoke else SENDS
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        server("emulator", str(APPS / "wsgen_load")) as (
            url,
            _,
        ),
    ):
        tmp = Path(tmp_name)
        paths = [*map(str, wsgen_function(tmp / "deployed")), sysconfig.get_paths()["purelib"]]
        loop = asyncio.new_event_loop()
        try:
            (ws,) = loop.run_until_complete(open_many(url, 1))
            loop.run_until_complete(ws.send('{"action": "whoami"}'))
            cid = loop.run_until_complete(ws.recv())
            endpoint = url.replace("ws://", "http://").rstrip("/")
            expected = 0

            def child(side: str, count: int) -> dict[str, float]:
                nonlocal expected
                code = CHILD.format(
                    paths=paths, event=str(EVENTS / "message_default.json"), cid=cid, sends=count
                )
                out = subprocess.run(
                    [sys.executable, "-I", "-S", "-B", "-c", code],
                    env=_env(side, endpoint, tmp),
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=120,
                ).stdout
                expected += 1 + count
                return json.loads(out.splitlines()[-1])  # type: ignore[no-any-return]

            runs: dict[str, list[dict[str, float]]] = {"runtime": [], "boto3": []}

            def first(side: str) -> float:
                report = child(side, 0)
                runs[side].append(report)
                return report["first"]

            cold = alternate({side: lambda s=side: first(s) for side in runs}, rounds)
            cpu = alternate(
                {side: lambda s=side: child(s, sends)["cpu"] for side in runs}, min(rounds, 3)
            )

            async def drain() -> int:
                got = 0
                while got < expected:
                    await asyncio.wait_for(ws.recv(), 10)
                    got += 1
                return got

            delivered = loop.run_until_complete(drain()) == expected
            loop.run_until_complete(close_all([ws]))
        finally:
            loop.close()
    rss = {side: max(r["rss_kib"] for r in reports) for side, reports in runs.items()}
    imports = {
        side: sorted(r["import"] for r in reports)[len(reports) // 2]
        for side, reports in runs.items()
    }
    boto3_used = {side: any(r["boto3"] for r in reports) for side, reports in runs.items()}
    ratio = cold["runtime"] / cold["boto3"]
    rss_ratio = rss["runtime"] / rss["boto3"]
    cpu_ratio = cpu["runtime"] / cpu["boto3"]
    return [
        Row(
            "cold path: fresh interpreter, deployed echo app without bytecode, one MESSAGE whose "
            "handler calls `send()` to a `wsgen local` client",
            f"runtime's client {ms(cold['runtime'])}, boto3 {ms(cold['boto3'])} (ratio "
            f"{ratio:.3f}; app import {ms(imports['runtime'])} / {ms(imports['boto3'])}); peak "
            f"RSS {rss['runtime'] / 1024:.1f} MiB vs {rss['boto3'] / 1024:.1f} MiB (ratio "
            f"{rss_ratio:.2f}); boto3 imported: {'yes' if boto3_used['runtime'] else 'no'} / "
            f"{'yes' if boto3_used['boto3'] else 'no'}; every message received: "
            f"{'yes' if delivered else '**no**'}",
            "≤ 1/10 of the boto3 path (1/20 stretch), peak RSS ≤ 1/2",
            ratio <= 0.1 and rss_ratio <= 0.5 and delivered and not boto3_used["runtime"],
        ),
        Row(
            f"CPU per `send()` (process time, {sends:,} posts to `wsgen local`)",
            f"runtime's client {cpu['runtime'] * 1e3:.3f} ms, boto3 {cpu['boto3'] * 1e3:.3f} ms "
            f"(ratio {cpu_ratio:.2f})",
            "≤ 1/3 of boto3's",
            cpu_ratio <= 1 / 3 and delivered,
        ),
    ]

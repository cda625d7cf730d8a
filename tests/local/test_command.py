"""`wsgen local` as a user runs it: output, errors, Ctrl-C."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest
import websockets

from tests.support.local import reaped, start
from tests.support.paths import APPS, ROOT
from tests.support.rawclient import client_frame
from wsgen.cli import main
from wsgen.exceptions import ConfigError
from wsgen.local import EventLog, running


def test_port_in_use_is_one_error_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["local", "--app-dir", str(APPS), "--app", "recorder:app", "--port", str(port)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert f"127.0.0.1:{port}" in err
    assert err.endswith("; pick another --port\n")


def test_a_missing_app_is_reported_before_a_busy_port(capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        assert main(["local", "--app-dir", str(tmp_path), "--port", port]) == 1
        assert capsys.readouterr().err.startswith(f"error: no app.py in {tmp_path}; ")
        assert main(["local", "--app-dir", str(tmp_path / "nope"), "--port", port]) == 1
        assert capsys.readouterr().err == (
            f"error: app directory {tmp_path / 'nope'} does not exist; pass --app-dir DIR\n"
        )
        (tmp_path / "app.py").write_text("")  # the app's file given as its directory
        assert main(["local", "--app-dir", str(tmp_path / "app.py"), "--port", port]) == 1
        assert capsys.readouterr().err == (
            f"error: app directory {tmp_path / 'app.py'} is a file; pass the directory that "
            f"holds it, --app-dir {tmp_path}\n"
        )


def test_an_app_that_fails_to_load_is_reported_before_a_busy_port(capsys, tmp_path):
    """The app is loaded before the port is listened on: a wrong --app attribute, an import
    that fails and a wsgen.toml naming a route the app lacks are the errors, not the port."""
    (tmp_path / "typoapp.py").write_text(TYPO_APP)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        argv = ["local", "--app-dir", str(APPS), "--port", str(busy.getsockname()[1])]
        assert main([*argv, "--app", "recorder:missing"]) == 1
        assert capsys.readouterr().err.startswith(
            "error: recorder.py has no attribute 'missing', but it has an App named 'app'"
        )
        assert main([*argv, "--app", "broken:app"]) == 1
        assert capsys.readouterr().err.startswith("error: broken.py:3: the app does not import")
        (tmp_path / "wsgen.toml").write_text('[routes."jion"]\nthrottling_rate_limit = 1\n')
        argv[2] = str(tmp_path)
        assert main([*argv, "--app", "typoapp:app"]) == 1
        assert "'jion'" in capsys.readouterr().err
        (tmp_path / "wsgen.toml").unlink()  # the app is fine: now the port is the error
        assert main([*argv, "--app", "typoapp:app"]) == 1
        assert capsys.readouterr().err.endswith("; pick another --port\n")
    sys.modules.pop("typoapp", None)


def test_a_busy_sqs_port_is_one_error_line_naming_the_flag(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = ["local", "--app-dir", str(APPS / "queues"), "--port", "0"]
        assert main([*argv, "--sqs-port", str(port), "--app", "app:missing"]) == 1
        assert capsys.readouterr().err.startswith("error: app.py has no attribute 'missing'")
        assert main([*argv, "--sqs-port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert err.endswith("; pick another --sqs-port\n")
    assert "AWS_ENDPOINT_URL_SQS" not in os.environ


def test_the_sqs_port_may_not_be_the_port(capsys):
    assert main(["local", "--app-dir", str(APPS), "--port", "8123", "--sqs-port", "8123"]) == 1
    assert capsys.readouterr().err == (
        "error: --sqs-port: 8123 is --port's too; pick another, or 0 for a free one\n"
    )


def test_a_port_another_wsgen_local_serves_on_says_so(capsys):
    with start("recorder") as other:
        argv = ["local", "--app-dir", str(APPS), "--app", "recorder:app"]
        assert main([*argv, "--port", str(other.port)]) == 1
    assert capsys.readouterr().err == (
        f"error: cannot listen on 127.0.0.1:{other.port}: another wsgen local serves there; "
        "stop it (Ctrl-C in its terminal), or pick another --port\n"
    )


@pytest.mark.parametrize(
    ("command", "flag"), [("local", "--port"), ("invoke", "--port"), ("local", "--sqs-port")]
)
@pytest.mark.parametrize("port", ["99999", "-1", "eighty"])
def test_a_port_out_of_range_is_an_argument_error(capsys, command, flag, port):
    argv = [command, *(["jobs"] if command == "invoke" else []), flag, port]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"wsgen {command}: error: argument {flag}: ")
    assert "0-65535" in last


def test_an_address_of_no_interface_asks_for_another_host(capsys):
    # 10.255.255.1 is no address of this machine: bind fails with EADDRNOTAVAIL.
    argv = ["local", "--app-dir", str(APPS), "--app", "recorder:app", "--host", "10.255.255.1"]
    assert main([*argv, "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot listen on 10.255.255.1:0: ")
    assert err.endswith("; pick another --host\n") and err.count("\n") == 1


def test_a_host_name_that_does_not_resolve_asks_for_another_host(capsys):
    # Names under the .invalid top-level domain never resolve (RFC 6761).
    argv = ["local", "--app-dir", str(APPS), "--app", "recorder:app"]
    assert main([*argv, "--host", "nosuchhost.invalid", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot listen on nosuchhost.invalid:0: ")
    assert err.endswith(
        "; pick another --host (a name this machine resolves, or an address such as 127.0.0.1)\n"
    )
    assert err.count("\n") == 1


def test_app_that_fails_to_load_is_one_error_line(capsys):
    code = main(["local", "--app-dir", str(APPS), "--app", "broken:app", "--port", "0"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.startswith("error: broken.py:3: the app does not import: RuntimeError")
    assert err.count("\n") == 1


TYPO_APP = """\
from runtime import App

app = App(app_name="typo")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message("join")
def join(event):
    return None
"""


def test_a_wsgen_toml_naming_a_route_the_app_lacks_is_the_error_wsgen_template_gives(
    capsys, tmp_path
):
    (tmp_path / "app.py").write_text(TYPO_APP)
    (tmp_path / "wsgen.toml").write_text('[routes."jion"]\nthrottling_rate_limit = 1\n')
    assert main(["template", "--app-dir", str(tmp_path)]) == 1
    refused = capsys.readouterr().err
    assert "'jion'" in refused
    with pytest.raises(ConfigError) as error, running(tmp_path, log=EventLog(quiet=True)):
        pytest.fail("wsgen local served it")
    assert refused == f"error: {error.value}\n"


def test_bad_flag_values_are_errors(capsys):
    assert main(["local", "--idle-timeout", "0"]) == 1
    assert "--idle-timeout" in capsys.readouterr().err


def _serve_recorder(app: str = "recorder", *flags: str) -> tuple[subprocess.Popen[str], list[str]]:
    """`wsgen local` on a test app (the recorder) in a subprocess, and its four banner lines."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgen.cli", "local", "--app-dir", str(APPS),
         "--app", f"{app}:app", "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    return process, [process.stdout.readline() for _ in range(4)]


def test_ctrl_c_closes_connections_with_1001_runs_disconnect_and_exits_0():
    process, lines = _serve_recorder()
    with reaped(process):
        url = lines[1].split()[2]
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/local")
        assert "Management API:  http://127.0.0.1:" in lines[2]

        async def body():
            async with websockets.connect(url) as ws:
                await ws.send("hello")
                assert await ws.recv() == "hello"
                process.send_signal(signal.SIGINT)
                await asyncio.wait_for(ws.wait_closed(), 10)
                return ws.close_code

        assert asyncio.run(body()) == 1001
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "disconnected" in output  # the handler's print shows in the log
    assert "$disconnect" in output and "1001" in output
    assert "$connect" in output and "$default" in output


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_with_a_stuck_handler_exits_promptly(presses):
    """One Ctrl-C: $disconnect after the grace, exit 0. A second: exit 130 at once."""
    process, lines = _serve_recorder()
    url = lines[1].split()[2]
    with reaped(process):

        async def body():
            async with websockets.connect(url) as ws:
                await ws.send('{"action": "stuck"}')  # waits 60 s
                await asyncio.sleep(0.3)
                for _ in range(presses):
                    process.send_signal(signal.SIGINT)
                    await asyncio.sleep(0.2)
                await asyncio.wait_for(ws.wait_closed(), 10)

        asyncio.run(body())
        # The handler is stuck for 60 s: exiting at all within these bounds means nobody
        # waited for it (what the output says is the behaviour; no timing is asserted).
        output, _ = process.communicate(timeout=15)
    if presses == 1:
        assert process.returncode == 0, output
        assert "$disconnect" in output and "still running" in output
    else:
        assert process.returncode == 130, output
        assert "exiting without waiting" in output


def test_one_ctrl_c_stops_an_import_that_never_finishes(tmp_path):
    (tmp_path / "app.py").write_text("import time\n\ntime.sleep(120)\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgen.cli", "local", "--app-dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    with reaped(process):
        assert process.stdout is not None
        notice = process.stdout.readline()  # after 3 s: what the import waits on
        assert "still importing app.py" in notice and "time.sleep(120)" in notice
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)  # one Ctrl-C is enough
    assert process.returncode == 130, output
    assert "Traceback" not in output


ROOMS = ROOT / "tests" / "support" / "apps"


def test_dynamodb_flag_that_is_no_url_is_one_error_line(capsys):
    assert main(["local", "--dynamodb", "localhost:8001"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("error: --dynamodb: 'localhost:8001' is not an endpoint URL")


def test_unreachable_dynamodb_endpoint_is_one_error_line(capsys):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: nothing listens there
    saved = dict(os.environ)
    try:
        code = main(["local", "--app-dir", str(ROOMS), "--app", "roomsapp:app", "--port", "0",
                     "--dynamodb", f"http://127.0.0.1:{port}"])  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith(f"error: DynamoDB endpoint http://127.0.0.1:{port}: ")
    assert "; check that a DynamoDB-compatible server listens there" in err
    assert err.count("\n") == 1


def _reset_after_half_close(port: int) -> None:
    """A client leaving as a closed browser tab may: it upgrades, gets the echo of a message
    (the server has written to it), starts a frame, then sends FIN and at once RST
    (SO_LINGER 0). The server reads the end of the stream; its socket is reset meanwhile, so
    its own half-close (shutdown) fails with ENOTCONN."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET /local HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 101"), received
        sock.sendall(client_frame(0x1, b"echo me"))
        while b"echo me" not in received:  # the echo came back: the server wrote
            received += sock.recv(4096)
        sock.sendall(client_frame(0x1, b"never finished")[:5])  # mid-frame
        sock.shutdown(socket.SHUT_WR)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_clients_resetting_mid_frame_leave_no_traceback():
    """Closed browser tabs: each gets its $disconnect (1006) and nothing else is printed."""
    process, lines = _serve_recorder("echoer")
    port = int(lines[1].split()[2].rsplit(":", 1)[1].split("/")[0])
    with reaped(process):
        for _ in range(30):
            _reset_after_half_close(port)
        time.sleep(0.5)  # the emulator ends the sessions (no timing is asserted)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "never retrieved" not in output, output
    assert "Transport endpoint is not connected" not in output
    assert output.count("$disconnect") == 30
    assert output.count("1006") == 30


def _cpus_of(pid: int) -> set[int]:
    """The CPUs each of a process's threads may run on, together."""
    return {
        cpu for task in os.listdir(f"/proc/{pid}/task") for cpu in os.sched_getaffinity(int(task))
    }


@pytest.mark.parametrize("flags", [(), ("--all-cpus",)])
def test_wsgen_local_runs_on_one_cpu_unless_told_all(flags):
    """Its threads share one interpreter lock: one CPU spares them cross-core hand-overs."""
    allowed = os.sched_getaffinity(0)
    process, lines = _serve_recorder("recorder", *flags)
    with reaped(process):
        url = lines[1].split()[2]

        async def body():  # a message: the handler threads exist too
            async with websockets.connect(url) as ws:
                await ws.send("hello")
                assert await ws.recv() == "hello"
                cpus = _cpus_of(process.pid)
            return cpus

        cpus = asyncio.run(body())
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    if flags or len(allowed) == 1:
        assert cpus == allowed
    else:
        assert len(cpus) == 1 and cpus <= allowed

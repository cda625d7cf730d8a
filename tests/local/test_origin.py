"""Origin and Host checks: no web page of another site, no DNS-rebinding name, reaches the
emulator unless allowed (a local-only rule: API Gateway checks neither)."""

from __future__ import annotations

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.support.local import run, start
from tests.support.rawclient import SIGNED, exchange
from wsgen.cli import main
from wsgen.local.origin import Access, exposure_warning, is_loopback_host, origin_problem

SIGNED_HEADERS = {"Authorization": SIGNED.decode().split(": ", 1)[1].strip()}


def raw(emulator, method: str, path: str, body: bytes, headers: dict[str, str]):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _handshake(url: str, **headers: str):
    async def body():
        try:
            async with websockets.connect(url, additional_headers=headers) as ws:
                await ws.send("hi")
                return 101, await ws.recv()
        except InvalidStatus as rejected:
            return rejected.response.status_code, bytes(rejected.response.body).decode()

    return run(body)


def test_a_page_of_another_site_cannot_open_a_websocket_by_default(emulator):
    status, text = _handshake(emulator.url, Origin="https://evil.example")
    assert status == 403
    assert "--allow-origin https://evil.example" in text
    for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080"):
        assert _handshake(emulator.url, Origin=origin)[0] == 101  # pages on this machine
    assert _handshake(emulator.url)[0] == 101  # no Origin: not a browser


def test_allow_origin_accepts_the_origins_named():
    with start(allow_origins=["https://app.example.com"]) as emulator:
        assert _handshake(emulator.url, Origin="https://app.example.com")[0] == 101
        assert _handshake(emulator.url, Origin="https://other.example.com")[0] == 403
    with start(allow_origins=["*"]) as emulator:
        assert _handshake(emulator.url, Origin="https://other.example.com")[0] == 101


def test_a_browser_post_to_connections_from_another_site_is_refused(emulator):
    headers = {**SIGNED_HEADERS, "Origin": "https://evil.example"}
    status, _, body = raw(emulator, "POST", "/local/@connections/AAAAAAAAAAAAAAA=", b"x", headers)
    assert status == 403 and b"--allow-origin" in body


def test_a_dns_rebinding_host_name_is_refused(emulator):
    request = b"GET /local/@connections/AAAAAAAAAAAAAAA%3D HTTP/1.1\r\nHost: %s\r\n"
    request += b"Connection: close\r\n" + SIGNED
    for host, status in [
        (b"attacker.example:8000", b"403"),
        (b"localhost:%d" % emulator.port, b"410"),
        (b"127.0.0.1", b"410"),
        (b"[::1]:8000", b"410"),
        (b"app.localhost", b"410"),
    ]:
        data, _ = exchange(emulator, request.replace(b"%s", host) + b"\r\n")
        assert data.split(b" ")[1] == status, (host, data[:120])
    data, _ = exchange(emulator, request.replace(b"%s", b"attacker.example") + b"\r\n")
    assert b"--allow-host attacker.example" in data


def test_allow_host_answers_the_names_given():
    with start(allow_hosts=["mybox.lan"]) as emulator:
        request = b"GET /local/@connections/AAAAAAAAAAAAAAA%3D HTTP/1.1\r\nHost: mybox.lan:80\r\n"
        request += b"Connection: close\r\n"
        data, _ = exchange(emulator, request + SIGNED + b"\r\n")
        assert data.startswith(b"HTTP/1.1 410 ")


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        ((), "null", False),
        (("null",), "null", True),
        ((), "http://localhost", True),
        ((), "https://sub.localhost:9", True),
        ((), "http://127.1.2.3:80", True),
        ((), "http://192.168.1.5:3000", False),  # another machine's page
        ((), "not a url", False),
        (("https://App.Example.com/",), "https://app.example.com", True),
    ],
)
def test_origin_rules(origins, origin, allowed):
    assert (Access("127.0.0.1", origins).refusal(None, origin) is None) is allowed


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com",
        "http://localhost:3000",
        "http://[::1]:5173/",
        "*",
        "null",
        "chrome-extension://abcdef",
    ],
)
def test_an_origin_flag_of_an_origins_form_is_accepted(origin):
    assert origin_problem(origin) is None


@pytest.mark.parametrize(
    "origin",
    [
        "not an origin",
        "localhost:3000",
        "app.example.com",
        "https://app.example.com/page",
        "https://user@app.example.com",
        "http://localhost:99999",
        "https://",
        "http://x:0",
    ],
)
def test_an_origin_flag_no_browser_could_send_is_one_error_line(origin, capsys):
    assert main(["local", "--allow-origin", origin]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err == (
        f"error: --allow-origin: '{origin}' is not an origin: give scheme://host[:port], e.g. "
        "https://app.example.com or http://localhost:3000 (* for any, null for file:// pages)\n"
    )


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("myhost", False),
    ],
)
def test_a_host_reachable_from_the_network_is_warned_of(host, loopback):
    assert is_loopback_host(host) is loopback
    warning = exposure_warning(host)
    assert (warning is None) is loopback
    if warning is not None:
        assert warning == (
            f"wsgen local: warning: --host {host} is reachable from the network, and the "
            "handlers run with your AWS credentials; --host 127.0.0.1 keeps them to this machine"
        )

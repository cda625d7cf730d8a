"""Bare clients on raw sockets, for what well-behaved clients never send: a WebSocket
client (`RawClient`) and an HTTP exchange with the management port (`exchange`)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

from wsgen.local import Emulator

SIGNED = (
    b"Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/execute-api/"
    b"aws4_request, SignedHeaders=host, Signature=00\r\n"
)
"""A SigV4 Authorization header line, for a request to the management port."""


def exchange(emulator: Emulator, request: bytes, wait_s: float = 5.0) -> tuple[bytes, bool]:
    """Send `request`'s bytes as they are; what the emulator answers until it closes the
    connection (True) or `wait_s` passes (False)."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=wait_s) as sock:
        sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            pass
        return data, True


def client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A masked client frame (RFC 6455 5.2), whatever its size."""
    mask = os.urandom(4)
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.status = 0
        self.head = b""

    @classmethod
    async def connect(cls, emulator: Emulator, path: str | None = None) -> RawClient:
        """Open a connection and perform the handshake (check `status`)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", emulator.port)
        client = cls(reader, writer)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path or '/' + emulator.stage} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{emulator.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        writer.write(request.encode())
        client.head = await reader.readuntil(b"\r\n\r\n")
        client.status = int(client.head.split(b" ", 2)[1])
        return client

    async def send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        self.writer.write(client_frame(opcode, payload, fin))
        await self.writer.drain()

    async def read_frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def wait_eof(self) -> None:
        while await self.reader.read(65536):
            pass
        self.writer.close()

    def drop(self) -> None:
        """Reset the TCP connection without a close frame."""
        self.writer.transport.abort()

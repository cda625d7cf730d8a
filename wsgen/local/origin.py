"""Which pages and names may reach the emulator: Origin and Host checks.

API Gateway checks neither (a `$connect` handler may read `Origin` itself), but the emulator
runs on a developer's machine, its handlers with the developer's AWS credentials: any web
page could otherwise open a WebSocket to it, or have a browser POST to `@connections`, and a
DNS-rebinding page reaches it under a name of its own. So, a local-only rule:

- `Host` must name this machine: an IP address, `localhost` (or a `*.localhost` name), the
  address the emulator listens on, or a name given with `--allow-host`. A rebinding page's
  requests carry its own domain name, and are refused.
- `Origin`, when a browser sends one, must be a page on this machine (`http://localhost:3000`,
  `http://127.0.0.1:5173`, any scheme and port), or one given with `--allow-origin` (`*`
  allows every origin, `null` the pages of `file://` URLs). Clients other than browsers send
  no Origin and are not affected.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

_HOSTS_REMEMBERED = 64


class Access:
    """The Host and Origin values the emulator accepts."""

    def __init__(
        self, listen_host: str, origins: Iterable[str] = (), hosts: Iterable[str] = ()
    ) -> None:
        self.origins = {origin.rstrip("/").lower() for origin in origins}
        self.hosts = {_bare(host) for host in hosts} | {_bare(listen_host)}
        self._hosts_seen: dict[str, bool] = {}
        """Host header value -> allowed, for the values seen lately."""

    def refusal(self, host: str | None, origin: str | None) -> str | None:
        """Why a request with these headers is refused (a one-line 403 text), or None."""
        if host is not None and not self._host_allowed(host):
            return (
                f"Host {host!r} is not this machine: wsgen local answers only to IP "
                "addresses, localhost and its own address (DNS rebinding); if this name is "
                f"yours, add --allow-host {_bare(host)}"
            )
        if origin is not None and not self._origin_allowed(origin):
            return (
                f"Origin {origin!r} is not a page on this machine: wsgen local accepts pages "
                f"from localhost only; to accept this one too, add --allow-origin {origin}"
            )
        return None

    def _host_allowed(self, host: str) -> bool:
        allowed = self._hosts_seen.get(host)  # every request asks; a client sends one Host
        if allowed is None:
            name = _bare(host)
            allowed = _is_local_name(name) or _is_ip(name) or name in self.hosts
            if len(self._hosts_seen) >= _HOSTS_REMEMBERED:
                self._hosts_seen.clear()
            self._hosts_seen[host] = allowed
        return allowed

    def _origin_allowed(self, origin: str) -> bool:
        folded = origin.strip().rstrip("/").lower()
        if "*" in self.origins or folded in self.origins:
            return True
        if folded == "null":
            return False
        try:
            name = urlsplit(folded).hostname
        except ValueError:
            return False
        return name is not None and (_is_local_name(name) or _is_loopback(name))


def origin_problem(origin: str) -> str | None:
    """Why `--allow-origin ORIGIN` can match no browser's `Origin`, or None: an origin is
    `scheme://host[:port]` (no path, query or credentials), `*` or `null`."""
    if origin in ("*", "null"):
        return None
    try:
        parts = urlsplit(origin.rstrip("/"))
        port = parts.port  # raises for a port that is not a number in range
    except ValueError:
        parts, port = None, 0
    if (
        parts is not None
        and parts.scheme
        and parts.hostname
        and port != 0
        and not (parts.path or parts.query or parts.fragment or "@" in parts.netloc)
    ):
        return None
    return (
        f"'{origin}' is not an origin: give scheme://host[:port], e.g. "
        "https://app.example.com or http://localhost:3000 (* for any, null for file:// pages)"
    )


def is_loopback_host(host: str) -> bool:
    """Whether `--host` keeps the emulator on this machine: a loopback address or localhost."""
    name = _bare(host)
    return _is_local_name(name) or _is_loopback(name)


def exposure_warning(host: str) -> str | None:
    """The warning `wsgen local --host HOST` prints when HOST is reachable from the network."""
    if is_loopback_host(host):
        return None
    return (
        f"wsgen local: warning: --host {host} is reachable from the network, and the handlers "
        "run with your AWS credentials; --host 127.0.0.1 keeps them to this machine"
    )


def _bare(host: str) -> str:
    """`Host` without its port and brackets, lowercased: `[::1]:8000` is `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else host


def _is_local_name(name: str) -> bool:
    return name == "localhost" or name.endswith(".localhost")  # RFC 6761 6.3


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False

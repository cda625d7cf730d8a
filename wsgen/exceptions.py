"""Errors the wsgen tool reports to the user as one `error: ...` line.

WsgenError
├── AppLoadError        the app cannot be found, imported or is not an App
├── ConfigError         a setting, flag or input file is wrong (file and key named)
├── QuotaError          the template would exceed an AWS quota (what to change named)
├── LogicalIdError      two resources of the template would share a logical id
├── LintError           `wsgen template --lint`: cfn-lint found errors or warnings
├── EventHandlerError   an event handler's decorator arguments would fail at deploy time
├── ScaffoldError       `wsgen new` cannot write the project (bad name, directory exists)
├── PortInUseError      `wsgen local` cannot listen on its address (pick another --port/--host)
├── EmbeddedDynamoDBError  the embedded DynamoDB needs moto (pip install 'wsgen[local]')
└── DynamoDBEndpointError  a DynamoDB endpoint given to wsgen is unreachable or refuses a table
"""

from __future__ import annotations

import errno as errno_codes


class WsgenError(Exception):
    """Root of every error the CLI turns into `error: <message>` and a non-zero exit."""


class AppLoadError(WsgenError):
    """The user's app could not be loaded; the message says why and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(WsgenError):
    """A wrong setting: names the file (or flag), the key and what is expected."""

    def __init__(self, message: str, source: str | None = None) -> None:
        super().__init__(message, source)
        self.message = message
        self.source = source

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


class QuotaError(WsgenError):
    """The template would not deploy: it exceeds an AWS quota; the message says what helps."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LogicalIdError(WsgenError):
    """Two resources would share a logical id: a route key spells another resource's name."""

    def __init__(self, logical_id: str) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id

    def __str__(self) -> str:
        return (
            f"two resources of the template would have the logical id {self.logical_id!r}: "
            "a route key spells another resource's name; rename that route"
        )


class LintError(WsgenError):
    """cfn-lint found errors or warnings in the template; they were printed before it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ScaffoldError(WsgenError):
    """`wsgen new` refused to write a project; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PortInUseError(WsgenError):
    """The emulator's address is taken (or cannot be listened on)."""

    def __init__(
        self,
        host: str,
        port: int,
        reason: str,
        errno: int | None = None,
        unresolved: bool = False,
        emulator: bool = False,
        flag: str = "--port",
    ) -> None:
        super().__init__(host, port, reason)
        self.host, self.port, self.reason, self.errno = host, port, reason, errno
        self.unresolved = unresolved
        """The host is a name that did not resolve (`socket.gaierror`): the port is fine."""
        self.emulator = emulator
        """Another `wsgen local` answers on the port."""
        self.flag = flag
        """The option that gave the port: `--port`, or `--sqs-port` (the app's queues')."""

    def __str__(self) -> str:
        # EADDRNOTAVAIL: no interface of this machine has that address; the port is fine.
        wrong_host = self.unresolved or self.errno == errno_codes.EADDRNOTAVAIL
        flag = "--host" if wrong_host else self.flag
        hint = " (a name this machine resolves, or an address such as 127.0.0.1)"
        if self.emulator:
            return (
                f"cannot listen on {self.host}:{self.port}: another wsgen local serves there; "
                f"stop it (Ctrl-C in its terminal), or pick another {self.flag}"
            )
        return (
            f"cannot listen on {self.host}:{self.port}: {self.reason}; "
            f"pick another {flag}{hint if self.unresolved else ''}"
        )


class EventHandlerError(WsgenError):
    """An event handler (`@app.schedule`, ...) was given arguments AWS would refuse."""

    def __init__(self, decorator: str, name: str, problem: str, where: str = "") -> None:
        super().__init__(decorator, name, problem, where)
        self.decorator = decorator
        self.name = name
        self.problem = problem
        self.where = where
        """`file:line` of the decorator, when the handler's module is loaded (else empty)."""

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}@app.{self.decorator} handler '{self.name}': {self.problem}"


class EmbeddedDynamoDBError(WsgenError):
    """The embedded DynamoDB cannot start: moto (wsgen's `local` extra) is not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(missing)
        self.missing = missing

    def __str__(self) -> str:
        return (
            f"the embedded DynamoDB needs moto's server mode ({self.missing} is not "
            "installed): pip install 'wsgen[local]', or give wsgen the URL of a "
            "DynamoDB-compatible server instead"
        )


class DynamoDBEndpointError(WsgenError):
    """The DynamoDB endpoint given to wsgen cannot be reached or refuses the table."""

    def __init__(self, endpoint_url: str, reason: str) -> None:
        super().__init__(endpoint_url, reason)
        self.endpoint_url = endpoint_url
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"DynamoDB endpoint {self.endpoint_url}: {self.reason}; check that a DynamoDB-"
            "compatible server listens there (for example: python -m moto.server -p 8001)"
        )

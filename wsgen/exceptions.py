"""Errors the wsgen tool reports to the user as one `error: ...` line.

WsgenError
├── AppLoadError        the app cannot be found, imported or is not an App
├── ConfigError         a setting, flag or input file is wrong (file and key named)
└── ScaffoldError       `wsgen new` cannot write the project (bad name, directory exists)
"""

from __future__ import annotations


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


class ScaffoldError(WsgenError):
    """`wsgen new` refused to write a project; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

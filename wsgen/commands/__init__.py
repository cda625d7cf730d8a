"""The subcommands of `wsgen`, one module each (see `wsgen.cli`); what they share."""

from __future__ import annotations

import argparse


def port(text: str) -> int:
    """argparse's type of `--port`: a TCP port, 0-65535 (0: pick a free one, where it listens).

    Raises:
        argparse.ArgumentTypeError: not an integer in the range (argparse prints one line).
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: use one of 0-65535") from None
    return value

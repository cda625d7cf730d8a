"""`wsgen local`: not built yet."""

from __future__ import annotations

import argparse

NAME = "local"
HELP = "not built yet"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("wsgen local is not built yet")
    return 1

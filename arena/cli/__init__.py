"""The ``arena`` command."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import click

from arena import __version__
from arena.cli.competition import report_command, submit_command, verify_command
from arena.cli.leaderboard import leaderboard_command
from arena.cli.run import run_command, strategies_command
from arena.cli.validate import validate_command

__all__ = ["entry", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="arena")
def main() -> None:
    """Race market-making strategies on simulated markets and rank them on edge and Sharpe.

    \b
    Quick start:
      arena run                         the built-in strategies on the default market
      arena run submissions/mine.py     your strategy against them
      arena strategies                  what is built in
    """


main.add_command(run_command)
main.add_command(strategies_command)
main.add_command(validate_command)
main.add_command(leaderboard_command)
main.add_command(submit_command)
main.add_command(verify_command)
main.add_command(report_command)


def entry() -> NoReturn:
    """The ``arena`` executable: :func:`main`, then an immediate exit.

    By the time a command returns, its files are closed and its workers are gone; once its
    output is flushed nothing is left to do but the interpreter's teardown, which takes about
    0.3 s with numba and pandas loaded. A crash still goes through Python's own exit, with its
    traceback.
    """
    status: object = 0
    try:
        main.main()  # standalone mode: it ends by raising SystemExit
    except SystemExit as done:
        status = done.code
    if status is not None and not isinstance(status, int):
        print(status, file=sys.stderr)
        status = 1
    with contextlib.suppress(OSError):  # e.g. the reader of a pipe has gone: nothing to lose
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status or 0)

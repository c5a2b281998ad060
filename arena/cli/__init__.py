"""The ``arena`` command."""

from __future__ import annotations

import click

from arena import __version__
from arena.cli.competition import report_command, submit_command, verify_command
from arena.cli.leaderboard import leaderboard_command
from arena.cli.run import run_command, strategies_command
from arena.cli.validate import validate_command

__all__ = ["main"]


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

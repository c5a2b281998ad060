"""What the commands share.

The consoles, plain error messages, number formats, the market lookup and the leaderboard
database option.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from arena.errors import ArenaError, ConfigError
from arena.market import Market
from arena.plugins import markets

F = TypeVar("F", bound=Callable[..., Any])
# Piped output gets a fixed width instead of rich's 80 columns, so tables do not wrap.
console = Console(width=None if sys.stdout.isatty() else 120)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def _friendly(command: F) -> F:
    """Show arena's errors as one plain sentence and exit with status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ArenaError as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _market(name: str) -> Market:
    found = markets()
    if name not in found:
        raise ConfigError(f"no market called {name!r} (available: {', '.join(sorted(found))})")
    return found[name]


def _fmt(value: float, digits: int = 2, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _plus_minus(low: float, high: float) -> str:
    half = (high - low) / 2
    return "" if math.isnan(half) else f" ± {half:.2f}"


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


DEFAULT_DB = Path("competition/leaderboard.db")


def _db_option(command: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ARENA_LEADERBOARD",
        default=DEFAULT_DB,
        show_default=True,
        help="The leaderboard database (or set ARENA_LEADERBOARD); the secret seed root and "
        "the submission folders live beside it.",
    )(command)

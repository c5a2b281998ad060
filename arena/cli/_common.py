"""What the commands share.

The consoles, plain error messages, number formats, the market lookup and the options several
commands take: market and ruleset, the ruleset's own options, executors, the leaderboard
database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from arena.errors import ArenaError, ConfigError
from arena.executors import EXECUTORS, Executor, make_executor
from arena.market import Market, config_from_options
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


def _config(config_type: type, options: dict[str, Any], ruleset: str) -> Any:
    """The ruleset's configuration from the command's options (foreign options refused)."""
    known = {f.name for f in dataclasses.fields(config_type)}
    foreign = sorted(set(options) - known)
    if foreign:
        names = ", ".join(f"--{n.replace('_', '-')}" for n in foreign)
        raise ConfigError(f"{names} does not apply to the {ruleset} ruleset")
    return config_from_options(config_type, options)


def _options(command: F, *options: Callable[[F], F]) -> F:
    """Apply ``options`` so that ``--help`` lists them in the order given."""
    for option in reversed(options):
        command = option(command)
    return command


def _market_options(command: F) -> F:
    """``--market`` and ``--ruleset``."""
    return _options(
        command,
        click.option(
            "--market", "market_name", default="amm", show_default=True, help="Market to simulate."
        ),
        click.option("--ruleset", help="Rules of the market (default: the market's own default)."),
    )


@contextlib.contextmanager
def _started_executor(name: str, workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    """The executor ``name``, shut down on leaving. Local workers start importing at once: a
    command enters it before its slow steps (validation, the markets' set-up), which the
    workers' start then overlaps."""
    executor = make_executor(name, workers, scheduler)
    try:
        yield executor
    finally:
        executor.shutdown()


def _executor_options(command: F) -> F:
    """``--executor``, ``--workers``, ``--scheduler`` and ``--quiet``."""
    return _options(
        command,
        click.option(
            "--executor",
            type=click.Choice(EXECUTORS),
            default="local",
            show_default=True,
            help="Where simulations run: isolated local processes, this process (trusted code "
            "only, for debugging), or a Dask cluster.",
        ),
        click.option(
            "-w", "--workers", type=click.IntRange(min=1), help="Worker processes [all cores]."
        ),
        click.option(
            "--scheduler", metavar="ADDRESS", help="Dask scheduler address, with --executor dask."
        ),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
    )


def _ruleset_options(command: F) -> F:
    """Add a ``--option`` for every field of every ruleset's configuration."""
    fields: dict[str, list[tuple[str, dataclasses.Field[Any]]]] = {}
    for market in markets().values():
        for ruleset in market.rulesets.values():
            for field in dataclasses.fields(ruleset.config_type):
                fields.setdefault(field.name, []).append((ruleset.name, field))
    for name, owners in sorted(fields.items(), reverse=True):
        defaults = "; ".join(f"{rs}: {f.default}" for rs, f in owners)
        text = owners[0][1].metadata.get("help", name.replace("_", " "))
        kind = type(owners[0][1].default)
        command = click.option(
            f"--{name.replace('_', '-')}",
            name,
            type=kind,
            default=None,
            help=f"{text} [{defaults}]",
        )(command)
    return command

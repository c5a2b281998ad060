"""What a market plugin provides to the harness.

The runner, validation, receipts, leaderboard and reports know markets only through these
records. A market names the hooks its strategy files implement and offers one or more
rulesets; a ruleset says how strategies meet (each alone against the market's baseline, or
all together), what its options are, and runs a batch of simulations inside a worker.

Results come back as a long table, one row per simulation and pool, with at least the columns
of :data:`RESULT_COLUMNS`; a ruleset may add columns and extra tables (e.g. per epoch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pandas as pd

from arena.errors import ConfigError
from arena.plugins import StrategySource

__all__ = [
    "BASELINE_ROLE",
    "RESULT_COLUMNS",
    "STRATEGY_ROLE",
    "Market",
    "Ruleset",
    "SimulationOutput",
    "config_from_options",
    "describe_config",
]

STRATEGY_ROLE = "strategy"
#: The market's reference pool (the normalizer of the AMM market): not ranked, compared to.
BASELINE_ROLE = "baseline"
RESULT_COLUMNS = ("sim", "pool", "strategy", "role", "edge", "errors", "first_error")


@dataclass
class SimulationOutput:
    """What a ruleset returns for a batch: the results table and any extra tables.

    ``results`` has one row per (simulation, pool) with ``sim`` counting simulations within
    the batch from 0; extra tables that have a ``sim`` column are renumbered the same way.
    """

    results: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


class Simulate(Protocol):
    """``simulate(strategies, config, seeds, trace=False)``, run inside a worker.

    With ``trace``, the output's ``tables["trace"]`` records the first simulation step by
    step: ``step, pool, strategy, role, cumulative_edge, spot, fair``.
    """

    def __call__(
        self,
        strategies: Sequence[StrategySource],
        config: Any,
        seeds: Sequence[int],
        trace: bool = False,
    ) -> SimulationOutput: ...


@dataclass(frozen=True)
class Ruleset:
    """A way to run a market.

    :param name: what ``--ruleset`` takes.
    :param description: one line for ``--help`` and reports.
    :param config_type: a frozen dataclass of options; its fields' ``metadata["help"]`` texts
        are shown to people, and a field named ``steps`` is the simulation length.
    :param pairing: ``"solo"``: each strategy runs alone against the baseline (a match per
        strategy, on the same seeds); ``"all"``: every strategy in one market.
    :param simulate: runs a batch of simulations inside a worker (:class:`Simulate`).
    :param max_strategies: most strategies one match accepts.
    :param default_simulations: simulations when the command line names none.
    :param tables: names of the extra tables its outputs carry (besides ``results``).
    """

    name: str
    description: str
    config_type: type
    pairing: Literal["solo", "all"]
    simulate: Simulate
    max_strategies: int = 1
    default_simulations: int = 1000
    tables: tuple[str, ...] = ()

    def matches(self, count: int) -> list[tuple[int, ...]]:
        """Which strategies (by position) meet in each match."""
        if self.pairing == "solo":
            return [(i,) for i in range(count)]
        return [tuple(range(count))]


@dataclass(frozen=True)
class Market:
    """A market plugin: its strategy hooks, checks and rulesets.

    :param check_strategy: market-specific static checks of a loaded file (raise
        :class:`arena.errors.StrategyLoadError`).
    :param default_strategies: what ``arena run`` races when given no strategy.
    :param prepare: trusted set-up, e.g. compiling kernels into numba's cache; run for every
        market (:func:`arena.plugins.prepare_markets`) in the parent (or a Dask worker) before
        isolated workers start, since they may not write files, and in each worker as it
        starts, so that no task's clock pays for loading them. Commands that run no
        simulation never call it, and start fast.
    """

    name: str
    description: str
    hooks: type
    rulesets: Mapping[str, Ruleset]
    default_ruleset: str
    check_strategy: Callable[[StrategySource], None]
    default_strategies: tuple[str, ...] = ()
    prepare: Callable[[], None] = lambda: None

    def ruleset(self, name: str | None) -> Ruleset:
        """The ruleset called ``name`` (the default one for ``None``)."""
        key = name or self.default_ruleset
        if key not in self.rulesets:
            known = ", ".join(sorted(self.rulesets))
            raise ConfigError(f"market {self.name!r} has no ruleset {key!r} (it has: {known})")
        return self.rulesets[key]


def config_from_options(config_type: type, options: Mapping[str, Any]) -> Any:
    """Build a ruleset config from ``name=value`` options, checking names and types.

    :raises ConfigError: for an unknown option or a value of the wrong kind.
    """
    fields = {f.name: f for f in dataclasses.fields(config_type)}
    values: dict[str, Any] = {}
    for key, raw in options.items():
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(sorted(n.replace("_", "-") for n in fields))
            raise ConfigError(f"unknown option {key!r} (options: {known})")
        default = fields[name].default
        if default is dataclasses.MISSING:
            raise ConfigError(f"option {key!r} has no default to take its type from")
        kind = type(default)
        try:
            value = kind(raw) if not isinstance(raw, kind) else raw
        except (TypeError, ValueError):
            raise ConfigError(f"option {key!r} takes a {kind.__name__}, not {raw!r}") from None
        values[name] = value
    try:
        return config_type(**values)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def describe_config(config: Any) -> dict[str, Any]:
    """A config as a plain, JSON-ready mapping (for receipts and reports)."""
    return dataclasses.asdict(config)

"""The AMM market plugin: strategy hooks, checks and rulesets, registered with arena."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from arena.amm import load_engines
from arena.amm.config import ArenaConfig, PropAmmConfig
from arena.amm.params import MarketParams
from arena.amm.program import StrategyProgram, check_fee_constant
from arena.amm.trace import Trace
from arena.hookspecs import StrategyHooks, hookimpl
from arena.market import BASELINE_ROLE, STRATEGY_ROLE, Market, Ruleset, SimulationOutput
from arena.plugins import StrategySource

__all__ = ["AMM_MARKET", "NORMALIZER_LABEL", "arena_register_markets"]

NORMALIZER_LABEL = "Normalizer"
#: What `arena run` races when given no strategy file.
DEFAULT_FIELD = ("cp20", "cp30", "cp40", "cp50", "cp70", "cp90", "vol_adaptive", "undercut")


@dataclass
class _PoolRows:
    """One pool's per-simulation outcomes, to be laid out as result rows."""

    label: str
    role: str
    edge: npt.NDArray[np.float64]
    arb_edge: npt.NDArray[np.float64]
    retail_edge: npt.NDArray[np.float64]
    errors: npt.ArrayLike = 0
    first_error: Sequence[str | None] | None = None
    capital_share: npt.NDArray[np.float64] | None = None
    units: npt.ArrayLike = 0
    calls: npt.ArrayLike = 0


def _results(params: list[MarketParams], pools: list[_PoolRows]) -> pd.DataFrame:
    """One row per (simulation, pool): identity, sampled parameters, edges, errors."""
    table = pd.DataFrame([p.__dict__ for p in params])
    common = {"sim": np.arange(len(params)), "seed": table["seed"].to_numpy(dtype=np.uint64)} | {
        column: table[column].to_numpy() for column in table.columns if column != "seed"
    }
    frames = []
    for index, pool in enumerate(pools):
        columns = common | {
            "pool": index,
            "strategy": pool.label,
            "role": pool.role,
            "edge": pool.edge,
            "arb_edge": pool.arb_edge,
            "retail_edge": pool.retail_edge,
            "errors": pool.errors,
            "first_error": pool.first_error,
            "calls": pool.calls,
            "units": pool.units,
        }
        if pool.capital_share is not None:
            columns["capital_share"] = pool.capital_share
        frames.append(pd.DataFrame(columns))
    results = pd.concat(frames).sort_values(["sim", "pool"], kind="stable")
    return results.reset_index(drop=True)


def _prop_amm(
    strategies: Sequence[StrategySource],
    config: PropAmmConfig,
    seeds: Sequence[int],
    trace: bool = False,
) -> SimulationOutput:
    from arena.amm.propamm import simulate_prop_amm  # the engine loads where simulations run

    (strategy,) = strategies
    recorder = Trace() if trace else None
    result = simulate_prop_amm(StrategyProgram(strategy), list(seeds), config, recorder)
    own, normalizer = result.strategy, result.normalizer
    pools = [
        _PoolRows(
            strategy.label,
            STRATEGY_ROLE,
            own.total,
            own.arb,
            own.retail,
            result.errors.counts,
            result.errors.first,
            units=result.units,
            calls=result.calls,
        ),
        _PoolRows(
            NORMALIZER_LABEL, BASELINE_ROLE, normalizer.total, normalizer.arb, normalizer.retail
        ),
    ]
    return _output(result.params, pools, recorder)


def _arena(
    strategies: Sequence[StrategySource],
    config: ArenaConfig,
    seeds: Sequence[int],
    trace: bool = False,
) -> SimulationOutput:
    from arena.amm.arena_ruleset import simulate_arena  # the engine loads where simulations run

    recorder = Trace() if trace else None
    result = simulate_arena([StrategyProgram(s) for s in strategies], list(seeds), config, recorder)
    labels = [s.label for s in strategies]
    pools = [
        _PoolRows(
            label,
            STRATEGY_ROLE,
            result.edge[:, j],
            result.arb_edge[:, j],
            result.retail_edge[:, j],
            result.errors[:, j],
            [row[j] for row in result.first_error],
            result.weights[:, j],
            result.units[:, j],
            result.calls[:, j],
        )
        for j, label in enumerate(labels)
    ]
    n = len(labels)
    pools.append(
        _PoolRows(
            NORMALIZER_LABEL,
            BASELINE_ROLE,
            result.edge[:, n],
            result.arb_edge[:, n],
            result.retail_edge[:, n],
        )
    )
    output = _output(result.params, pools, recorder)
    epochs = result.epochs.copy()
    epochs.insert(3, "strategy", [labels[j] for j in epochs["pool"]])
    output.tables["epochs"] = epochs
    return output


def _output(
    params: list[MarketParams], pools: list[_PoolRows], recorder: Trace | None
) -> SimulationOutput:
    output = SimulationOutput(_results(params, pools))
    if recorder is not None:
        output.tables["trace"] = recorder.table([p.label for p in pools], [p.role for p in pools])
    return output


PROP_AMM = Ruleset(
    name="prop-amm",
    description="one strategy against the normalizer, by the public prop-amm challenge's rules",
    config_type=PropAmmConfig,
    pairing="solo",
    simulate=_prop_amm,
    max_strategies=1,
    default_simulations=1000,
)

ARENA = Ruleset(
    name="arena",
    description="N strategies and the normalizer in one market, with epochs that move capital",
    config_type=ArenaConfig,
    pairing="all",
    simulate=_arena,
    max_strategies=254,
    default_simulations=64,
    tables=("epochs",),
)

AMM_MARKET = Market(
    name="amm",
    description="AMM fee competition: GBM fair price, arbitrage, retail routing across pools",
    hooks=StrategyHooks,
    rulesets={ARENA.name: ARENA, PROP_AMM.name: PROP_AMM},
    default_ruleset=ARENA.name,
    check_strategy=check_fee_constant,
    default_strategies=DEFAULT_FIELD,
    prepare=load_engines,  # compiled into numba's cache before workers (which cannot write) start
)


@hookimpl
def arena_register_markets(register: Callable[[Market], None]) -> None:
    """Register the AMM market."""
    register(AMM_MARKET)

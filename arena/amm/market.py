"""The AMM market plugin: strategy hooks, checks and rulesets, registered with arena."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from arena.amm.program import StrategyProgram, check_fee_constant
from arena.amm.propamm import PropAmmConfig, simulate_prop_amm
from arena.hookspecs import StrategyHooks, hookimpl
from arena.market import BASELINE_ROLE, STRATEGY_ROLE, Market, Ruleset, SimulationOutput
from arena.plugins import StrategySource

__all__ = ["AMM_MARKET", "NORMALIZER_LABEL", "arena_register_markets"]

NORMALIZER_LABEL = "Normalizer"


def _prop_amm(
    strategies: Sequence[StrategySource], config: PropAmmConfig, seeds: Sequence[int]
) -> SimulationOutput:
    (strategy,) = strategies
    result = simulate_prop_amm(StrategyProgram(strategy), list(seeds), config)
    params = pd.DataFrame([p.__dict__ for p in result.params])
    sims = range(len(seeds))
    common = {"sim": list(sims), "seed": np.array(seeds, dtype=np.uint64)} | {
        column: params[column].to_numpy() for column in params.columns if column != "seed"
    }
    own = pd.DataFrame(
        common
        | {
            "pool": 0,
            "strategy": strategy.label,
            "role": STRATEGY_ROLE,
            "edge": result.edge,
            "arb_edge": result.arb_edge,
            "retail_edge": result.retail_edge,
            "errors": result.errors,
            "first_error": result.first_error,
        }
    )
    baseline = pd.DataFrame(
        common
        | {
            "pool": 1,
            "strategy": NORMALIZER_LABEL,
            "role": BASELINE_ROLE,
            "edge": result.normalizer_edge,
            "arb_edge": result.normalizer_arb_edge,
            "retail_edge": result.normalizer_retail_edge,
            "errors": 0,
            "first_error": None,
        }
    )
    results = pd.concat([own, baseline]).sort_values(["sim", "pool"], kind="stable")
    return SimulationOutput(results.reset_index(drop=True))


PROP_AMM = Ruleset(
    name="prop-amm",
    description="one strategy against the normalizer, by the public prop-amm challenge's rules",
    config_type=PropAmmConfig,
    pairing="solo",
    simulate=_prop_amm,
    max_strategies=1,
    default_simulations=1000,
)

AMM_MARKET = Market(
    name="amm",
    description="AMM fee competition: GBM fair price, arbitrage, retail routing across pools",
    hooks=StrategyHooks,
    rulesets={PROP_AMM.name: PROP_AMM},
    default_ruleset=PROP_AMM.name,
    check_strategy=check_fee_constant,
    default_strategies=("starter",),
)


@hookimpl
def arena_register_markets(register: Callable[[Market], None]) -> None:
    """Register the AMM market."""
    register(AMM_MARKET)

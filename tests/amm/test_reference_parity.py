"""Per-simulation edges of the public prop-amm engine, reproduced exactly.

The vectors are the reference engine's own results (benedictbrady/prop-amm-challenge at
4f0c612, native release build, `run_default_batch_native_seeded`), for seeds 0-9 at the
challenge's 10,000 steps: the strategy's total edge against the normalizer. On seeds 0-999
arena matched every one of them bit for bit (both the starter and the 30 bps pool).
"""

import pytest

from arena.amm.program import StrategyProgram
from arena.amm.propamm import PropAmmConfig, simulate_prop_amm
from arena.plugins import load_strategy

REFERENCE_EDGES = {
    "starter": [
        45.99927245658804, -17.037913849432904, 48.75444190141614, 54.97283225434367,
        39.05264623559822, 58.03099605562682, 41.53243739438296, 159.59391830878803,
        344.07369667400854, 67.35464148012343,
    ],
    "cp30": [
        403.26328650517723, -261.5906636336487, 327.1038572846977, 141.6851165964574,
        289.4451078451174, 322.3902395704914, 276.1166752075132, 352.0682766043077,
        48.683396602345496, -129.90419018281685,
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFERENCE_EDGES))
def test_edges_equal_the_reference_engine_seed_by_seed(name) -> None:
    result = simulate_prop_amm(
        StrategyProgram(load_strategy(name)), list(range(10)), PropAmmConfig()
    )
    assert result.strategy.total.tolist() == REFERENCE_EDGES[name]


@pytest.mark.slow
def test_the_compute_swap_path_equals_the_reference_too() -> None:
    program = StrategyProgram(load_strategy("submissions/starter_compute_swap.py"))
    result = simulate_prop_amm(program, [0, 1, 2], PropAmmConfig())
    assert result.strategy.total.tolist() == REFERENCE_EDGES["starter"][:3]

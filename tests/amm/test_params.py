"""Hyperparameter sampling against the reference engine's published and exact values."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.params import (
    ARRIVAL_RATE_RANGE,
    MEAN_SIZE_RANGE,
    NORM_FEE_BPS_RANGE,
    NORM_LIQUIDITY_MULT_RANGE,
    SIGMA_RANGE,
    MarketParams,
    sample_params,
    seed_for_simulation,
)

# Reference doc §1.6 (engine output, printed to ~12 significant digits).
PUBLISHED_ROWS = [
    (0, 0.000980835270774, 0.678042263011, 23.3560083734, 65, 1.7700068663),
    (1, 0.00589512824383, 0.413838940028, 13.8224273633, 64, 1.82143245039),
    (2, 0.00050568485883, 0.756123432504, 16.4161144448, 48, 1.15702475125),
    (3, 0.00304320845538, 0.581172261117, 13.786531875, 66, 1.27458602521),
    (4, 0.000879081768824, 0.438551106333, 22.6877607417, 79, 1.8535621535),
    (5, 0.00272374246484, 0.863517182293, 16.2679320684, 67, 1.55202598621),
    (6, 0.00315946015417, 0.912093257371, 14.3425914121, 80, 1.3026940209),
    (7, 0.000103498030742, 0.585063717576, 26.4254560294, 33, 1.18670922224),
    (8, 0.00662191309776, 0.981544110176, 27.6027483204, 68, 1.40995377204),
    (9, 0.00678794922863, 0.928953422958, 21.9933655444, 77, 1.76461039528),
]

# Exact bits of the same draws (rand 0.8.5 gen_range on Pcg64::seed_from_u64), seeds 0-2.
EXACT_ROWS = [
    (0, "0x1.011ebda4987bdp-10", "0x1.5b285b01df98ap-1", "0x1.75b235d60cf8ep+4", 65,
     "0x1.c51f2b8474136p+0"),
    (1, "0x1.8257d70352109p-8", "0x1.a7c56524ef220p-2", "0x1.ba515330921b6p+3", 64,
     "0x1.d24965a6472d0p+0"),
    (2, "0x1.091fdf7231709p-11", "0x1.83229c4cb1116p-1", "0x1.06a8679eb9e57p+4", 48,
     "0x1.2832c62b440acp+0"),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "sigma", "rate", "mean", "fee", "liquidity"), PUBLISHED_ROWS)
def test_published_hyperparameter_rows(
    seed: int, sigma: float, rate: float, mean: float, fee: int, liquidity: float
) -> None:
    params = sample_params(seed)
    assert params.seed == seed
    for actual, printed in [
        (params.sigma, sigma),
        (params.arrival_rate, rate),
        (params.mean_size, mean),
        (params.norm_liquidity_mult, liquidity),
    ]:
        assert math.isclose(actual, printed, rel_tol=1e-11)
    assert params.norm_fee_bps == fee


@pytest.mark.parametrize(("seed", "sigma", "rate", "mean", "fee", "liquidity"), EXACT_ROWS)
def test_exact_hyperparameter_bits(
    seed: int, sigma: str, rate: str, mean: str, fee: int, liquidity: str
) -> None:
    expected = MarketParams(
        seed,
        float.fromhex(sigma),
        float.fromhex(rate),
        float.fromhex(mean),
        fee,
        float.fromhex(liquidity),
    )
    assert sample_params(seed) == expected


@settings(max_examples=50)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
def test_params_lie_in_their_ranges(seed: int) -> None:
    params = sample_params(seed)
    assert SIGMA_RANGE[0] <= params.sigma < SIGMA_RANGE[1]
    assert ARRIVAL_RATE_RANGE[0] <= params.arrival_rate < ARRIVAL_RATE_RANGE[1]
    assert MEAN_SIZE_RANGE[0] <= params.mean_size < MEAN_SIZE_RANGE[1]
    assert NORM_FEE_BPS_RANGE[0] <= params.norm_fee_bps <= NORM_FEE_BPS_RANGE[1]
    assert NORM_LIQUIDITY_MULT_RANGE[0] <= params.norm_liquidity_mult < NORM_LIQUIDITY_MULT_RANGE[1]


def test_market_params_are_frozen() -> None:
    params = sample_params(0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.sigma = 0.0  # type: ignore[misc]


def test_seed_for_simulation_wraps_like_u64() -> None:
    assert [seed_for_simulation(i, 0, 1) for i in range(3)] == [0, 1, 2]
    assert seed_for_simulation(4, 9001, 7) == 9029
    assert seed_for_simulation(1, 2**64 - 1, 1) == 0
    assert seed_for_simulation(3, 5, 2**63) == 5 + 2**63

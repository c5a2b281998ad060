"""Per-simulation hyperparameters of the prop-amm challenge (``HyperparameterVariance``).

Each simulation draws its market from ``Pcg64::seed_from_u64(seed)``, five values in a fixed
order; :func:`sample_params` reproduces the reference engine bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from arena.rng import U64_MASK, Pcg64

#: Per-step GBM volatility, half-open ``[low, high)``.
SIGMA_RANGE: Final = (0.0001, 0.007)
#: Poisson rate of retail orders per step, half-open.
ARRIVAL_RATE_RANGE: Final = (0.4, 1.2)
#: Mean retail order size in Y, half-open.
MEAN_SIZE_RANGE: Final = (12.0, 28.0)
#: Normalizer pool fee in basis points, inclusive integer range (a ``u16`` in the engine).
NORM_FEE_BPS_RANGE: Final = (30, 80)
#: Normalizer liquidity multiplier applied to its initial reserves, half-open.
NORM_LIQUIDITY_MULT_RANGE: Final = (0.4, 2.0)


@dataclass(frozen=True)
class MarketParams:
    """The sampled market of one simulation.

    :ivar seed: the simulation seed; also the seed of the price stream.
    :ivar sigma: per-step GBM volatility.
    :ivar arrival_rate: mean number of retail orders per step.
    :ivar mean_size: mean retail order size in Y.
    :ivar norm_fee_bps: fee of the normalizer pool in basis points.
    :ivar norm_liquidity_mult: normalizer reserves relative to the submission's.
    """

    seed: int
    sigma: float
    arrival_rate: float
    mean_size: float
    norm_fee_bps: int
    norm_liquidity_mult: float


def sample_params(seed: int) -> MarketParams:
    """Draw the hyperparameters of the simulation with this seed, as the reference engine does.

    :param seed: the u64 simulation seed.
    """
    rng = Pcg64(seed)
    # The draw order is part of the engine's reproducibility contract.
    sigma = rng.gen_range_f64(*SIGMA_RANGE)
    arrival_rate = rng.gen_range_f64(*ARRIVAL_RATE_RANGE)
    mean_size = rng.gen_range_f64(*MEAN_SIZE_RANGE)
    norm_fee_bps = rng.gen_range_u16_inclusive(*NORM_FEE_BPS_RANGE)
    norm_liquidity_mult = rng.gen_range_f64(*NORM_LIQUIDITY_MULT_RANGE)
    return MarketParams(seed, sigma, arrival_rate, mean_size, norm_fee_bps, norm_liquidity_mult)


def seed_for_simulation(i: int, seed_start: int, seed_stride: int) -> int:
    """Seed of simulation ``i``: ``seed_start + i * seed_stride`` with u64 wrap-around."""
    return (seed_start + i * seed_stride) & U64_MASK

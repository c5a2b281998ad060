"""The ``prop-amm`` ruleset: one strategy against the normalizer, by the public challenge's rules.

Every rule is the reference engine's (``benedictbrady/prop-amm-challenge``, described in
``prop-amm-mechanics.md``), so a strategy scores the same here, simulation by simulation:

1. the fair price takes a GBM step first (the initial price is never traded at);
2. the strategy's pool is arbitraged by the reference's bracket + golden-section search on
   both sides from a random retail-sized start, with 0.01 Y floors on size and profit;
3. the normalizer (sampled fee and liquidity) is arbitraged in closed form;
4. each retail order is split between the two pools by the router's golden-section search
   over the strategy's share; the strategy's leg executes first.

Edges are measured from each pool's side at the step's fair price; the arbitrage and retail
parts are kept separately, and the strategy's total is summed in the reference's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from arena.amm.config import PropAmmConfig
from arena.amm.cpmm import bps_to_fee
from arena.amm.edges import Edges
from arena.amm.host import ErrorLog
from arena.amm.inputs import input_blocks
from arena.amm.params import MarketParams, sample_params
from arena.amm.program import StrategyProgram
from arena.amm.propamm_engine import prop_amm_block, prop_amm_requests
from arena.amm.requests import record_builder, serve
from arena.amm.trace import Observer
from arena.payloads import PropAmmAfterSwap

__all__ = ["PropAmmConfig", "PropAmmResult", "simulate_prop_amm"]

FloatArray = npt.NDArray[np.float64]
_NO_TRACE: Final = np.zeros((0, 0, 0))
_after_swap: Final = record_builder(PropAmmAfterSwap)


@dataclass
class PropAmmResult:
    """Per-simulation outcomes of one strategy against the normalizer (``units`` and
    ``calls``: the strategy's work units and hook calls)."""

    params: list[MarketParams]
    strategy: Edges
    normalizer: Edges
    errors: ErrorLog
    units: npt.NDArray[np.int64]
    calls: npt.NDArray[np.int64]


def simulate_prop_amm(
    program: StrategyProgram,
    seeds: list[int],
    config: PropAmmConfig = PropAmmConfig(),
    observer: Observer | None = None,
) -> PropAmmResult:
    """Run one strategy against the normalizer in the simulations of ``seeds``.

    :param observer: called after every step (see :mod:`arena.amm.trace`).
    """
    params = [sample_params(seed) for seed in seeds]
    size = len(seeds)
    host = program.host(size)
    liquidity = np.array([p.norm_liquidity_mult for p in params])
    reserves = np.ascontiguousarray(
        np.stack(
            [
                np.full(size, config.initial_x),
                np.full(size, config.initial_y),
                config.initial_x * liquidity,
                config.initial_y * liquidity,
            ],
            axis=1,
        )
    )
    fees = np.zeros((size, 4), dtype=np.uint64)
    if not host.scripted:
        fees[:, :2] = host.fee_units()
    fees[:, 2] = fees[:, 3] = [bps_to_fee(p.norm_fee_bps) for p in params]
    gamma = _normalizer_gamma(params)
    edges = np.zeros((size, 6))
    compiled = not host.scripted and not host.has_after_swap and observer is None
    words = host.memory.view(np.uint64)
    answer = np.zeros(1, dtype=np.uint64)
    answer_slot = answer.data
    spot = np.zeros(1)
    normalizer_spot = spot.data

    def record(
        sim: int,
        pool: int,
        side: int,
        amount: int,
        out: int,
        rx: int,
        ry: int,
        step: int,
        flow: float,
    ) -> PropAmmAfterSwap:
        # One epoch, two pools, the normalizer's spot as the competing price.
        return _after_swap(
            (side, amount, out, rx, ry, step, step, 0, 2, 0, flow, 1.0, (normalizer_spot[0],))
        )

    for block in input_blocks(params, config.steps, config.initial_price):
        arrays = (block.prices, block.arb_start, block.order_counts)
        orders = (block.order_sizes, block.order_is_buy)
        if compiled:
            prop_amm_block(*arrays, *orders, reserves, fees, gamma, config.min_arb_profit, edges)
            continue
        trace = np.zeros((size, block.prices.shape[1], 4)) if observer else _NO_TRACE
        for sim in range(size):
            requests = prop_amm_requests(
                sim, *arrays, *orders, reserves, fees, words, gamma, edges, answer, spot, trace,
                block.first_step, config.min_arb_profit, host.scripted, host.has_after_swap,
            )  # fmt: skip
            serve(requests, sim, host.simulations[sim : sim + 1], answer_slot, record)
        if observer is not None:
            for t in range(block.prices.shape[1]):
                fair = block.prices[:, t]
                observer(block.first_step + t, fair, trace[:, t, :2], trace[:, t, 2:])
    return PropAmmResult(
        params=params,
        strategy=Edges(edges[:, 0].copy(), edges[:, 1].copy(), edges[:, 2].copy()),
        normalizer=Edges(edges[:, 3].copy(), edges[:, 4].copy(), edges[:, 5].copy()),
        errors=host.errors,
        units=host.units(),
        calls=host.calls(),
    )


def _normalizer_gamma(params: list[MarketParams]) -> FloatArray:
    """The normalizer's ``gamma`` as the reference computes it from its fee in basis points."""
    return (10_000.0 - np.array([p.norm_fee_bps for p in params], dtype=np.float64)) / 10_000.0

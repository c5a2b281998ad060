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

import numpy as np
import numpy.typing as npt

from arena.amm.arbitrage import closed_form, execute_best, reference_search
from arena.amm.config import MarketConfig
from arena.amm.cpmm import bps_to_fee
from arena.amm.edges import EdgeBook
from arena.amm.inputs import StepInputs, input_blocks, step_inputs
from arena.amm.kernels import prop_amm_block
from arena.amm.params import MarketParams, sample_params
from arena.amm.pools import ClosedFormPools, ErrorLog, PoolBatch, PoolInstance, Side
from arena.amm.program import StrategyProgram
from arena.amm.search import ROUTER_MIN_TRADE, maximize_split
from arena.amm.trace import Observer
from arena.payloads import AfterSwap, PropAmmAfterSwap
from arena.storage import Storage

__all__ = ["PropAmmConfig", "PropAmmResult", "simulate_prop_amm"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PropAmmConfig(MarketConfig):
    """Settings of the ``prop-amm`` ruleset: the shared ones, with the reference's defaults."""


@dataclass
class PropAmmResult:
    """Per-simulation outcomes of one strategy against the normalizer."""

    params: list[MarketParams]
    strategy: EdgeBook
    normalizer: EdgeBook
    errors: ErrorLog
    calls: int


def simulate_prop_amm(
    program: StrategyProgram,
    seeds: list[int],
    config: PropAmmConfig = PropAmmConfig(),
    observer: Observer | None = None,
) -> PropAmmResult:
    """Run one strategy against the normalizer in the simulations of ``seeds`` (lock-step).

    :param observer: called after every step (see :mod:`arena.amm.trace`).
    """
    params = [sample_params(seed) for seed in seeds]
    ones = np.ones(len(seeds))
    submission = program.pools(len(seeds), ones * config.initial_x, ones * config.initial_y)
    normalizer = normalizer_pools(params, config.initial_x, config.initial_y)
    if isinstance(submission, ClosedFormPools) and not submission.has_hooks and observer is None:
        return _simulate_compiled(submission, normalizer, params, config)
    engine = _Engine(submission, normalizer, params, config)
    for inputs in step_inputs(params, config.steps, config.initial_price):
        engine.step(inputs)
        if observer is not None:
            edges = np.stack([engine.sub_edges.total, engine.norm_edges.total], axis=1)
            spots = np.stack([submission.spot(), normalizer.spot()], axis=1)
            observer(inputs.step, inputs.fair, edges, spots)
    return PropAmmResult(
        params=params,
        strategy=engine.sub_edges,
        normalizer=engine.norm_edges,
        errors=submission.errors,
        calls=submission.calls,
    )


def _normalizer_gamma(params: list[MarketParams]) -> FloatArray:
    """The normalizer's ``gamma`` as the reference computes it from its fee in basis points."""
    return (10_000.0 - np.array([p.norm_fee_bps for p in params], dtype=np.float64)) / 10_000.0


def _simulate_compiled(
    submission: ClosedFormPools,
    normalizer: ClosedFormPools,
    params: list[MarketParams],
    config: PropAmmConfig,
) -> PropAmmResult:
    """Both pools are constant product and nothing reacts to trades: run compiled."""
    size = len(params)
    reserves = np.stack(
        [submission.reserve_x, submission.reserve_y, normalizer.reserve_x, normalizer.reserve_y],
        axis=1,
    )
    fees = np.ascontiguousarray(np.concatenate([submission.fees, normalizer.fees]).T)
    edges = np.zeros((size, 6))
    gamma = _normalizer_gamma(params)
    for block in input_blocks(params, config.steps, config.initial_price):
        prop_amm_block(
            block.prices,
            block.arb_start,
            block.order_counts,
            block.order_sizes,
            block.order_is_buy,
            reserves,
            fees,
            gamma,
            config.min_arb_profit,
            edges,
        )
    books = [EdgeBook(size), EdgeBook(size)]
    for book, first in zip(books, (0, 3), strict=True):
        book.total[:], book.arb[:], book.retail[:] = (
            edges[:, first],
            edges[:, first + 1],
            edges[:, first + 2],
        )
    return PropAmmResult(params, books[0], books[1], submission.errors, calls=0)


def normalizer_pools(
    params: list[MarketParams], initial_x: float, initial_y: float
) -> ClosedFormPools:
    """The normalizer of each simulation: constant product with its sampled fee and liquidity."""
    liquidity = np.array([p.norm_liquidity_mult for p in params])
    instances = [PoolInstance(storage=Storage()) for _ in params]
    pools = ClosedFormPools(instances, initial_x * liquidity, initial_y * liquidity)
    pools.fees[:] = np.array([bps_to_fee(p.norm_fee_bps) for p in params], dtype=np.uint64)
    return pools


class _Engine:
    def __init__(
        self,
        submission: PoolBatch,
        normalizer: ClosedFormPools,
        params: list[MarketParams],
        config: PropAmmConfig,
    ) -> None:
        self.sub = submission
        self.norm = normalizer
        self.norm_gamma = _normalizer_gamma(params)
        self.config = config
        self.sub_edges = EdgeBook(submission.size)
        self.norm_edges = EdgeBook(submission.size)
        self.step_index = 0
        self.flow = np.zeros(submission.size)

    def step(self, inputs: StepInputs) -> None:
        self.step_index = self.sub.step = self.norm.step = inputs.step
        fair = inputs.fair
        valid = np.isfinite(fair) & (fair > 0.0)
        floor = self.config.min_arb_profit
        buy, sell = reference_search(self.sub, fair, inputs.arb_start, valid, floor)
        edge, traded = execute_best(self.sub, buy, sell, fair, self._payload)
        self.sub_edges.add(edge, traded, arb=True)
        buy, sell = closed_form(self.norm, fair, self.norm_gamma, self.norm_gamma, valid, floor)
        edge, traded = execute_best(self.norm, buy, sell, fair, None)
        self.norm_edges.add(edge, traded, arb=True)
        for k in range(int(inputs.order_counts.max(initial=0))):
            # The k-th order of every simulation at once: buys spend Y, sells size / fair X.
            is_buy = inputs.order_is_buy[k]
            size = inputs.order_sizes[k]
            in_x = np.divide(size, fair, out=np.zeros_like(size), where=fair > 0.0)
            side = np.where(is_buy, 0, 1)
            self._route(side, np.where(is_buy, size, in_x), fair, inputs.order_counts > k)

    def _route(self, side: Side, total: FloatArray, fair: FloatArray, active: BoolArray) -> None:
        if not active.any():
            return

        def quote(
            in_sub: FloatArray, in_norm: FloatArray, mask: BoolArray
        ) -> tuple[FloatArray, FloatArray]:
            return (
                self.sub.quote(side, in_sub, mask & (in_sub > ROUTER_MIN_TRADE)),
                self.norm.quote(side, in_norm, mask & (in_norm > ROUTER_MIN_TRADE)),
            )

        best = maximize_split(total, quote, active)
        legs = (
            (self.sub, self.sub_edges, best.in_first, best.out_first),
            (self.norm, self.norm_edges, best.in_second, best.out_second),
        )
        for pool, edges, amount, planned in legs:
            go = active & (amount > ROUTER_MIN_TRADE) & (planned > 0.0)
            if not go.any():
                continue
            self.flow = np.divide(amount, total, out=np.zeros_like(amount), where=go)
            out = pool.execute(side, amount, go, self._payload if pool is self.sub else None)
            edge = np.where(side == 0, amount - out * fair, amount * fair - out)
            edges.add(edge, go & (out > 0.0), arb=False)
        self.flow[:] = 0.0

    def _payload(self, sim: int, side: int, amount: int, out: int, rx: int, ry: int) -> AfterSwap:
        """The strategy's AfterSwap: one epoch, two pools, the normalizer's spot as competitor."""
        step = self.step_index
        normalizer_spot = float(self.norm.reserve_y[sim] / self.norm.reserve_x[sim])
        return PropAmmAfterSwap(
            side=side,
            input_amount=amount,
            output_amount=out,
            reserve_x=rx,
            reserve_y=ry,
            sim_step=step,
            epoch_step=step,
            epoch_number=0,
            n_strategies=2,
            strategy_index=0,
            flow_captured=float(self.flow[sim]),
            capital_weight=1.0,
            competing_spot_prices=(normalizer_spot,),
        )

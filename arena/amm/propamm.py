"""The ``prop-amm`` ruleset: one strategy against the normalizer, by the public challenge's rules.

Every rule is the reference engine's (``benedictbrady/prop-amm-challenge``, see
``prop-amm-mechanics.md``), so a strategy scores the same here, simulation by simulation:

1. the fair price takes a GBM step first (the initial price is never traded at);
2. the strategy's pool is arbitraged by a bracket + golden-section search on both sides from a
   random retail-sized start (buy side wins ties), with 0.01 Y floors on size and profit;
3. the normalizer is arbitraged in closed form with its sampled fee;
4. each retail order is split between the two pools by the router's golden-section search
   over the strategy's share, the strategy's leg executing first.

Edges are measured from each pool's side at the step's fair price; the arbitrage and retail
parts are kept separately, and the strategy's total is summed in the reference's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from arena.amm.cpmm import bps_to_fee
from arena.amm.params import MarketParams, sample_params
from arena.amm.pools import ClosedFormPools, PoolBatch, PoolInstance
from arena.amm.program import StrategyProgram
from arena.amm.search import (
    MIN_INPUT,
    ROUTER_MIN_TRADE,
    bracket_maximum,
    golden_section_max,
    Objective,
    maximize_split,
)
from arena.amm.streams import RetailBlock, SimulationStreams
from arena.payloads import AfterSwap, PropAmmAfterSwap
from arena.storage import Storage

__all__ = ["PropAmmConfig", "PropAmmResult", "simulate_prop_amm"]

MAX_INPUT_AMOUNT: Final = (2.0**64 / 1e9) * 0.999999
MIN_ARB_NOTIONAL_Y: Final = 0.01
_BLOCK_STEPS: Final = 1000

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _option(default: float, text: str) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class PropAmmConfig:
    """Settings of the ``prop-amm`` ruleset (the reference engine's defaults)."""

    steps: int = _option(10_000, "steps per simulation")
    initial_price: float = _option(100.0, "fair price at the start (Y per X)")
    initial_x: float = _option(100.0, "strategy pool's initial X reserve")
    initial_y: float = _option(10_000.0, "strategy pool's initial Y reserve")
    min_arb_profit: float = _option(0.01, "smallest profit (Y) an arbitrageur trades for")

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if not (self.initial_price > 0 and self.initial_x > 0 and self.initial_y > 0):
            raise ValueError("initial price and reserves must be positive")


@dataclass
class PropAmmResult:
    """Per-simulation outcomes of one strategy against the normalizer (arrays of length S)."""

    params: list[MarketParams]
    edge: FloatArray
    arb_edge: FloatArray
    retail_edge: FloatArray
    normalizer_edge: FloatArray
    normalizer_arb_edge: FloatArray
    normalizer_retail_edge: FloatArray
    errors: npt.NDArray[np.int64]
    first_error: list[str | None]
    calls: int


class _Edges:
    """Running edge totals of one pool: arbitrage and retail parts, and the total in order."""

    def __init__(self, size: int) -> None:
        self.total = np.zeros(size)
        self.arb = np.zeros(size)
        self.retail = np.zeros(size)

    def add(self, edge: FloatArray, mask: BoolArray, arb: bool) -> None:
        self.total[mask] += edge[mask]
        part = self.arb if arb else self.retail
        part[mask] += edge[mask]


def simulate_prop_amm(
    program: StrategyProgram, seeds: list[int], config: PropAmmConfig = PropAmmConfig()
) -> PropAmmResult:
    """Run one strategy against the normalizer in the simulations of ``seeds`` (lock-step)."""
    params = [sample_params(seed) for seed in seeds]
    size = len(seeds)
    ones = np.ones(size)
    submission = program.pools(size, ones * config.initial_x, ones * config.initial_y)
    liquidity = np.array([p.norm_liquidity_mult for p in params])
    normalizer = _normalizer(params, config.initial_x * liquidity, config.initial_y * liquidity)
    fee_bps = np.array([p.norm_fee_bps for p in params], dtype=np.float64)
    engine = _Engine(submission, normalizer, fee_bps, config)
    streams = [SimulationStreams(p) for p in params]
    for first in range(0, config.steps, _BLOCK_STEPS):
        count = min(_BLOCK_STEPS, config.steps - first)
        blocks = [s.next(count) for s in streams]
        prices = np.stack([b.prices for b in blocks])
        arb_sizes = np.stack([b.arb_start_sizes for b in blocks])
        orders = _pad_orders([b.retail for b in blocks], count)
        for offset in range(count):
            engine.step(first + offset, prices[:, offset], arb_sizes[:, offset], orders, offset)
    return PropAmmResult(
        params=params,
        edge=engine.sub_edges.total,
        arb_edge=engine.sub_edges.arb,
        retail_edge=engine.sub_edges.retail,
        normalizer_edge=engine.norm_edges.total,
        normalizer_arb_edge=engine.norm_edges.arb,
        normalizer_retail_edge=engine.norm_edges.retail,
        errors=submission.errors.counts,
        first_error=submission.errors.first,
        calls=submission.calls,
    )


def _normalizer(params: list[MarketParams], reserve_x: FloatArray, reserve_y: FloatArray) -> ClosedFormPools:
    instances = [PoolInstance(storage=Storage()) for _ in params]
    pools = ClosedFormPools(instances, reserve_x, reserve_y)
    fees = np.array([bps_to_fee(p.norm_fee_bps) for p in params], dtype=np.uint64)
    pools.fees[:] = fees
    return pools


@dataclass
class _Orders:
    """Retail orders of a block of steps, padded to the block's largest count per step."""

    counts: npt.NDArray[np.int64]  # (S, steps)
    sizes: FloatArray  # (S, steps, K)
    is_buy: BoolArray  # (S, steps, K)


def _pad_orders(blocks: list[RetailBlock], steps: int) -> _Orders:
    counts = np.stack([b.counts for b in blocks]).astype(np.int64)
    width = max(int(counts.max(initial=0)), 1)
    sizes = np.zeros((len(blocks), steps, width))
    is_buy = np.zeros((len(blocks), steps, width), dtype=bool)
    for sim, block in enumerate(blocks):
        step_of = np.repeat(np.arange(steps), block.counts)
        starts = np.cumsum(block.counts) - block.counts
        slot = np.arange(len(block.sizes)) - np.repeat(starts, block.counts)
        sizes[sim, step_of, slot] = block.sizes
        is_buy[sim, step_of, slot] = block.is_buy
    return _Orders(counts, sizes, is_buy)


class _Candidate(NamedTuple):
    """A planned arbitrage per simulation: its input, expected profit and whether it stands."""

    amount: FloatArray
    profit: FloatArray
    ok: BoolArray


class _Engine:
    def __init__(
        self,
        submission: PoolBatch,
        normalizer: ClosedFormPools,
        norm_fee_bps: FloatArray,
        config: PropAmmConfig,
    ) -> None:
        self.sub = submission
        self.norm = normalizer
        self.norm_fee_bps = norm_fee_bps
        self.config = config
        size = submission.size
        self.sub_edges = _Edges(size)
        self.norm_edges = _Edges(size)
        self.step_index = 0
        self.flow = np.zeros(size)

    # -- one step ----------------------------------------------------------------------------

    def step(self, step: int, fair: FloatArray, arb_size: FloatArray, orders: _Orders, offset: int) -> None:
        self.step_index = self.sub.step = self.norm.step = step
        valid = np.isfinite(fair) & (fair > 0.0)
        self.flow[:] = 0.0
        self._arbitrage_submission(fair, arb_size, valid)
        self._arbitrage_normalizer(fair, valid)
        counts = orders.counts[:, offset]
        for k in range(int(counts.max(initial=0))):
            active = counts > k
            is_buy = orders.is_buy[:, offset, k]
            size = orders.sizes[:, offset, k]
            self._route(0, size, fair, active & is_buy)
            with np.errstate(divide="ignore", invalid="ignore"):
                self._route(1, size / fair, fair, active & ~is_buy)

    # -- arbitrage ---------------------------------------------------------------------------

    def _arbitrage_submission(self, fair: FloatArray, arb_size: FloatArray, valid: BoolArray) -> None:
        pool = self.sub
        min_buy = np.full(fair.shape, max(MIN_INPUT, MIN_ARB_NOTIONAL_Y))
        safe_fair = np.maximum(fair, 1e-9)
        min_sell = np.maximum(MIN_INPUT, MIN_ARB_NOTIONAL_Y / safe_fair)
        start_y = np.minimum(np.maximum(np.maximum(arb_size, MIN_INPUT), min_buy), MAX_INPUT_AMOUNT)
        start_x = np.minimum(np.maximum(start_y / safe_fair, min_sell), MAX_INPUT_AMOUNT)

        def buy_profit(y: FloatArray, mask: BoolArray) -> FloatArray:
            return pool.quote(0, y, mask) * fair - y

        def sell_profit(x: FloatArray, mask: BoolArray) -> FloatArray:
            return pool.quote(1, x, mask) - x * fair

        buy = self._plan_search(0, buy_profit, start_y, min_buy, valid, fair)
        sell = self._plan_search(1, sell_profit, start_x, min_sell, valid, fair)
        self._execute_best(pool, self.sub_edges, buy, sell, fair)

    def _plan_search(
        self,
        side: int,
        profit: Objective,
        start: FloatArray,
        min_input: FloatArray,
        valid: BoolArray,
        fair: FloatArray,
    ) -> _Candidate:
        lo, hi = bracket_maximum(start, min_input, MAX_INPUT_AMOUNT, profit, valid)
        best, _ = golden_section_max(lo, hi, profit, valid)
        return self._candidate(self.sub, side, best, valid & (best >= min_input), fair)

    def _candidate(
        self, pool: PoolBatch, side: int, amount: FloatArray, ok: BoolArray, fair: FloatArray
    ) -> _Candidate:
        """Re-quote a planned arbitrage; it stands if the output is positive and profit clears the floor."""
        out = pool.quote(side, amount, ok)
        profit = out * fair - amount if side == 0 else out - amount * fair
        return _Candidate(amount, profit, ok & (out > 0.0) & (profit >= self.config.min_arb_profit))

    def _arbitrage_normalizer(self, fair: FloatArray, valid: BoolArray) -> None:
        pool = self.norm
        gamma = (10_000.0 - self.norm_fee_bps) / 10_000.0
        rx, ry = pool.reserve_x, pool.reserve_y
        ok = valid & np.isfinite(rx) & np.isfinite(ry) & (rx > 0.0) & (ry > 0.0) & (gamma > 0.0)
        safe_fair = np.maximum(fair, 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            target_buy = np.sqrt(fair * rx * gamma * ry)
            target_sell = np.sqrt(ry * rx * gamma / fair)
        buy_ok = ok & np.isfinite(target_buy) & (target_buy > ry)
        sell_ok = ok & np.isfinite(target_sell) & (target_sell > rx)
        min_sell = np.maximum(MIN_INPUT, MIN_ARB_NOTIONAL_Y / safe_fair)
        with np.errstate(invalid="ignore"):
            y = np.clip((target_buy - ry) / gamma, max(MIN_INPUT, MIN_ARB_NOTIONAL_Y), MAX_INPUT_AMOUNT)
            x = np.minimum(np.maximum((target_sell - rx) / gamma, min_sell), MAX_INPUT_AMOUNT)
        buy = self._candidate(pool, 0, np.where(buy_ok, y, 0.0), buy_ok, fair)
        sell = self._candidate(pool, 1, np.where(sell_ok, x, 0.0), sell_ok, fair)
        self._execute_best(pool, self.norm_edges, buy, sell, fair)

    def _execute_best(
        self, pool: PoolBatch, edges: _Edges, buy: _Candidate, sell: _Candidate, fair: FloatArray
    ) -> None:
        """Execute the better side; selling X wins only when strictly more profitable."""
        take_sell = sell.ok & ~(buy.ok & ~(sell.profit > buy.profit))
        take_buy = buy.ok & ~take_sell
        if take_buy.any():
            out = pool.execute(0, buy.amount, take_buy, self._payload)
            edges.add(buy.amount - out * fair, take_buy & (out > 0.0), arb=True)
        if take_sell.any():
            out = pool.execute(1, sell.amount, take_sell, self._payload)
            edges.add(sell.amount * fair - out, take_sell & (out > 0.0), arb=True)

    # -- retail ------------------------------------------------------------------------------

    def _route(self, side: int, total: FloatArray, fair: FloatArray, active: BoolArray) -> None:
        if not active.any():
            return

        def quote(in_sub: FloatArray, in_norm: FloatArray, mask: BoolArray) -> tuple[FloatArray, FloatArray]:
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
            with np.errstate(divide="ignore", invalid="ignore"):
                self.flow = np.where(go, amount / total, 0.0)
            out = pool.execute(side, amount, go, self._payload)
            edge = amount - out * fair if side == 0 else amount * fair - out
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

"""The ``arena`` ruleset: N strategies and the normalizer share one market (seed 003, done right).

Each step, in this order:

1. the fair price takes a GBM step (the same random streams as ``prop-amm``);
2. every pool is arbitraged against the fair price, independently: both sides are evaluated
   and the more profitable one trades (floors: 0.01 Y of input and ``min_arb_profit`` Y of
   profit); constant-product pools in closed form, ``compute_swap`` pools by a search
   (:func:`arena.amm.arbitrage.precise_search`); then every pool that traded gets its
   ``after_swap``, seeing the other pools' spot prices after the arbitrage;
3. each retail order is split across all pools to maximise the trader's output
   (:mod:`arena.amm.routing`); all legs execute, then every pool that traded gets its
   ``after_swap``, seeing the other pools' spot prices after the whole order;
4. after every ``epoch_len`` steps, and after the last step, the epoch ends: strategies are
   scored on the epoch's edge, capital is reallocated (:mod:`arena.amm.capital`) and every
   strategy's ``epoch_boundary`` hook runs.

The normalizer keeps its sampled fee and liquidity; it is not part of capital allocation.

For speed, the pools of all simulations are held in two flat batches, simulation-major: every
constant-product pool (fee-slot strategies and the normalizer) in one, every ``compute_swap``
pool in the other. A step then costs a fixed number of array operations whatever the number
of pools; only strategy code runs per pool and simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from arena.amm.arbitrage import precise_search
from arena.amm.arena_kernels import arbitrage_batch, route_execute_batch
from arena.amm.capital import capital_weights, rebalance, risk_scores
from arena.amm.config import MarketConfig, option
from arena.amm.cpmm import FEE_SCALE, bps_to_fee
from arena.amm.edges import EdgeBook
from arena.amm.inputs import StepInputs, step_inputs
from arena.amm.nano import to_nano
from arena.amm.params import MarketParams, sample_params
from arena.amm.pools import (
    ClosedFormPools,
    ErrorLog,
    PayloadFactory,
    PoolBatch,
    PoolInstance,
    ScriptedPools,
    Side,
)
from arena.amm.program import StrategyProgram
from arena.amm.routing import route_sampled
from arena.amm.trace import Observer
from arena.payloads import N_COMPETING_PRICES, AfterSwap, EpochBoundary
from arena.storage import Storage

__all__ = ["ArenaConfig", "ArenaResult", "competitor_slots", "simulate_arena"]

MAX_POOLS: Final = 255  # n_strategies is a u8 in the AfterSwap layout

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_T = TypeVar("_T", bound=np.generic)


@dataclass(frozen=True)
class ArenaConfig(MarketConfig):
    """Settings of the ``arena`` ruleset: the shared ones, and epochs and capital."""

    steps: int = option(5_000, "steps per simulation")
    epoch_len: int = option(1_000, "steps per epoch; capital is reallocated after each")
    loss_penalty: float = option(2.0, "λ in score = edge − λ·max(0, −edge)")
    temperature: float = option(1.0, "softmax temperature of capital weights (in Y of score)")
    min_weight: float = option(0.02, "floor of every strategy's capital weight")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.epoch_len < 1:
            raise ValueError("epoch-len must be at least 1")
        if not self.temperature > 0:
            raise ValueError("temperature must be positive")
        if not 0 <= self.min_weight <= 1 or self.loss_penalty < 0:
            raise ValueError("min-weight must be in 0..1 and loss-penalty non-negative")


@dataclass
class ArenaResult:
    """Per-simulation outcomes; pool ``j`` is strategy ``j``, the normalizer is last.

    ``edge``/``arb_edge``/``retail_edge``/``errors`` have shape (S, pools); ``weights`` the
    final capital weights (S, strategies); ``epochs`` one row per simulation, epoch and
    strategy.
    """

    params: list[MarketParams]
    edge: FloatArray
    arb_edge: FloatArray
    retail_edge: FloatArray
    errors: npt.NDArray[np.int64]
    first_error: list[list[str | None]]
    weights: FloatArray
    epochs: pd.DataFrame
    units: npt.NDArray[np.int64]
    calls: npt.NDArray[np.int64]


def competitor_slots(pool: int, count: int, weights: FloatArray) -> list[int]:
    """Which other pools fill the 8 ``competing_spot_prices`` slots of ``pool``'s payload.

    The other strategies in index order, then the normalizer (the last pool). With more than
    eight others, the normalizer is kept with the seven other strategies that have the most
    capital (``weights`` of the strategies; ties to the lower index), in index order.
    """
    normalizer = count - 1
    others = [q for q in range(normalizer) if q != pool]
    if len(others) + 1 > N_COMPETING_PRICES:
        others = sorted(sorted(others, key=lambda q: (-weights[q], q))[: N_COMPETING_PRICES - 1])
    return [*others, normalizer] if pool != normalizer else others[:N_COMPETING_PRICES]


class _Batch:
    """Several pools of every simulation as one flat :class:`PoolBatch` (simulation-major)."""

    def __init__(self, pools: PoolBatch, columns: list[int], sims: int) -> None:
        self.pools = pools
        self.columns = columns  # pool index of each column
        self.width = len(columns)
        self.sims = sims
        self.edges = EdgeBook(pools.size)

    def grid(self, flat: npt.NDArray[_T]) -> npt.NDArray[_T]:
        """A flat per-entry array as (simulations, columns)."""
        return flat.reshape(self.sims, self.width)

    def flat(self, per_sim: npt.NDArray[_T]) -> npt.NDArray[_T]:
        """Repeat a per-simulation array for every column."""
        return np.repeat(per_sim, self.width)

    def where(self, flat_index: int) -> tuple[int, int]:
        """Simulation and pool index of a flat entry."""
        sim, column = divmod(flat_index, self.width)
        return sim, self.columns[column]


def _shares(amounts: FloatArray, total: FloatArray) -> FloatArray:
    """Each pool's share of each simulation's order (0 where there is no order)."""
    return np.divide(
        amounts, total[:, None], out=np.zeros_like(amounts), where=total[:, None] > 0.0
    )


_Trades = tuple[_Batch, Side, FloatArray, FloatArray, BoolArray]
"""Executed trades of a batch: (batch, side(s), inputs, outputs, where traded)."""


def simulate_arena(
    programs: Sequence[StrategyProgram],
    seeds: list[int],
    config: ArenaConfig = ArenaConfig(),
    observer: Observer | None = None,
) -> ArenaResult:
    """Run the strategies of ``programs`` and the normalizer together in each simulation.

    :param observer: called after every step (see :mod:`arena.amm.trace`).
    """
    if not 1 <= len(programs) < MAX_POOLS:
        raise ValueError(f"the arena ruleset takes 1 to {MAX_POOLS - 1} strategies")
    params = [sample_params(seed) for seed in seeds]
    engine = _Engine(programs, params, config)
    for inputs in step_inputs(params, config.steps, config.initial_price):
        engine.step(inputs)
        if observer is not None:
            edges = engine.gather(lambda b: b.edges.total)
            spots = engine.gather(lambda b: b.pools.spot())
            observer(inputs.step, inputs.fair, edges, spots)
    return engine.result(params)


class _Engine:
    def __init__(
        self, programs: Sequence[StrategyProgram], params: list[MarketParams], config: ArenaConfig
    ) -> None:
        self.config = config
        self.sims = len(params)
        self.strategies = len(programs)
        self.count = self.strategies + 1
        self.normalizer = self.strategies
        self.weights = np.full((self.sims, self.strategies), 1.0 / self.strategies)
        capital_weights(self.weights, 1.0, config.min_weight)  # refuse an impossible floor now
        self.batches = self._build(programs, params)
        self.step_index = 0
        self.flow = np.zeros((self.sims, self.count))
        self.spots = np.zeros((self.sims, self.count))
        self.slots = [competitor_slots(p, self.count, self.weights[0]) for p in range(self.count)]
        self.epoch_rows: list[pd.DataFrame] = []

    def _build(
        self, programs: Sequence[StrategyProgram], params: list[MarketParams]
    ) -> list[_Batch]:
        config = self.config
        liquidity = np.array([p.norm_liquidity_mult for p in params])
        closed = [j for j, p in enumerate(programs) if p.closed_form] + [self.normalizer]
        scripted = [j for j, p in enumerate(programs) if not p.closed_form]
        batches = []
        for columns, kind in ((closed, ClosedFormPools), (scripted, ScriptedPools)):
            if not columns:
                continue
            instances: list[PoolInstance] = []
            rx, ry = [], []
            for sim in range(self.sims):
                for j in columns:
                    normal = j == self.normalizer
                    instances.append(PoolInstance(Storage()) if normal else programs[j].instance())
                    scale = liquidity[sim] if normal else 1.0
                    rx.append(config.initial_x * scale)
                    ry.append(config.initial_y * scale)
            pools = kind(instances, np.array(rx), np.array(ry))
            if isinstance(pools, ClosedFormPools):
                fees = np.array([bps_to_fee(p.norm_fee_bps) for p in params], dtype=np.uint64)
                grid = pools.fees.reshape(2, self.sims, len(columns))
                grid[:, :, -1] = fees  # the normalizer is the batch's last column
            batches.append(_Batch(pools, columns, self.sims))
        return batches

    # -- one step ----------------------------------------------------------------------------

    def step(self, inputs: StepInputs) -> None:
        self.step_index = inputs.step
        for batch in self.batches:
            batch.pools.step = inputs.step
        fair = inputs.fair
        valid = np.isfinite(fair) & (fair > 0.0)
        self._arbitrage(fair, valid)
        for k in range(int(inputs.order_counts.max(initial=0))):
            active = (inputs.order_counts > k) & valid
            if active.any():
                self._route(inputs.order_sizes[k], inputs.order_is_buy[k], fair, active)
        if (inputs.step + 1) % self.config.epoch_len == 0 or inputs.step == self.config.steps - 1:
            self._end_epoch(fair)

    def _arbitrage(self, fair: FloatArray, valid: BoolArray) -> None:
        floor = self.config.min_arb_profit
        trades: list[_Trades] = []
        for batch in self.batches:
            pools, price, ok = batch.pools, batch.flat(fair), batch.flat(valid)
            if isinstance(pools, ClosedFormPools):
                chosen_side = np.empty(pools.size, dtype=np.int64)
                amount, out, edge = np.zeros(pools.size), np.zeros(pools.size), np.zeros(pools.size)
                arbitrage_batch(
                    price,
                    pools.reserve_x,
                    pools.reserve_y,
                    pools.fees,
                    floor,
                    chosen_side,
                    amount,
                    out,
                    edge,
                )
                traded = chosen_side >= 0
                if traded.any():
                    batch.edges.add(edge, traded, arb=True)
                    trades.append((batch, np.maximum(chosen_side, 0), amount, out, traded))
                continue
            buy, sell = precise_search(pools, price, ok, floor)
            take_sell = sell.ok & ~(buy.ok & ~(sell.profit > buy.profit))
            for side, candidate, take in ((0, buy, buy.ok & ~take_sell), (1, sell, take_sell)):
                if not take.any():
                    continue
                out = pools.execute(side, candidate.amount, take, None)
                traded = take & (out > 0.0)
                edge = (
                    candidate.amount - out * price if side == 0 else candidate.amount * price - out
                )
                batch.edges.add(edge, traded, arb=True)
                trades.append((batch, side, candidate.amount, out, traded))
        self._notify(trades)

    # -- retail ------------------------------------------------------------------------------

    def _route(
        self, size: FloatArray, is_buy: BoolArray, fair: FloatArray, active: BoolArray
    ) -> None:
        in_x = np.divide(size, fair, out=np.zeros_like(size), where=fair > 0.0)
        total = np.where(active, np.where(is_buy, size, in_x), 0.0)
        scripted = next((b for b in self.batches if isinstance(b.pools, ScriptedPools)), None)
        if scripted is None:
            self._route_compiled(total, is_buy, fair)
            return
        shape = (self.sims, self.count)
        gamma, r_in, r_out = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        usable = np.zeros(shape, dtype=bool)
        for batch in self.batches:
            pools, cols = batch.pools, batch.columns
            rx, ry = batch.grid(pools.reserve_x), batch.grid(pools.reserve_y)
            usable[:, cols] = active[:, None] & (rx > 0.0) & (ry > 0.0)
            if isinstance(pools, ClosedFormPools):
                fee = batch.grid(np.where(batch.flat(is_buy), pools.fees[0], pools.fees[1]))
                gamma[:, cols] = 1.0 - fee / FEE_SCALE
                r_in[:, cols] = np.where(is_buy[:, None], ry, rx)
                r_out[:, cols] = np.where(is_buy[:, None], rx, ry)
        allocation = route_sampled(
            total,
            gamma,
            r_in,
            r_out,
            usable,
            scripted.columns,
            self._quoter(scripted, is_buy, active),
        )
        self.flow = _shares(allocation, total)
        trades: list[_Trades] = []
        for batch in self.batches:
            amount = allocation[:, batch.columns].reshape(-1)
            price = batch.flat(fair)
            for side, mask in ((0, active & is_buy), (1, active & ~is_buy)):
                go = batch.flat(mask) & (amount > 0.0)
                if not go.any():
                    continue
                out = batch.pools.execute(side, amount, go, None)
                traded = go & (out > 0.0)
                edge = amount - out * price if side == 0 else amount * price - out
                batch.edges.add(edge, traded, arb=False)
                trades.append((batch, side, amount, out, traded))
        self._notify(trades)
        self.flow[:] = 0.0

    def _route_compiled(self, total: FloatArray, is_buy: BoolArray, fair: FloatArray) -> None:
        """Every pool is constant-product: split and execute in one compiled pass."""
        (batch,) = self.batches
        pools = batch.pools
        shape = (self.sims, batch.width)
        assert isinstance(pools, ClosedFormPools)
        amount, out, edge = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        route_execute_batch(
            total,
            is_buy,
            fair,
            batch.grid(pools.reserve_x),
            batch.grid(pools.reserve_y),
            pools.fees.reshape(2, *shape),
            amount,
            out,
            edge,
        )
        traded = (out > 0.0).reshape(-1)
        batch.edges.add(edge.reshape(-1), traded, arb=False)
        self.flow = _shares(amount, total)
        buy = batch.flat(is_buy)
        inputs, outputs = amount.reshape(-1), out.reshape(-1)
        self._notify([(batch, np.where(buy, 0, 1), inputs, outputs, traded)])
        self.flow[:] = 0.0

    @staticmethod
    def _quoter(
        batch: _Batch, is_buy: BoolArray, active: BoolArray
    ) -> Callable[[FloatArray], FloatArray]:
        """Quotes of a batch's pools at inputs shaped (simulations, columns, points)."""
        sides = [(0, batch.flat(active & is_buy)), (1, batch.flat(active & ~is_buy))]

        def quote(inputs: FloatArray) -> FloatArray:
            outputs = np.zeros_like(inputs)
            flat_in = inputs.reshape(-1, inputs.shape[-1])
            flat_out = outputs.reshape(-1, inputs.shape[-1])
            for k in range(inputs.shape[-1]):
                wanted = np.isfinite(flat_in[:, k])
                for side, mask in sides:
                    if (mask & wanted).any():
                        flat_out[:, k] += batch.pools.quote(side, flat_in[:, k], mask & wanted)
            return outputs

        return quote

    # -- hooks and payloads ------------------------------------------------------------------

    def _notify(self, trades: list[_Trades]) -> None:
        """Run after_swap for executed trades, all seeing the pools' state after them."""
        if not any(batch.pools.has_after_swap and traded.any() for batch, *_, traded in trades):
            return
        for batch in self.batches:
            self.spots[:, batch.columns] = batch.grid(batch.pools.spot())
        for batch, side, amount, out, traded in trades:
            batch.pools.after_swap(side, amount, out, traded, self._payload(batch))

    def _payload(self, batch: _Batch) -> PayloadFactory:
        step = self.step_index
        epoch_step, epoch = step % self.config.epoch_len, step // self.config.epoch_len
        count, spots, flow, weights = self.count, self.spots, self.flow, self.weights

        def payload(entry: int, side: int, amount: int, out: int, rx: int, ry: int) -> AfterSwap:
            sim, index = batch.where(entry)
            row = spots[sim].tolist()  # one row, as plain floats: cheaper than item by item
            return AfterSwap(
                side, amount, out, rx, ry, step, epoch_step, epoch, count, index,
                flow.item(sim, index), weights.item(sim, index),
                tuple([row[q] for q in self._slots(sim, index)]),
            )  # fmt: skip

        return payload

    def _slots(self, sim: int, index: int) -> list[int]:
        if self.count - 1 <= N_COMPETING_PRICES:
            return self.slots[index]
        return competitor_slots(index, self.count, self.weights[sim])

    # -- epochs ------------------------------------------------------------------------------

    def gather(self, quantity: Callable[[_Batch], FloatArray]) -> FloatArray:
        """A flat per-entry quantity of every batch, as (simulations, pools)."""
        out = np.zeros((self.sims, self.count))
        for batch in self.batches:
            out[:, batch.columns] = batch.grid(quantity(batch))
        return out

    def _end_epoch(self, fair: FloatArray) -> None:
        config = self.config
        epoch = self.step_index // config.epoch_len
        n = self.strategies
        epoch_edge = self.gather(lambda b: b.edges.epoch)[:, :n]
        scores = risk_scores(epoch_edge, config.loss_penalty)
        self.weights = capital_weights(scores, config.temperature, config.min_weight)
        valid = np.isfinite(fair) & (fair > 0.0)
        rx = self.gather(lambda b: b.pools.reserve_x)[:, :n]
        ry = self.gather(lambda b: b.pools.reserve_y)[:, :n]
        new_x, new_y = rebalance(rx, ry, self.weights, np.where(valid, fair, 1.0))
        new_x, new_y = np.where(valid[:, None], new_x, rx), np.where(valid[:, None], new_y, ry)
        for batch in self.batches:
            mine = [c for c, j in enumerate(batch.columns) if j < n]
            strategies = [batch.columns[c] for c in mine]
            batch.grid(batch.pools.reserve_x)[:, mine] = new_x[:, strategies]
            batch.grid(batch.pools.reserve_y)[:, mine] = new_y[:, strategies]
        self.epoch_rows.append(
            pd.DataFrame(
                {
                    "sim": np.repeat(np.arange(self.sims), n),
                    "epoch": epoch,
                    "pool": np.tile(np.arange(n), self.sims),
                    "weight": self.weights.reshape(-1),
                    "epoch_edge": epoch_edge.reshape(-1),
                    "score": scores.reshape(-1),
                }
            )
        )
        total = self.gather(lambda b: b.edges.total)
        for batch in self.batches:
            if not batch.pools.has_epoch_boundary:
                continue
            nano_x = to_nano(batch.pools.reserve_x).tolist()
            nano_y = to_nano(batch.pools.reserve_y).tolist()
            for entry in range(batch.pools.size):
                sim, index = batch.where(entry)
                if index < n:
                    batch.pools.epoch_boundary(
                        entry,
                        EpochBoundary(
                            epoch_number=epoch,
                            new_reserve_x=nano_x[entry],
                            new_reserve_y=nano_y[entry],
                            epoch_edge=float(epoch_edge[sim, index]),
                            cumulative_edge=float(total[sim, index]),
                            capital_weight=float(self.weights[sim, index]),
                        ),
                    )
        for batch in self.batches:
            batch.edges.epoch[:] = 0.0

    # -- results -----------------------------------------------------------------------------

    def result(self, params: list[MarketParams]) -> ArenaResult:
        errors = np.zeros((self.sims, self.count), dtype=np.int64)
        units = np.zeros((self.sims, self.count), dtype=np.int64)
        calls = np.zeros((self.sims, self.count), dtype=np.int64)
        first: list[list[str | None]] = [[None] * self.count for _ in range(self.sims)]
        for batch in self.batches:
            log: ErrorLog = batch.pools.errors
            errors[:, batch.columns] = batch.grid(log.counts)
            units[:, batch.columns] = batch.grid(np.asarray(log.units, dtype=np.int64))
            calls[:, batch.columns] = batch.grid(log.calls)
            for entry, text in enumerate(log.first):
                if text is not None:
                    sim, index = batch.where(entry)
                    first[sim][index] = text
        epochs = (
            pd.concat(self.epoch_rows, ignore_index=True).sort_values(
                ["sim", "epoch", "pool"], kind="stable"
            )
            if self.epoch_rows
            else pd.DataFrame(columns=["sim", "epoch", "pool", "weight", "epoch_edge", "score"])
        )
        return ArenaResult(
            params=params,
            edge=self.gather(lambda b: b.edges.total),
            arb_edge=self.gather(lambda b: b.edges.arb),
            retail_edge=self.gather(lambda b: b.edges.retail),
            errors=errors,
            first_error=first,
            weights=self.weights,
            epochs=epochs.reset_index(drop=True),
            units=units,
            calls=calls,
        )

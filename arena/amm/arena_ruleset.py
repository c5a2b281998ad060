"""The ``arena`` ruleset: N strategies and the normalizer share one market (seed 003, done right).

Each step, in this order:

1. the fair price takes a GBM step (the same random streams as ``prop-amm``);
2. every pool is arbitraged against the fair price, independently: both sides are evaluated
   and the more profitable one trades (floors: 0.01 Y of input and ``min_arb_profit`` Y of
   profit); constant-product pools in closed form, ``compute_swap`` pools by a precise
   search (:mod:`arena.amm.searches`); then every pool that traded gets its ``after_swap``,
   seeing the other pools' spot prices after the arbitrage;
3. each retail order is split across all pools to maximise the trader's output
   (:mod:`arena.amm.routing`); all legs execute, then every pool that traded gets its
   ``after_swap``, seeing the other pools' spot prices after the whole order;
4. after every ``epoch_len`` steps, and after the last step, the epoch ends: strategies are
   scored on the epoch's edge, capital is reallocated (:mod:`arena.amm.capital`) and every
   strategy's ``epoch_boundary`` hook runs.

The normalizer keeps its sampled fee and liquidity; it is not part of capital allocation.

Each simulation runs compiled through an epoch at a time (:mod:`arena.amm.arena_engine`),
stopping only when it needs strategy code, which :func:`arena.amm.requests.serve` runs.
Epoch ends are vectorised across simulations here.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from arena.amm.arena_engine import (
    EDGE_ARB,
    EDGE_EPOCH,
    EDGE_RETAIL,
    EDGE_TOTAL,
    FEE_SLOTS_POOL,
    FIXED_POOL,
    SCRIPTED_POOL,
    arena_requests,
)
from arena.amm.capital import capital_weights, rebalance, risk_scores
from arena.amm.config import ArenaConfig
from arena.amm.cpmm import bps_to_fee
from arena.amm.inputs import BlockInputs, input_blocks
from arena.amm.nano import to_nano
from arena.amm.params import MarketParams, sample_params
from arena.amm.program import StrategyProgram
from arena.amm.requests import SwapRecord, record_builder, serve
from arena.amm.trace import Observer
from arena.payloads import N_COMPETING_PRICES, AfterSwap, EpochBoundary
from arena.storage import STORAGE_SIZE

__all__ = ["ArenaConfig", "ArenaResult", "competitor_slots", "simulate_arena"]

MAX_POOLS: Final = 255  # n_strategies is a u8 in the AfterSwap layout

FloatArray = npt.NDArray[np.float64]
_NO_TRACE: Final = np.zeros((0, 0, 0, 0))
_after_swap: Final = record_builder(AfterSwap)


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
    epoch_len, steps = config.epoch_len, config.steps
    # Arbitrage here is closed-form or a precise search: no random start sizes to draw.
    for block in input_blocks(params, steps, config.initial_price, arbitrage=False):
        width = block.prices.shape[1]
        trace = np.zeros((len(seeds), width, 2, engine.count)) if observer else _NO_TRACE
        first = 0
        while first < width:
            # Run to the end of the epoch or of the block, whichever comes first.
            epoch_end = (block.first_step + first) // epoch_len * epoch_len + epoch_len
            last = min(width, epoch_end - block.first_step)
            engine.run(block, first, last, trace)
            step = block.first_step + last - 1
            if step + 1 == epoch_end or step == steps - 1:
                engine.end_epoch(step, block.prices[:, last - 1])
                if observer is not None:  # capital moved: the step ends with these spots
                    trace[:, last - 1, 1] = engine.spots()
            first = last
        if observer is not None:
            for t in range(width):
                observer(block.first_step + t, block.prices[:, t], trace[:, t, 0], trace[:, t, 1])
    return engine.result(params)


class _Engine:
    """Every simulation's pools as the compiled engine reads and writes them; epoch ends."""

    def __init__(
        self, programs: Sequence[StrategyProgram], params: list[MarketParams], config: ArenaConfig
    ) -> None:
        self.config = config
        sims = self.sims = len(params)
        n = self.strategies = len(programs)
        count = self.count = n + 1
        self.weights = np.full((sims, n), 1.0 / n)
        capital_weights(self.weights, 1.0, config.min_weight)  # refuse an impossible floor now
        memory = np.zeros((sims, count, STORAGE_SIZE), dtype=np.uint8)
        self.words = memory.view(np.uint64)
        self.hosts = [program.host(sims, memory[:, j]) for j, program in enumerate(programs)]
        #: Each simulation's strategy code by pool (the normalizer, last, has none).
        self.pools = [[host.simulations[sim] for host in self.hosts] for sim in range(sims)]
        scale = np.ones((sims, count))
        scale[:, n] = [p.norm_liquidity_mult for p in params]
        self.rx = config.initial_x * scale
        self.ry = config.initial_y * scale
        self.fees = np.zeros((sims, count, 2), dtype=np.uint64)
        self.fees[:, n] = np.array([bps_to_fee(p.norm_fee_bps) for p in params])[:, None]
        self.kinds = np.full(count, FIXED_POOL, dtype=np.int64)
        self.hooked = np.zeros(count, dtype=np.bool_)
        for j, host in enumerate(self.hosts):
            self.kinds[j] = SCRIPTED_POOL if host.scripted else FEE_SLOTS_POOL
            self.hooked[j] = host.has_after_swap
            if not host.scripted:
                self.fees[:, j] = host.fee_units()
        self.slots = np.zeros((sims, count, min(n, N_COMPETING_PRICES)), dtype=np.int64)
        self._fill_slots()
        self.edges = np.zeros((sims, count, 4))
        self.answer = np.zeros(1, dtype=np.uint64)
        self.competing = np.zeros(self.slots.shape[2])
        # read per hook call: one struct unpack makes the tuple of floats
        unpack = struct.Struct(f"={self.competing.size}d").unpack_from
        self.competing_prices = partial(unpack, self.competing.data)
        self.weight_rows = self.weights.tolist()  # read per hook call: plain floats are faster
        self.epoch_rows: list[pd.DataFrame] = []

    def _fill_slots(self) -> None:
        """Each strategy's competitors (the normalizer's row is never read)."""
        if self.count - 1 <= N_COMPETING_PRICES:  # every other pool is shown, whatever weights
            for j in range(self.strategies):
                self.slots[:, j] = competitor_slots(j, self.count, self.weights[0])
            return
        for sim in range(self.sims):
            for j in range(self.strategies):
                self.slots[sim, j] = competitor_slots(j, self.count, self.weights[sim])

    def spots(self) -> FloatArray:
        """Every pool's spot price ``reserve_y / reserve_x`` (NaN where the pool is empty)."""
        live = self.rx > 1e-12
        return np.divide(self.ry, self.rx, out=np.full(self.rx.shape, np.nan), where=live)

    # -- steps -------------------------------------------------------------------------------

    def run(self, block: BlockInputs, first: int, last: int, trace: FloatArray) -> None:
        """Advance every simulation through steps ``first .. last - 1`` of ``block`` (all in
        one epoch)."""
        arrays = (block.prices, block.order_counts, block.order_sizes, block.order_is_buy)
        state = (self.rx, self.ry, self.fees, self.words, self.kinds, self.hooked, self.slots)
        answer = self.answer.data
        record = self._records(block.first_step + first)
        for sim in range(self.sims):
            requests = arena_requests(
                sim, first, last, block.first_step, self.config.min_arb_profit, *arrays, *state,
                self.edges, self.answer, self.competing, trace,
            )  # fmt: skip
            serve(requests, sim, self.pools[sim], answer, record)

    def _records(self, step: int) -> SwapRecord:
        """What builds the ``after_swap`` records of trades in the epoch of ``step`` (see
        :func:`arena.amm.requests.serve`); it runs per trade, so it reads nothing twice."""
        epoch = step // self.config.epoch_len
        start = epoch * self.config.epoch_len
        count, weights, competing_prices = self.count, self.weight_rows, self.competing_prices

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
        ) -> AfterSwap:
            return _after_swap((
                side, amount, out, rx, ry, step, step - start, epoch, count, pool, flow,
                weights[sim][pool], competing_prices(),
            ))  # fmt: skip

        return record

    # -- epochs ------------------------------------------------------------------------------

    def end_epoch(self, step: int, fair: FloatArray) -> None:
        """Score the epoch, reallocate capital and run the ``epoch_boundary`` hooks."""
        config, n = self.config, self.strategies
        epoch = step // config.epoch_len
        epoch_edge = self.edges[:, :n, EDGE_EPOCH].copy()
        scores = risk_scores(epoch_edge, config.loss_penalty)
        self.weights = capital_weights(scores, config.temperature, config.min_weight)
        self.weight_rows = self.weights.tolist()
        valid = np.isfinite(fair) & (fair > 0.0)
        rx, ry = self.rx[:, :n], self.ry[:, :n]
        new_x, new_y = rebalance(rx, ry, self.weights, np.where(valid, fair, 1.0))
        rx[:], ry[:] = np.where(valid[:, None], new_x, rx), np.where(valid[:, None], new_y, ry)
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
        total = self.edges[:, :, EDGE_TOTAL]
        for j, host in enumerate(self.hosts):
            if not host.has_epoch_boundary:
                continue
            nano_x, nano_y = to_nano(rx[:, j]).tolist(), to_nano(ry[:, j]).tolist()
            for sim in range(self.sims):
                record = EpochBoundary(
                    epoch_number=epoch,
                    new_reserve_x=nano_x[sim],
                    new_reserve_y=nano_y[sim],
                    epoch_edge=float(epoch_edge[sim, j]),
                    cumulative_edge=float(total[sim, j]),
                    capital_weight=float(self.weights[sim, j]),
                )
                host.simulations[sim].epoch_boundary(record, step)
            if not host.scripted:
                self.fees[:, j] = host.fee_units()
        self.edges[:, :, EDGE_EPOCH] = 0.0
        if self.count - 1 > N_COMPETING_PRICES:
            self._fill_slots()

    # -- results -----------------------------------------------------------------------------

    def result(self, params: list[MarketParams]) -> ArenaResult:
        shape = (self.sims, self.count)
        errors = np.zeros(shape, dtype=np.int64)
        units = np.zeros(shape, dtype=np.int64)
        calls = np.zeros(shape, dtype=np.int64)
        first: list[list[str | None]] = [[None] * self.count for _ in range(self.sims)]
        for j, host in enumerate(self.hosts):
            errors[:, j], units[:, j], calls[:, j] = host.errors.counts, host.units(), host.calls()
            for sim, text in enumerate(host.errors.first):
                first[sim][j] = text
        epochs = (
            pd.concat(self.epoch_rows, ignore_index=True).sort_values(
                ["sim", "epoch", "pool"], kind="stable"
            )
            if self.epoch_rows
            else pd.DataFrame(columns=["sim", "epoch", "pool", "weight", "epoch_edge", "score"])
        )
        return ArenaResult(
            params=params,
            edge=self.edges[:, :, EDGE_TOTAL].copy(),
            arb_edge=self.edges[:, :, EDGE_ARB].copy(),
            retail_edge=self.edges[:, :, EDGE_RETAIL].copy(),
            errors=errors,
            first_error=first,
            weights=self.weights,
            epochs=epochs.reset_index(drop=True),
            units=units,
            calls=calls,
        )

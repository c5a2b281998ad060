"""The compiled ``arena`` simulation: every strategy's pool and the normalizer (numba).

:func:`arena_requests` runs one simulation through a stretch of steps (within one epoch) by
the rules of :mod:`arena.amm.arena_ruleset`, and yields a request (:mod:`arena.amm.requests`)
whenever it needs strategy code: a quote from a ``compute_swap`` pool, or a trade to report
to an ``after_swap`` hook. Constant-product pools (fees in storage, or the normalizer's) are
priced here; after a fee-slot pool's ``after_swap`` its fees are re-read from its storage. A
field without strategy code never yields: the whole stretch runs compiled.

Array layouts (S simulations, B steps in the block, K the most orders in a step, P pools with
the normalizer last): ``prices``, ``counts`` (S, B); ``sizes`` (Y) and ``is_buy`` (S, B, K);
``rx``, ``ry`` (S, P); ``fees`` (S, P, 2) uint64 in 1e-9 units; ``words``
(S, P, 128): every pool's storage as u64 words; ``edges`` (S, P, 4): total, arbitrage,
retail, this epoch. Reserves, fees and edges are updated in place.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numba import njit

from arena.amm.kernels import (
    better_side,
    closed_candidate,
    execute,
    execute_best,
    leg_edge,
    quotable,
    settle,
    spot_price,
    storage_fees,
)
from arena.amm.requests import accepted, quote_request, swap_request
from arena.amm.routing import (
    MAX_SAMPLES,
    REFINE_POINTS,
    REFINE_ROUNDS,
    SAMPLE_FRACTIONS,
    concave_hull,
    refinement_points,
    route,
    waterfill,
)
from arena.amm.searches import (
    ARB_STATE,
    POINT,
    PRECISE_MAX_ITERS,
    PRECISE_REL_TOL,
    arb_begin,
    arb_result,
    arb_tell,
    min_inputs,
)

__all__ = [
    "EDGE_ARB",
    "EDGE_EPOCH",
    "EDGE_RETAIL",
    "EDGE_TOTAL",
    "FEE_SLOTS_POOL",
    "FIXED_POOL",
    "SCRIPTED_POOL",
    "arena_requests",
    "sampled_split",
]

#: Pool kinds: constant product with fees in storage slots 0 and 1 (a strategy without
#: ``compute_swap``), constant product with fixed fees (the normalizer), quoted by strategy code.
FEE_SLOTS_POOL: Final = 0
FIXED_POOL: Final = 1
SCRIPTED_POOL: Final = 2

_FEE_SCALE = 1e9
#: Columns of ``edges``: each pool's total, arbitrage and retail edge, and this epoch's.
EDGE_TOTAL, EDGE_ARB, EDGE_RETAIL, EDGE_EPOCH = range(4)


@njit(cache=True)
def _book(edges, sim, pool, part, edge):  # type: ignore[no-untyped-def]
    edges[sim, pool, EDGE_TOTAL] += edge
    edges[sim, pool, part] += edge
    edges[sim, pool, EDGE_EPOCH] += edge


@njit(cache=True)
def _quote_site(sim, pool, side, amount, rx, ry, step, answer, out):  # type: ignore[no-untyped-def]
    """Ask Python for a ``compute_swap`` quote (a sub-generator); the output goes to ``out[0]``."""
    out[0] = 0.0
    if quotable(amount, rx, ry):
        yield quote_request(pool, side, amount, rx, ry, step)
        out[0] = accepted(answer[0], side, rx, ry)


@njit(cache=True)
def _scripted_arbitrage(  # type: ignore[no-untyped-def]
    sim, pool, fair, rx, ry, min_profit, step, answer, search, out, trade
):
    """Search both sides of a ``compute_swap`` pool and trade the better one (a sub-generator).

    ``trade`` is set to (side or -1, input, output, new reserve x, new reserve y).
    """
    min_buy, min_sell = min_inputs(fair)
    buy_in = buy_profit = sell_in = sell_profit = 0.0
    buy_ok = sell_ok = False
    for side in range(2):
        floor = min_buy if side == 0 else min_sell
        arb_begin(
            search, side, fair, floor, floor, rx, ry, True, PRECISE_MAX_ITERS, PRECISE_REL_TOL,
            min_profit,
        )  # fmt: skip
        while True:
            for request in _quote_site(sim, pool, side, search[POINT], rx, ry, step, answer, out):
                yield request
            if not arb_tell(search, out[0]):
                break
        if side == 0:
            buy_in, buy_profit, buy_ok = arb_result(search)
        else:
            sell_in, sell_profit, sell_ok = arb_result(search)
    trade[0] = -1.0
    side = better_side(buy_ok, buy_profit, sell_ok, sell_profit)
    if side >= 0:
        amount = sell_in if side == 1 else buy_in
        for request in _quote_site(sim, pool, side, amount, rx, ry, step, answer, out):
            yield request
        got, new_rx, new_ry = settle(side, amount, out[0], rx, ry)
        if got > 0.0:
            trade[0], trade[1], trade[2], trade[3], trade[4] = side, amount, got, new_rx, new_ry


@njit(cache=True)
def _notify(  # type: ignore[no-untyped-def]
    sim, step, trades, rx, ry, fees, words, kinds, hooked, slots, competing
):
    """Report the pools' trades to their ``after_swap`` hooks (a sub-generator).

    ``trades`` is (P, 4): side or -1, input, output, share of the order; every hook sees the
    other pools' spots as they are now, and a fee-slot pool's fees are re-read after its hook.
    """
    for pool in range(kinds.shape[0]):
        side = int(trades[pool, 0])
        if side < 0 or not hooked[pool]:
            continue
        for n in range(slots.shape[2]):
            other = slots[sim, pool, n]
            competing[n] = spot_price(rx[sim, other], ry[sim, other])
        yield swap_request(
            pool, side, trades[pool, 1], trades[pool, 2], rx[sim, pool], ry[sim, pool], step,
            trades[pool, 3],
        )  # fmt: skip
        if kinds[pool] == FEE_SLOTS_POOL:
            fees[sim, pool, 0], fees[sim, pool, 1] = storage_fees(words[sim, pool])


@njit(cache=True)
def _sort_samples(inputs, outputs, count):  # type: ignore[no-untyped-def]
    """Sort a pool's first ``count`` samples by input (stable)."""
    order = np.argsort(inputs[:count], kind="mergesort")
    inputs[:count] = inputs[:count][order]
    outputs[:count] = outputs[:count][order]


@njit(cache=True)
def sampled_split(  # type: ignore[no-untyped-def]
    sim, step, side, total, rx, ry, gamma, r_in, r_out, usable, scripted, answer, out, work, x
):
    """Split an order when some pools are quoted by strategy code (a sub-generator).

    Those pools are sampled, the split is solved on their concave hulls and refined around
    each pool's share (see :mod:`arena.amm.routing`); ``x`` receives the input per pool.
    ``work`` is (4, Q, MAX_SAMPLES) scratch: inputs, outputs, hull lengths and slopes.
    """
    inputs, outputs, lengths, slopes = work[0], work[1], work[2], work[3]
    counts = np.zeros(scripted.shape[0], dtype=np.int64)
    points = np.empty(REFINE_POINTS)
    for q in range(scripted.shape[0]):
        pool = scripted[q]
        for n in range(SAMPLE_FRACTIONS.shape[0]):
            amount = total * SAMPLE_FRACTIONS[n]
            for request in _quote_site(
                sim, pool, side, amount, rx[sim, pool], ry[sim, pool], step, answer, out
            ):
                yield request
            inputs[q, n], outputs[q, n] = amount, out[0]
        counts[q] = SAMPLE_FRACTIONS.shape[0]
    for round_ in range(REFINE_ROUNDS + 1):
        for q in range(scripted.shape[0]):
            _sort_samples(inputs[q], outputs[q], counts[q])
            concave_hull(inputs[q], outputs[q], counts[q], lengths[q], slopes[q])
        route(total, gamma, r_in, r_out, usable, scripted, counts, lengths, slopes, x)
        if round_ == REFINE_ROUNDS:
            return
        refined = False
        for q in range(scripted.shape[0]):
            pool = scripted[q]
            if not x[pool] > 0.0:
                continue  # a pool that receives nothing needs no finer model
            refined = True
            refinement_points(inputs[q], counts[q], x[pool], points)
            for n in range(REFINE_POINTS):
                for request in _quote_site(
                    sim, pool, side, points[n], rx[sim, pool], ry[sim, pool], step, answer, out
                ):
                    yield request
                inputs[q, counts[q]], outputs[q, counts[q]] = points[n], out[0]
                counts[q] += 1
        if not refined:
            return


@njit(
    "(int64, int64, int64, int64, float64[:, ::1], int64[:, ::1], float64[:, :, ::1],"
    " boolean[:, :, ::1], float64[:, ::1], float64[:, ::1], uint64[:, :, ::1],"
    " uint64[:, :, ::1], int64[::1], boolean[::1], int64[:, :, ::1], float64, float64[:, :, ::1],"
    " uint64[::1], float64[::1], float64[:, :, :, ::1])",
    cache=True,
)
def arena_requests(  # type: ignore[no-untyped-def]
    sim,
    first,
    last,
    first_step,
    prices,
    counts,
    sizes,
    is_buy,
    rx,
    ry,
    fees,
    words,
    kinds,
    hooked,
    slots,
    min_profit,
    edges,
    answer,
    competing,
    trace,
):
    """Run simulation ``sim`` through steps ``first .. last - 1`` of a block, yielding requests.

    :param first_step: the block's first step number.
    :param kinds: each pool's kind (:data:`FEE_SLOTS_POOL`, ...); ``hooked``: it has
        ``after_swap``.
    :param slots: (S, P, k): the pools whose spots fill each pool's ``competing`` prices.
    :param answer: where the answer to a quote is put before the generator resumes.
    :param competing: set to the competing spots before each ``after_swap`` request.
    :param trace: (S, B, 2, P) filled with every pool's cumulative edge and spot after every
        step, or of size 0 to record nothing.
    """
    pools = kinds.shape[0]
    scripted = np.flatnonzero(kinds == SCRIPTED_POOL)
    search = np.empty(ARB_STATE)
    out = np.zeros(1)
    trade = np.zeros(5)
    trades = np.zeros((pools, 4))
    gamma, r_in, r_out, x = np.zeros(pools), np.zeros(pools), np.zeros(pools), np.zeros(pools)
    usable = np.zeros(pools, dtype=np.bool_)
    work = np.zeros((4, scripted.shape[0], MAX_SAMPLES))
    for t in range(first, last):
        step = first_step + t
        fair = prices[sim, t]
        if math.isfinite(fair) and fair > 0.0:
            # Every pool is arbitraged on its own; then the hooks see all pools after it.
            for pool in range(pools):
                trades[pool, 0] = -1.0
                if kinds[pool] == SCRIPTED_POOL:
                    for request in _scripted_arbitrage(
                        sim, pool, fair, rx[sim, pool], ry[sim, pool], min_profit, step, answer,
                        search, out, trade,
                    ):  # fmt: skip
                        yield request
                    if trade[0] < 0.0:
                        continue
                    side, amount, got = int(trade[0]), trade[1], trade[2]
                    rx[sim, pool], ry[sim, pool] = trade[3], trade[4]
                    edge = leg_edge(side, amount, got, fair)
                else:
                    pool_fees = (fees[sim, pool, 0], fees[sim, pool, 1])
                    buy = closed_candidate(
                        0, fair, rx[sim, pool], ry[sim, pool], 1.0 - pool_fees[0] / _FEE_SCALE,
                        pool_fees[0], min_profit,
                    )  # fmt: skip
                    sell = closed_candidate(
                        1, fair, rx[sim, pool], ry[sim, pool], 1.0 - pool_fees[1] / _FEE_SCALE,
                        pool_fees[1], min_profit,
                    )  # fmt: skip
                    side, amount, got, edge, rx[sim, pool], ry[sim, pool] = execute_best(
                        buy, sell, fair, rx[sim, pool], ry[sim, pool], pool_fees
                    )
                    if side < 0:
                        continue
                _book(edges, sim, pool, EDGE_ARB, edge)
                trades[pool, 0], trades[pool, 1], trades[pool, 2] = side, amount, got
                trades[pool, 3] = 0.0
            for request in _notify(
                sim, step, trades, rx, ry, fees, words, kinds, hooked, slots, competing
            ):
                yield request
            for k in range(counts[sim, t]):
                side = 0 if is_buy[sim, t, k] else 1
                total = sizes[sim, t, k] if side == 0 else sizes[sim, t, k] / fair
                if not total > 0.0:
                    continue
                for pool in range(pools):
                    usable[pool] = rx[sim, pool] > 0.0 and ry[sim, pool] > 0.0
                    gamma[pool] = r_in[pool] = r_out[pool] = 0.0
                    if kinds[pool] != SCRIPTED_POOL:
                        gamma[pool] = 1.0 - fees[sim, pool, side] / _FEE_SCALE
                        r_in[pool] = ry[sim, pool] if side == 0 else rx[sim, pool]
                        r_out[pool] = rx[sim, pool] if side == 0 else ry[sim, pool]
                if scripted.shape[0] == 0:
                    waterfill(total, gamma, r_in, r_out, usable, x)
                else:
                    for request in sampled_split(
                        sim, step, side, total, rx, ry, gamma, r_in, r_out, usable, scripted,
                        answer, out, work, x,
                    ):  # fmt: skip
                        yield request
                # Every leg executes; then the hooks see all pools after the whole order.
                for pool in range(pools):
                    trades[pool, 0] = -1.0
                    amount = x[pool]
                    if not amount > 0.0:
                        continue
                    if kinds[pool] == SCRIPTED_POOL:
                        for request in _quote_site(
                            sim, pool, side, amount, rx[sim, pool], ry[sim, pool], step, answer,
                            out,
                        ):  # fmt: skip
                            yield request
                        got, rx[sim, pool], ry[sim, pool] = settle(
                            side, amount, out[0], rx[sim, pool], ry[sim, pool]
                        )
                    else:
                        got, rx[sim, pool], ry[sim, pool] = execute(
                            side, amount, rx[sim, pool], ry[sim, pool], fees[sim, pool, side]
                        )
                    if got > 0.0:
                        _book(edges, sim, pool, EDGE_RETAIL, leg_edge(side, amount, got, fair))
                        trades[pool, 0], trades[pool, 1], trades[pool, 2] = side, amount, got
                        trades[pool, 3] = amount / total
                for request in _notify(
                    sim, step, trades, rx, ry, fees, words, kinds, hooked, slots, competing
                ):
                    yield request
        if trace.shape[0]:
            for pool in range(pools):
                trace[sim, t, 0, pool] = edges[sim, pool, EDGE_TOTAL]
                trace[sim, t, 1, pool] = spot_price(rx[sim, pool], ry[sim, pool])

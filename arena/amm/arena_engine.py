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
from numba.core import types

from arena.amm.bundle import address_of, borrowed, bundle_at, bundle_type, new_bundle
from arena.amm.jit import njit
from arena.amm.kernels import (
    better_side,
    closed_candidate,
    execute,
    execute_best,
    leg_edge,
    quotable,
    retail_order,
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
    WATERFILL_ROWS,
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
from arena.storage import N_SLOTS

__all__ = [
    "EDGE_ARB",
    "EDGE_EPOCH",
    "EDGE_RETAIL",
    "EDGE_TOTAL",
    "FEE_SLOTS_POOL",
    "FIXED_POOL",
    "SCRIPTED_POOL",
    "arena_arrays",
    "arena_requests",
    "sampled_split",
    "split_requests",
]

#: Pool kinds: constant product with fees in storage slots 0 and 1 (a strategy without
#: ``compute_swap``), constant product with fixed fees (the normalizer), quoted by strategy code.
FEE_SLOTS_POOL: Final = 0
FIXED_POOL: Final = 1
SCRIPTED_POOL: Final = 2

_FEE_SCALE = 1e9
#: Columns of ``edges``: each pool's total, arbitrage and retail edge, and this epoch's.
EDGE_TOTAL, EDGE_ARB, EDGE_RETAIL, EDGE_EPOCH = range(4)


#: The arrays :func:`arena_requests` is given (see the module's layouts).
_GIVEN: Final = {
    "prices": types.float64[:, ::1],
    "counts": types.int64[:, ::1],
    "sizes": types.float64[:, :, ::1],
    "is_buy": types.boolean[:, :, ::1],
    "rx": types.float64[:, ::1],
    "ry": types.float64[:, ::1],
    "fees": types.uint64[:, :, ::1],
    "words": types.uint64[:, :, ::1],
    "kinds": types.int64[::1],
    "hooked": types.boolean[::1],
    "slots": types.int64[:, :, ::1],
    "edges": types.float64[:, :, ::1],
    "answer": types.uint64[::1],
    "competing": types.float64[::1],
    "trace": types.float64[:, :, :, ::1],
}
#: Everything :func:`arena_requests` works on, bundled by :func:`arena_arrays` (see
#: :mod:`arena.amm.bundle`): the given arrays and its working arrays: the scripted pools; the
#: arbitrage search, a quote's output, a trade; each pool's trade (side or -1, input, output,
#: share of the order); the router's inputs, split and work arrays; the scripted pools'
#: sample inputs, outputs, hull lengths and slopes (4, Q, MAX_SAMPLES), sample counts and
#: refinement points; where :func:`_advance` stopped.
ARENA_ARRAYS: Final = bundle_type(
    **_GIVEN,
    scripted=types.int64[::1],
    search=types.float64[::1],
    out=types.float64[::1],
    trade=types.float64[::1],
    trades=types.float64[:, ::1],
    gamma=types.float64[::1],
    r_in=types.float64[::1],
    r_out=types.float64[::1],
    usable=types.boolean[::1],
    x=types.float64[::1],
    fill=types.float64[:, ::1],
    fill_order=types.int64[::1],
    work=types.float64[:, :, ::1],
    samples=types.int64[::1],
    points=types.float64[::1],
    cursor=types.int64[::1],
)


@njit(cache=True)
def arena_arrays(  # type: ignore[no-untyped-def]
    prices, counts, sizes, is_buy, rx, ry, fees, words, kinds, hooked, slots, edges, answer,
    competing, trace,
):  # fmt: skip
    """Bundle the arrays of :func:`arena_requests` with new working arrays."""
    a = new_bundle(ARENA_ARRAYS)
    a.prices, a.counts, a.sizes, a.is_buy = prices, counts, sizes, is_buy
    a.rx, a.ry, a.fees, a.words = rx, ry, fees, words
    a.kinds, a.hooked, a.slots, a.edges = kinds, hooked, slots, edges
    a.answer, a.competing, a.trace = answer, competing, trace
    pools = kinds.shape[0]
    a.scripted = np.flatnonzero(kinds == SCRIPTED_POOL)
    a.search, a.out, a.trade = np.empty(ARB_STATE), np.zeros(1), np.zeros(5)
    a.trades = np.zeros((pools, 4))
    a.gamma, a.r_in, a.r_out = np.zeros(pools), np.zeros(pools), np.zeros(pools)
    a.usable, a.x = np.zeros(pools, dtype=np.bool_), np.zeros(pools)
    a.fill, a.fill_order = np.zeros((WATERFILL_ROWS, pools)), np.zeros(pools, dtype=np.int64)
    a.work = np.zeros((4, a.scripted.shape[0], MAX_SAMPLES))
    a.samples = np.zeros(a.scripted.shape[0], dtype=np.int64)
    a.points = np.empty(REFINE_POINTS)
    a.cursor = np.zeros(3, dtype=np.int64)
    return a


@njit(cache=True)
def _book(edges, sim, pool, part, edge):  # type: ignore[no-untyped-def]
    edges[sim, pool, EDGE_TOTAL] += edge
    edges[sim, pool, part] += edge
    edges[sim, pool, EDGE_EPOCH] += edge


@njit(cache=True)
def _quote_site(address, pool, side, amount, rx, ry, step):  # type: ignore[no-untyped-def]
    """Ask Python for a ``compute_swap`` quote (a sub-generator); its output goes to ``a.out[0]``.

    The quote is skipped (output 0) where the amount is not quotable. ``address``: the bundle's
    (sub-generators take the address, see :mod:`arena.amm.bundle`).
    """
    a = bundle_at(ARENA_ARRAYS, address)
    a.out[0] = 0.0
    if quotable(amount, rx, ry):
        yield quote_request(pool, side, amount, rx, ry, step)
        a.out[0] = accepted(a.answer[0], side, rx, ry)


@njit(cache=True)
def _scripted_arbitrage(address, pool, fair, rx, ry, min_profit, step):  # type: ignore[no-untyped-def]
    """Search both sides of a ``compute_swap`` pool and trade the better one (a sub-generator).

    ``a.trade`` is set to (side or -1, input, output, new reserve x, new reserve y).
    """
    a = bundle_at(ARENA_ARRAYS, address)
    min_buy, min_sell = min_inputs(fair)
    buy_in = buy_profit = sell_in = sell_profit = 0.0
    buy_ok = sell_ok = False
    for side in range(2):
        floor = min_buy if side == 0 else min_sell
        arb_begin(
            a.search, side, fair, floor, floor, rx, ry, True, PRECISE_MAX_ITERS, PRECISE_REL_TOL,
            min_profit,
        )  # fmt: skip
        while True:
            # Quoted here, not by _quote_site: a sub-generator is one more pause per quote.
            x, out = a.search[POINT], 0.0
            if quotable(x, rx, ry):
                yield quote_request(pool, side, x, rx, ry, step)
                out = accepted(a.answer[0], side, rx, ry)
            if not arb_tell(a.search, out):
                break
        if side == 0:
            buy_in, buy_profit, buy_ok = arb_result(a.search)
        else:
            sell_in, sell_profit, sell_ok = arb_result(a.search)
    a.trade[0] = -1.0
    side = better_side(buy_ok, buy_profit, sell_ok, sell_profit)
    if side >= 0:
        amount = sell_in if side == 1 else buy_in
        for request in _quote_site(address_of(a), pool, side, amount, rx, ry, step):  # noqa: UP028 (numba)
            yield request
        got, new_rx, new_ry = settle(side, amount, a.out[0], rx, ry)
        if got > 0.0:
            a.trade[0], a.trade[1], a.trade[2], a.trade[3], a.trade[4] = (
                side, amount, got, new_rx, new_ry,
            )  # fmt: skip


@njit(cache=True)
def _traded(edges, trades, sim, pool, part, side, amount, got, edge, share):  # type: ignore[no-untyped-def]
    """Book a pool's trade in ``edges`` and note it in ``trades`` for its hook."""
    _book(edges, sim, pool, part, edge)
    trades[pool, 0], trades[pool, 1], trades[pool, 2] = side, amount, got
    trades[pool, 3] = share


@njit(cache=True)
def _first_notice(trades, hooked, start):  # type: ignore[no-untyped-def]
    """The first pool from ``start`` on that traded and has ``after_swap`` (the pool count if
    none)."""
    for pool in range(start, hooked.shape[0]):
        if trades[pool, 0] >= 0.0 and hooked[pool]:
            return pool
    return hooked.shape[0]


@njit(cache=True)
def _set_competing(slots, rx, ry, competing, sim, pool):  # type: ignore[no-untyped-def]
    """Put the spots of ``pool``'s competitors in ``competing``, for its ``after_swap``."""
    for n in range(slots.shape[2]):
        other = slots[sim, pool, n]
        competing[n] = spot_price(rx[sim, other], ry[sim, other])


@njit(cache=True)
def _swap_notice(a, sim, pool, step):  # type: ignore[no-untyped-def]
    """The ``AFTER_SWAP`` request of the trade noted for ``pool`` in ``a.trades``."""
    trades = a.trades
    return swap_request(
        pool, int(trades[pool, 0]), trades[pool, 1], trades[pool, 2], a.rx[sim, pool],
        a.ry[sim, pool], step, trades[pool, 3],
    )  # fmt: skip


@njit(cache=True)
def _reported(a, sim, pool):  # type: ignore[no-untyped-def]
    """After ``pool``'s ``after_swap``: a fee-slot pool's fees are re-read from its storage."""
    if a.kinds[pool] == FEE_SLOTS_POOL:
        a.fees[sim, pool, 0], a.fees[sim, pool, 1] = storage_fees(a.words[sim, pool])


@njit(cache=True)
def _notify(address, sim, step):  # type: ignore[no-untyped-def]
    """Report the pools' trades (``a.trades``) to their ``after_swap`` hooks (a sub-generator).

    Every hook sees the other pools' spots as they are now, and a fee-slot pool's fees are
    re-read after its hook.
    """
    a = bundle_at(ARENA_ARRAYS, address)
    pools = a.hooked.shape[0]
    pool = _first_notice(a.trades, a.hooked, 0)
    while pool < pools:
        _set_competing(a.slots, a.rx, a.ry, a.competing, sim, pool)
        yield _swap_notice(a, sim, pool, step)
        _reported(a, sim, pool)
        pool = _first_notice(a.trades, a.hooked, pool + 1)


@njit(cache=True)
def _sort_samples(inputs, outputs, count):  # type: ignore[no-untyped-def]
    """Sort a pool's first ``count`` samples by input (stable)."""
    order = np.argsort(inputs[:count], kind="mergesort")
    inputs[:count] = inputs[:count][order]
    outputs[:count] = outputs[:count][order]


@njit(cache=True)
def sampled_split(address, sim, step, side, total):  # type: ignore[no-untyped-def]
    """Split an order when some pools are quoted by strategy code (a sub-generator).

    Those pools (``a.scripted`` of the bundle at ``address``) are sampled, the split is solved
    on their concave hulls and refined around each pool's share (see :mod:`arena.amm.routing`);
    ``a.x`` receives the input per pool. The constant-product pools are ``a.gamma``,
    ``a.r_in``, ``a.r_out``, ``a.usable``.
    """
    a = bundle_at(ARENA_ARRAYS, address)
    for q in range(a.scripted.shape[0]):
        pool = a.scripted[q]
        rx, ry = a.rx[sim, pool], a.ry[sim, pool]
        for n in range(SAMPLE_FRACTIONS.shape[0]):
            # Quoted here, not by _quote_site: a sub-generator is one more pause per quote.
            amount, out = total * SAMPLE_FRACTIONS[n], 0.0
            if quotable(amount, rx, ry):
                yield quote_request(pool, side, amount, rx, ry, step)
                out = accepted(a.answer[0], side, rx, ry)
            a.work[0, q, n], a.work[1, q, n] = amount, out
        a.samples[q] = SAMPLE_FRACTIONS.shape[0]
    for round_ in range(REFINE_ROUNDS + 1):
        for q in range(a.scripted.shape[0]):
            _sort_samples(a.work[0, q], a.work[1, q], a.samples[q])
            concave_hull(a.work[0, q], a.work[1, q], a.samples[q], a.work[2, q], a.work[3, q])
        route(
            total, a.gamma, a.r_in, a.r_out, a.usable, a.scripted, a.samples, a.work[2],
            a.work[3], a.x,
        )  # fmt: skip
        if round_ == REFINE_ROUNDS:
            return
        refined = False
        for q in range(a.scripted.shape[0]):
            pool = a.scripted[q]
            if not a.x[pool] > 0.0:
                continue  # a pool that receives nothing needs no finer model
            refined = True
            refinement_points(a.work[0, q], a.samples[q], a.x[pool], a.points)
            rx, ry = a.rx[sim, pool], a.ry[sim, pool]
            for n in range(REFINE_POINTS):
                amount, out = a.points[n], 0.0
                if quotable(amount, rx, ry):
                    yield quote_request(pool, side, amount, rx, ry, step)
                    out = accepted(a.answer[0], side, rx, ry)
                count = a.samples[q]
                a.work[0, q, count], a.work[1, q, count] = amount, out
                a.samples[q] = count + 1
        if not refined:
            return


@njit(
    (
        types.int64, types.float64, types.float64[:, ::1], types.float64[:, ::1],
        types.int64[::1], types.float64[::1], types.float64[::1], types.float64[::1],
        types.boolean[::1], types.uint64[::1], types.float64[::1],
    ),
    cache=True,
)  # fmt: skip
def split_requests(side, total, rx, ry, kinds, gamma, r_in, r_out, usable, answer, x):  # type: ignore[no-untyped-def]
    """:func:`sampled_split` on its own, for checks: the quotes it asks for to split an order of
    ``total`` on ``side`` in simulation 0 (a generator; answers go into ``answer[0]``).

    :param kinds: the pools' kinds; ``gamma``, ``r_in``, ``r_out``, ``usable`` describe the
        constant-product ones to the router.
    :param x: receives the split.
    """
    pools = kinds.shape[0]
    a = arena_arrays(
        np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1, 1)),
        np.zeros((1, 1, 1), dtype=np.bool_), rx, ry, np.zeros((1, pools, 2), dtype=np.uint64),
        np.zeros((1, pools, N_SLOTS), dtype=np.uint64), kinds,
        np.zeros(pools, dtype=np.bool_), np.zeros((1, pools, 1), dtype=np.int64),
        np.zeros((1, pools, 4)), answer, np.zeros(1), np.zeros((0, 0, 0, 0)),
    )  # fmt: skip
    a.gamma[:], a.r_in[:], a.r_out[:], a.usable[:] = gamma, r_in, r_out, usable
    for request in sampled_split(address_of(a), 0, 0, side, total):  # noqa: UP028 (numba)
        yield request
    x[:] = a.x


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def _fixed_arbitrage(kinds, fees, rx, ry, trades, edges, sim, fair, min_profit):  # type: ignore[no-untyped-def]
    """Arbitrage every constant-product pool in closed form (each on its own)."""
    for pool in range(kinds.shape[0]):
        if kinds[pool] == SCRIPTED_POOL:
            continue
        trades[pool, 0] = -1.0
        pool_fees = (fees[sim, pool, 0], fees[sim, pool, 1])
        buy = closed_candidate(
            0, fair, rx[sim, pool], ry[sim, pool], 1.0 - pool_fees[0] / _FEE_SCALE, pool_fees[0],
            min_profit,
        )  # fmt: skip
        sell = closed_candidate(
            1, fair, rx[sim, pool], ry[sim, pool], 1.0 - pool_fees[1] / _FEE_SCALE, pool_fees[1],
            min_profit,
        )  # fmt: skip
        side, amount, got, edge, rx[sim, pool], ry[sim, pool] = execute_best(
            buy, sell, fair, rx[sim, pool], ry[sim, pool], pool_fees
        )
        if side >= 0:
            _traded(edges, trades, sim, pool, EDGE_ARB, side, amount, got, edge, 0.0)


@njit(cache=True)
def _router_inputs(a, sim, side):  # type: ignore[no-untyped-def]
    """The router's view of the constant-product pools for an order on ``side``."""
    _fill_router(a.kinds, a.fees, a.rx, a.ry, a.gamma, a.r_in, a.r_out, a.usable, sim, side)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def _fill_router(kinds, fees, rx, ry, gamma, r_in, r_out, usable, sim, side):  # type: ignore[no-untyped-def]
    """:func:`_router_inputs` on the arrays themselves."""
    for pool in range(kinds.shape[0]):
        usable[pool] = rx[sim, pool] > 0.0 and ry[sim, pool] > 0.0
        gamma[pool] = r_in[pool] = r_out[pool] = 0.0
        if kinds[pool] != SCRIPTED_POOL:
            gamma[pool] = 1.0 - fees[sim, pool, side] / _FEE_SCALE
            r_in[pool] = ry[sim, pool] if side == 0 else rx[sim, pool]
            r_out[pool] = rx[sim, pool] if side == 0 else ry[sim, pool]


@njit(cache=True)
def _fixed_legs(a, sim, side, total, fair):  # type: ignore[no-untyped-def]
    """Execute the constant-product pools' legs of an order (inputs in ``a.x``)."""
    _execute_legs(a.kinds, a.fees, a.rx, a.ry, a.trades, a.edges, a.x, sim, side, total, fair)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def _execute_legs(kinds, fees, rx, ry, trades, edges, x, sim, side, total, fair):  # type: ignore[no-untyped-def]
    """:func:`_fixed_legs` on the arrays themselves."""
    for pool in range(kinds.shape[0]):
        if kinds[pool] == SCRIPTED_POOL:
            continue
        trades[pool, 0] = -1.0
        amount = x[pool]
        if not amount > 0.0:
            continue
        got, rx[sim, pool], ry[sim, pool] = execute(
            side, amount, rx[sim, pool], ry[sim, pool], fees[sim, pool, side]
        )
        if got > 0.0:
            edge = leg_edge(side, amount, got, fair)
            _traded(edges, trades, sim, pool, EDGE_RETAIL, side, amount, got, edge, amount / total)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def _fixed_order(  # type: ignore[no-untyped-def]
    kinds, fees, rx, ry, trades, edges, gamma, r_in, r_out, usable, x, fill, fill_order, sim,
    side, total, fair,
):  # fmt: skip
    """An order when every pool is constant product: split in closed form, then executed."""
    _fill_router(kinds, fees, rx, ry, gamma, r_in, r_out, usable, sim, side)
    waterfill(total, gamma, r_in, r_out, usable, x, fill, fill_order)
    _execute_legs(kinds, fees, rx, ry, trades, edges, x, sim, side, total, fair)


@njit(cache=True)
def _trace(trace, edges, rx, ry, sim, t):  # type: ignore[no-untyped-def]
    """Every pool's cumulative edge and spot after step ``t`` of the block."""
    for pool in range(rx.shape[1]):
        trace[sim, t, 0, pool] = edges[sim, pool, EDGE_TOTAL]
        trace[sim, t, 1, pool] = spot_price(rx[sim, pool], ry[sim, pool])


#: :func:`_advance`'s phases of a step before its orders: nothing done yet, arbitrage done.
_BEFORE, _ARBITRAGE = -2, -1


@njit(cache=True)
def _advance(a, sim, last, min_profit, reports, tracing):  # type: ignore[no-untyped-def]
    """Run a field of constant-product pools on until a hook has a trade to see.

    ``a.cursor`` is where the last call stopped: step ``t`` of the block, the part of it done
    (``_BEFORE``, ``_ARBITRAGE`` or an order's index) and the first pool whose trade in that
    part may still need reporting (the pool count: none). Returns that pool, its competing
    spots set, or -1 once step ``last`` is reached.

    It runs as a plain function between two reports, on borrowed views of the bundle's
    arrays (:data:`arena.amm.bundle.borrowed`), and its helpers are inlined: every reference
    taken and dropped per step (two atomic operations each; perf found them taking a third of
    the compiled time) is gone, and a report pauses the generator with the bundle alone.
    """
    prices, counts = borrowed(a.prices), borrowed(a.counts)
    sizes, is_buy = borrowed(a.sizes), borrowed(a.is_buy)
    kinds, fees, rx, ry = borrowed(a.kinds), borrowed(a.fees), borrowed(a.rx), borrowed(a.ry)
    trades, edges, hooked = borrowed(a.trades), borrowed(a.edges), borrowed(a.hooked)
    slots, competing, trace = borrowed(a.slots), borrowed(a.competing), borrowed(a.trace)
    gamma, r_in, r_out = borrowed(a.gamma), borrowed(a.r_in), borrowed(a.r_out)
    usable, x, fill = borrowed(a.usable), borrowed(a.x), borrowed(a.fill)
    fill_order, cursor = borrowed(a.fill_order), borrowed(a.cursor)
    pools = kinds.shape[0]
    t, phase, pool = cursor[0], cursor[1], cursor[2]
    while t < last:
        if reports:
            pool = _first_notice(trades, hooked, pool)
            if pool < pools:
                _set_competing(slots, rx, ry, competing, sim, pool)
                cursor[0], cursor[1], cursor[2] = t, phase, pool
                return pool
        pool = pools
        fair = prices[sim, t]
        live = math.isfinite(fair) and fair > 0.0
        phase += 1
        if phase == _ARBITRAGE:
            if live:
                _fixed_arbitrage(kinds, fees, rx, ry, trades, edges, sim, fair, min_profit)
                pool = 0
        elif live and phase < counts[sim, t]:
            side, total = retail_order(sizes, is_buy, sim, t, phase, fair)
            if total > 0.0:  # every leg executes, then the hooks see all pools after the order
                _fixed_order(
                    kinds, fees, rx, ry, trades, edges, gamma, r_in, r_out, usable, x, fill,
                    fill_order, sim, side, total, fair,
                )  # fmt: skip
                pool = 0
        else:
            if tracing:
                _trace(trace, edges, rx, ry, sim, t)
            t, phase = t + 1, _BEFORE
    cursor[0], cursor[1], cursor[2] = t, phase, pool
    return -1


@njit(
    (types.int64, types.int64, types.int64, types.int64, types.float64, *_GIVEN.values()),
    cache=True,
)
def arena_requests(  # type: ignore[no-untyped-def]
    sim, first, last, first_step, min_profit, prices, counts, sizes, is_buy, rx, ry, fees,
    words, kinds, hooked, slots, edges, answer, competing, trace,
):  # fmt: skip
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
    # From here on the arrays are read from the bundle only, by helpers where work is done
    # (see arena.amm.bundle): a field read costs a reference.
    a = arena_arrays(
        prices, counts, sizes, is_buy, rx, ry, fees, words, kinds, hooked, slots, edges, answer,
        competing, trace,
    )  # fmt: skip
    scripted = a.scripted.shape[0]
    reports = np.any(a.hooked)  # else no trade is reported: the notices are skipped
    tracing = a.trace.shape[0] > 0
    if scripted == 0:  # compiled stretches from one report to the next
        a.cursor[0], a.cursor[1], a.cursor[2] = first, _BEFORE, a.kinds.shape[0]
        pool = _advance(a, sim, last, min_profit, reports, tracing)
        while pool >= 0:
            yield _swap_notice(a, sim, pool, first_step + a.cursor[0])
            _reported(a, sim, pool)
            a.cursor[2] = pool + 1
            pool = _advance(a, sim, last, min_profit, reports, tracing)
        return
    for t in range(first, last):
        step = first_step + t
        fair = a.prices[sim, t]
        if math.isfinite(fair) and fair > 0.0:
            # Every pool is arbitraged on its own; then the hooks see all pools after it.
            _fixed_arbitrage(a.kinds, a.fees, a.rx, a.ry, a.trades, a.edges, sim, fair, min_profit)
            for q in range(scripted):
                pool = a.scripted[q]
                a.trades[pool, 0] = -1.0
                for request in _scripted_arbitrage(
                    address_of(a), pool, fair, a.rx[sim, pool], a.ry[sim, pool], min_profit, step
                ):
                    yield request
                if a.trade[0] >= 0.0:
                    side, amount, got = int(a.trade[0]), a.trade[1], a.trade[2]
                    a.rx[sim, pool], a.ry[sim, pool] = a.trade[3], a.trade[4]
                    edge = leg_edge(side, amount, got, fair)
                    _traded(a.edges, a.trades, sim, pool, EDGE_ARB, side, amount, got, edge, 0.0)
            if reports:
                for request in _notify(address_of(a), sim, step):
                    yield request
            for k in range(a.counts[sim, t]):
                side, total = retail_order(a.sizes, a.is_buy, sim, t, k, fair)
                if not total > 0.0:
                    continue
                # Every leg executes; then the hooks see all pools after the whole order.
                _router_inputs(a, sim, side)
                for request in sampled_split(address_of(a), sim, step, side, total):
                    yield request
                _fixed_legs(a, sim, side, total, fair)
                for q in range(scripted):
                    pool = a.scripted[q]
                    a.trades[pool, 0] = -1.0
                    amount = a.x[pool]
                    if not amount > 0.0:
                        continue
                    for request in _quote_site(
                        address_of(a), pool, side, amount, a.rx[sim, pool], a.ry[sim, pool], step
                    ):
                        yield request
                    got, a.rx[sim, pool], a.ry[sim, pool] = settle(
                        side, amount, a.out[0], a.rx[sim, pool], a.ry[sim, pool]
                    )
                    if got > 0.0:
                        edge = leg_edge(side, amount, got, fair)
                        _traded(
                            a.edges, a.trades, sim, pool, EDGE_RETAIL, side, amount, got, edge,
                            amount / total,
                        )  # fmt: skip
                if reports:
                    for request in _notify(address_of(a), sim, step):
                        yield request
        if tracing:
            _trace(a.trace, a.edges, a.rx, a.ry, sim, t)

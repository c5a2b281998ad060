"""The compiled ``prop-amm`` simulation: one strategy against the normalizer (numba).

Two entry points run the same rules (see :mod:`arena.amm.propamm`) on the same arrays:

* :func:`prop_amm_block` when the strategy's pool is constant product with fees in storage and
  no hooks: nothing needs Python, so whole blocks of steps run for every simulation at once;
* :func:`prop_amm_requests` otherwise: a generator that runs one simulation through a block and
  yields a request (:mod:`arena.amm.requests`) whenever it needs the strategy's code: a quote
  from ``compute_swap``, or a trade to report to ``after_swap``. After ``after_swap`` on a
  fee-slot pool it re-reads the fees from the strategy's storage.

Both use the searches of :mod:`arena.amm.searches`, so the strategy is priced by exactly the
same steps whoever answers the quotes.

Array layouts (S simulations, B steps, K the most orders in a step): ``prices``, ``arb_start``,
``counts`` (S, B); ``sizes`` (Y) and ``is_buy`` (S, B, K); ``reserves`` (S, 4): strategy x, y,
normalizer x, y; ``fees`` (S, 4) uint64 in 1e-9 units: strategy side 0, side 1, normalizer
side 0, side 1; ``norm_gamma`` (S,): the normalizer's ``(10000 - bps) / 10000``; ``edges``
(S, 6): strategy total, arb, retail, normalizer total, arb, retail. Reserves, fees and edges
are updated in place.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numba.core import types

from arena.amm.bundle import address_of, borrowed, bundle_at, bundle_type, new_bundle
from arena.amm.jit import njit
from arena.amm.kernels import (
    arb_starts,
    better_side,
    closed_candidate,
    execute,
    execute_best,
    leg_edge,
    maximize_split,
    quotable,
    quote,
    retail_order,
    searched_candidate,
    settle,
    spot_price,
    storage_fees,
)
from arena.amm.requests import accepted, quote_request, swap_request
from arena.amm.searches import (
    ARB_MAX_ITERS,
    ARB_REL_TOL,
    ARB_STATE,
    POINT,
    ROUTER_MIN_TRADE,
    SPLIT_STATE,
    arb_begin,
    arb_result,
    arb_tell,
    min_inputs,
    split_begin,
    split_inputs,
    split_result,
    split_tell,
)

__all__ = ["prop_amm_block", "prop_amm_requests"]

_ARB, _RETAIL = 1, 2  # parts of a pool's edge, after its total


@njit(cache=True)
def _book(edges, sim, first, part, edge):  # type: ignore[no-untyped-def]
    """Add an edge to a pool's total and to its arbitrage or retail part."""
    edges[sim, first] += edge
    edges[sim, first + part] += edge


@njit(cache=True)
def _normalizer_arbitrage(fair, nrx, nry, gamma, fees, min_profit, edges, sim):  # type: ignore[no-untyped-def]
    buy = closed_candidate(0, fair, nrx, nry, gamma, fees[0], min_profit)
    sell = closed_candidate(1, fair, nrx, nry, gamma, fees[1], min_profit)
    side, _, _, edge, nrx, nry = execute_best(buy, sell, fair, nrx, nry, fees)
    if side >= 0:
        _book(edges, sim, 3, _ARB, edge)
    return nrx, nry


#: The arrays :func:`prop_amm_requests` is given (see the module's layouts).
_GIVEN: Final = {
    "prices": types.float64[:, ::1],
    "arb_start": types.float64[:, ::1],
    "counts": types.int64[:, ::1],
    "sizes": types.float64[:, :, ::1],
    "is_buy": types.boolean[:, :, ::1],
    "reserves": types.float64[:, ::1],
    "fees": types.uint64[:, ::1],
    "words": types.uint64[:, ::1],
    "norm_gamma": types.float64[::1],
    "edges": types.float64[:, ::1],
    "answer": types.uint64[::1],
    "spot": types.float64[::1],
    "trace": types.float64[:, :, ::1],
}
#: Everything :func:`prop_amm_requests` works on, bundled by :func:`_bundle` (see
#: :mod:`arena.amm.bundle`): the given arrays, the arbitrage search's and the router's state,
#: and the strategy pool's reserves after a trade.
_ARRAYS: Final = bundle_type(
    **_GIVEN, search=types.float64[::1], split=types.float64[::1], moved=types.float64[::1]
)


@njit(cache=True)
def _bundle(  # type: ignore[no-untyped-def]
    prices, arb_start, counts, sizes, is_buy, reserves, fees, words, norm_gamma, edges, answer,
    spot, trace,
):  # fmt: skip
    """Bundle the arrays of :func:`prop_amm_requests` with new working arrays."""
    a = new_bundle(_ARRAYS)
    a.prices, a.arb_start, a.counts, a.sizes, a.is_buy = prices, arb_start, counts, sizes, is_buy
    a.reserves, a.fees, a.words, a.norm_gamma, a.edges = reserves, fees, words, norm_gamma, edges
    a.answer, a.spot, a.trace = answer, spot, trace
    a.search, a.split, a.moved = np.empty(ARB_STATE), np.empty(SPLIT_STATE), np.empty(2)
    return a


@njit(cache=True)
def _strategy_trade(  # type: ignore[no-untyped-def]
    address, sim, side, amount, flow, part, fair, rx, ry, nrx, nry, step, scripted, hooked
):
    """Trade on the strategy's pool (a sub-generator): quote, settle, book, report.

    The pool's reserves after the trade go to ``a.moved`` (of the bundle at ``address``, see
    :mod:`arena.amm.bundle`); ``after_swap`` sees the normalizer's spot (from ``nrx``, ``nry``)
    and ``flow`` (the share of the order, 0.0 for arbitrage).
    """
    a = bundle_at(_ARRAYS, address)
    out = 0.0
    if not scripted:
        out = quote(side, amount, rx, ry, a.fees[sim, side])
    elif quotable(amount, rx, ry):
        yield quote_request(0, side, amount, rx, ry, step)
        out = accepted(a.answer[0], side, rx, ry)
    out, rx, ry = settle(side, amount, out, rx, ry)
    a.moved[0], a.moved[1] = rx, ry
    if out > 0.0:
        _book(a.edges, sim, 0, part, leg_edge(side, amount, out, fair))
        if hooked:
            a.spot[0] = nry / nrx
            yield swap_request(0, side, amount, out, rx, ry, step, flow)
            if not scripted:
                a.fees[sim, 0], a.fees[sim, 1] = storage_fees(a.words[sim])


@njit(
    "void(float64[:, ::1], float64[:, ::1], int64[:, ::1], float64[:, :, ::1],"
    " boolean[:, :, ::1], float64[:, ::1], uint64[:, ::1], float64[::1], float64,"
    " float64[:, ::1])",
    cache=True,
)
def prop_amm_block(  # type: ignore[no-untyped-def]
    prices, arb_start, counts, sizes, is_buy, reserves, fees, norm_gamma, min_profit, edges
):
    """Advance every simulation through a block of steps; no strategy code is involved."""
    search = np.empty(ARB_STATE)
    split = np.empty(SPLIT_STATE)
    for sim in range(prices.shape[0]):
        rx, ry, nrx, nry = reserves[sim, 0], reserves[sim, 1], reserves[sim, 2], reserves[sim, 3]
        sub_fees = (fees[sim, 0], fees[sim, 1])
        norm_fees = (fees[sim, 2], fees[sim, 3])
        gamma = norm_gamma[sim]
        for t in range(prices.shape[1]):
            fair = prices[sim, t]
            if not (math.isfinite(fair) and fair > 0.0):
                continue
            min_buy, min_sell = min_inputs(fair)
            start_y, start_x = arb_starts(arb_start[sim, t], fair, min_buy, min_sell)
            buy = searched_candidate(
                search, 0, start_y, min_buy, fair, rx, ry, sub_fees[0], min_profit
            )
            sell = searched_candidate(
                search, 1, start_x, min_sell, fair, rx, ry, sub_fees[1], min_profit
            )
            side, _, _, edge, rx, ry = execute_best(buy, sell, fair, rx, ry, sub_fees)
            if side >= 0:
                _book(edges, sim, 0, _ARB, edge)
            nrx, nry = _normalizer_arbitrage(
                fair, nrx, nry, gamma, norm_fees, min_profit, edges, sim
            )
            for k in range(counts[sim, t]):
                side, total = retail_order(sizes, is_buy, sim, t, k, fair)
                in1, in2, out1, out2 = maximize_split(
                    split, total, side, rx, ry, sub_fees[side], nrx, nry, norm_fees[side]
                )
                if in1 > ROUTER_MIN_TRADE and out1 > 0.0:
                    out, rx, ry = execute(side, in1, rx, ry, sub_fees[side])
                    if out > 0.0:
                        _book(edges, sim, 0, _RETAIL, leg_edge(side, in1, out, fair))
                if in2 > ROUTER_MIN_TRADE and out2 > 0.0:
                    out, nrx, nry = execute(side, in2, nrx, nry, norm_fees[side])
                    if out > 0.0:
                        _book(edges, sim, 3, _RETAIL, leg_edge(side, in2, out, fair))
        reserves[sim, 0], reserves[sim, 1], reserves[sim, 2], reserves[sim, 3] = rx, ry, nrx, nry


@njit(
    (types.int64, *_GIVEN.values(), types.int64, types.float64, types.boolean, types.boolean),
    cache=True,
)
def prop_amm_requests(  # type: ignore[no-untyped-def]
    sim, prices, arb_start, counts, sizes, is_buy, reserves, fees, words, norm_gamma, edges,
    answer, spot, trace, first_step, min_profit, scripted, hooked,
):  # fmt: skip
    """Run simulation ``sim`` through a block, yielding requests for the strategy's code.

    :param words: the strategy's storage as (S, 128) u64 words (fees are in words 0 and 1).
    :param answer: where the answer to a quote is put before the generator resumes.
    :param spot: set to the normalizer's spot before each ``after_swap`` request (the
        payload's competing price).
    :param trace: (S, B, 4) filled with both pools' cumulative edges and spots after every
        step, or of size 0 to record nothing.
    :param first_step: the block's first step number.
    :param scripted: the strategy has ``compute_swap`` (else it is constant product with the
        fees in its storage); ``hooked``: it has ``after_swap``.
    """
    # From here on the arrays are read from the bundle only (see arena.amm.bundle).
    a = _bundle(
        prices, arb_start, counts, sizes, is_buy, reserves, fees, words, norm_gamma, edges,
        answer, spot, trace,
    )  # fmt: skip
    # The arrays of the search loops as views without references of their own (the bundle
    # keeps them): reading them and pausing with them cost no reference.
    search, split, answer = borrowed(a.search), borrowed(a.split), borrowed(a.answer)
    rx, ry = a.reserves[sim, 0], a.reserves[sim, 1]
    nrx, nry = a.reserves[sim, 2], a.reserves[sim, 3]
    norm_fees = (a.fees[sim, 2], a.fees[sim, 3])
    gamma = a.norm_gamma[sim]
    for t in range(a.prices.shape[1]):
        step = first_step + t
        fair = a.prices[sim, t]
        if math.isfinite(fair) and fair > 0.0:
            # The strategy's pool, searched on both sides; the better side trades.
            min_buy, min_sell = min_inputs(fair)
            start_y, start_x = arb_starts(a.arb_start[sim, t], fair, min_buy, min_sell)
            buy_in = buy_profit = sell_in = sell_profit = 0.0
            buy_ok = sell_ok = False
            for side in range(2):
                floor, start = (min_buy, start_y) if side == 0 else (min_sell, start_x)
                if not scripted:
                    found = searched_candidate(
                        search, side, start, floor, fair, rx, ry, a.fees[sim, side], min_profit
                    )[:3]
                else:
                    arb_begin(
                        search, side, fair, floor, start, rx, ry, False, ARB_MAX_ITERS,
                        ARB_REL_TOL, min_profit,
                    )  # fmt: skip
                    while True:
                        # Quoted inline, not by a sub-generator like _strategy_trade: searches
                        # quote some 40 times a step.
                        x = search[POINT]
                        out = 0.0
                        if quotable(x, rx, ry):
                            yield quote_request(0, side, x, rx, ry, step)
                            out = accepted(answer[0], side, rx, ry)
                        if not arb_tell(search, out):
                            break
                    found = arb_result(search)
                if side == 0:
                    buy_in, buy_profit, buy_ok = found
                else:
                    sell_in, sell_profit, sell_ok = found
            side = better_side(buy_ok, buy_profit, sell_ok, sell_profit)
            if side >= 0:
                amount = sell_in if side == 1 else buy_in
                for request in _strategy_trade(
                    address_of(a), sim, side, amount, 0.0, _ARB, fair, rx, ry, nrx, nry, step,
                    scripted, hooked,
                ):  # fmt: skip
                    yield request
                rx, ry = a.moved[0], a.moved[1]
            nrx, nry = _normalizer_arbitrage(
                fair, nrx, nry, gamma, norm_fees, min_profit, a.edges, sim
            )
            for k in range(a.counts[sim, t]):
                side, total = retail_order(a.sizes, a.is_buy, sim, t, k, fair)
                # The router's split; the strategy's leg executes first.
                if not scripted:
                    in1, in2, out1, out2 = maximize_split(
                        split, total, side, rx, ry, a.fees[sim, side], nrx, nry,
                        norm_fees[side],
                    )  # fmt: skip
                else:
                    split_begin(split, total)
                    while True:
                        in1, in2 = split_inputs(split)
                        out1 = 0.0
                        if in1 > ROUTER_MIN_TRADE and quotable(in1, rx, ry):
                            yield quote_request(0, side, in1, rx, ry, step)
                            out1 = accepted(answer[0], side, rx, ry)
                        out2 = (
                            quote(side, in2, nrx, nry, norm_fees[side])
                            if in2 > ROUTER_MIN_TRADE
                            else 0.0
                        )
                        if not split_tell(split, out1, out2):
                            break
                    in1, in2, out1, out2 = split_result(split)
                if in1 > ROUTER_MIN_TRADE and out1 > 0.0:
                    for request in _strategy_trade(
                        address_of(a), sim, side, in1, in1 / total, _RETAIL, fair, rx, ry, nrx,
                        nry, step, scripted, hooked,
                    ):  # fmt: skip
                        yield request
                    rx, ry = a.moved[0], a.moved[1]
                if in2 > ROUTER_MIN_TRADE and out2 > 0.0:
                    out, nrx, nry = execute(side, in2, nrx, nry, norm_fees[side])
                    if out > 0.0:
                        _book(a.edges, sim, 3, _RETAIL, leg_edge(side, in2, out, fair))
        if a.trace.shape[0]:
            a.trace[sim, t, 0], a.trace[sim, t, 1] = a.edges[sim, 0], a.edges[sim, 3]
            a.trace[sim, t, 2], a.trace[sim, t, 3] = spot_price(rx, ry), spot_price(nrx, nry)
    a.reserves[sim, 0], a.reserves[sim, 1] = rx, ry
    a.reserves[sim, 2], a.reserves[sim, 3] = nrx, nry

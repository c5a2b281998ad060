"""Compiled kernels of the ``arena`` ruleset for constant-product pools (numba).

* :func:`waterfill_batch`: the exact equimarginal split of each order across constant-product
  pools (the one implementation of water-filling; :func:`arena.amm.routing.waterfill` calls it);
* :func:`arbitrage_batch`: closed-form arbitrage of every pool of every simulation;
* :func:`route_execute_batch`: split each simulation's order across its pools and execute the
  legs, when every pool is constant-product.

Pools are laid out as (simulations, pools) arrays; reserves are updated in place. Trades are
reported back so the engine can book edges and run ``after_swap`` hooks in Python.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from arena.amm.kernels import _closed_candidate, _execute, _execute_best

__all__ = ["arbitrage_batch", "route_execute_batch", "waterfill_batch", "warm_up"]

_FEE_SCALE = 1e9


@njit(cache=True)
def _waterfill(total, gamma, r_in, r_out, usable, x):  # type: ignore[no-untyped-def]
    """Fill ``x`` (one simulation's pools) with the optimal split of ``total``; return lambda."""
    pools = gamma.shape[0]
    marginal = np.full(pools, -np.inf)
    a = np.zeros(pools)
    b = np.zeros(pools)
    for i in range(pools):
        x[i] = 0.0
        if usable[i] and gamma[i] > 0.0 and r_in[i] > 0.0 and r_out[i] > 0.0:
            marginal[i] = gamma[i] * r_out[i] / r_in[i]
            a[i] = math.sqrt(r_in[i] * r_out[i] / gamma[i])
            b[i] = r_in[i] / gamma[i]
    order = np.argsort(-marginal, kind="mergesort")  # stable: ties keep pool order
    sum_a = 0.0
    sum_b = 0.0
    lam = math.inf
    for k in range(pools):
        i = order[k]
        if marginal[i] == -np.inf:
            break
        sum_a += a[i]
        sum_b += b[i]
        sqrt_lam = sum_a / (total + sum_b)
        if marginal[i] > sqrt_lam * sqrt_lam:
            lam = sqrt_lam * sqrt_lam
    if not (total > 0.0) or lam == math.inf:
        return math.inf
    allocated = 0.0
    for i in range(pools):
        if marginal[i] > lam:
            demand = math.sqrt(r_in[i] * r_out[i] / (gamma[i] * lam)) - r_in[i] / gamma[i]
            x[i] = demand if demand > 0.0 else 0.0
            allocated += x[i]
    if allocated > 0.0:
        scale = total / allocated
        for i in range(pools):
            x[i] = x[i] * scale
    return lam


@njit(cache=True)
def waterfill_batch(total, gamma, r_in, r_out, usable, x, lam):  # type: ignore[no-untyped-def]
    """:func:`_waterfill` for every simulation (rows); fills ``x`` (S, P) and ``lam`` (S,)."""
    for sim in range(total.shape[0]):
        lam[sim] = _waterfill(total[sim], gamma[sim], r_in[sim], r_out[sim], usable[sim], x[sim])


@njit(cache=True)
def arbitrage_batch(fair, rx, ry, fees, min_profit, side, amount, out, edge):  # type: ignore[no-untyped-def]
    """Closed-form arbitrage of every pool (flat arrays, one entry per pool and simulation).

    :param fair: fair price per entry; ``fees``: (2, E) uint64 fees per side (1e-9 units).
    :param side: set to 0 (arbitrageur bought X), 1 (sold X) or -1 (no trade) per entry;
        ``amount``, ``out`` and the pool's ``edge`` are filled where a trade happened.
    """
    for e in range(fair.shape[0]):
        side[e] = -1
        price = fair[e]
        if not (math.isfinite(price) and price > 0.0):
            continue
        entry_fees = (fees[0, e], fees[1, e])
        gamma_buy = 1.0 - fees[0, e] / _FEE_SCALE
        gamma_sell = 1.0 - fees[1, e] / _FEE_SCALE
        buy = _closed_candidate(0, price, rx[e], ry[e], gamma_buy, entry_fees[0], min_profit)
        sell = _closed_candidate(1, price, rx[e], ry[e], gamma_sell, entry_fees[1], min_profit)
        side[e], amount[e], out[e], edge[e], rx[e], ry[e] = _execute_best(
            buy, sell, price, rx[e], ry[e], entry_fees
        )


@njit(cache=True)
def route_execute_batch(  # type: ignore[no-untyped-def]
    total, is_buy, fair, rx, ry, fees, amount, out, edge
):
    """Split each simulation's order across its constant-product pools and execute the legs.

    :param total: the order's input per simulation (0: no order); ``is_buy``: Y paid in.
    :param rx: (S, P) reserves, updated in place; ``fees``: (2, S, P).
    :param amount: (S, P) filled with each leg's input; ``out`` with its output (0 where the
        leg did not execute); ``edge`` with the pool's edge at ``fair``.
    """
    sims, pools = rx.shape
    gamma = np.zeros(pools)
    r_in = np.zeros(pools)
    r_out = np.zeros(pools)
    usable = np.zeros(pools, dtype=np.bool_)
    for sim in range(sims):
        for i in range(pools):
            amount[sim, i] = 0.0
            out[sim, i] = 0.0
            edge[sim, i] = 0.0
        if not total[sim] > 0.0:
            continue
        side = 0 if is_buy[sim] else 1
        for i in range(pools):
            gamma[i] = 1.0 - fees[side, sim, i] / _FEE_SCALE
            r_in[i] = ry[sim, i] if side == 0 else rx[sim, i]
            r_out[i] = rx[sim, i] if side == 0 else ry[sim, i]
            usable[i] = rx[sim, i] > 0.0 and ry[sim, i] > 0.0
        _waterfill(total[sim], gamma, r_in, r_out, usable, amount[sim])
        price = fair[sim]
        for i in range(pools):
            size = amount[sim, i]
            if size > 0.0:
                got, rx[sim, i], ry[sim, i] = _execute(side, size, rx[sim, i], ry[sim, i], fees[side, sim, i])
                out[sim, i] = got
                if got > 0.0:
                    edge[sim, i] = size - got * price if side == 0 else size * price - got


def warm_up() -> None:
    """Compile the kernels for the argument types the engine uses (see :mod:`arena.amm.kernels`)."""
    sims, pools = 1, 2
    grid = np.ones((sims, pools))
    flat = np.ones(sims * pools)
    fees = np.zeros((2, sims * pools), dtype=np.uint64)
    waterfill_batch(np.ones(sims), grid, grid.copy(), grid.copy(), np.ones((sims, pools), dtype=np.bool_),
                    np.zeros((sims, pools)), np.zeros(sims))
    arbitrage_batch(flat, flat.copy(), flat.copy(), fees, 0.01, np.zeros(sims * pools, dtype=np.int64),
                    np.zeros(sims * pools), np.zeros(sims * pools), np.zeros(sims * pools))
    route_execute_batch(np.ones(sims), np.ones(sims, dtype=np.bool_), np.ones(sims), grid.copy(), grid.copy(),
                        fees.reshape(2, sims, pools), np.zeros((sims, pools)), np.zeros((sims, pools)),
                        np.zeros((sims, pools)))

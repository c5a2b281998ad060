"""Compiled kernels of the ``arena`` ruleset for constant-product pools (numba).

* :func:`waterfill_batch`: the exact equimarginal split of each order across constant-product
  pools (the one implementation of water-filling; :func:`arena.amm.routing.waterfill` calls it);
* :func:`hull_batch` and :func:`route_batch`: concave hulls of sampled quotes, and the exact
  split across constant-product pools and such piecewise-linear pools (see
  :mod:`arena.amm.routing` for the method);
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

__all__ = [
    "arbitrage_batch",
    "hull_batch",
    "route_batch",
    "route_execute_batch",
    "waterfill_batch",
]

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


@njit(
    "void(float64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1],"
    " boolean[:, ::1], float64[:, ::1], float64[::1])",
    cache=True,
)
def waterfill_batch(total, gamma, r_in, r_out, usable, x, lam):  # type: ignore[no-untyped-def]
    """:func:`_waterfill` for every simulation (rows); fills ``x`` (S, P) and ``lam`` (S,)."""
    for sim in range(total.shape[0]):
        lam[sim] = _waterfill(total[sim], gamma[sim], r_in[sim], r_out[sim], usable[sim], x[sim])


@njit(cache=True)
def _cp_demand_total(lam, gamma, r_in, r_out, cp):  # type: ignore[no-untyped-def]
    """Total input the constant-product pools in ``cp`` take at marginal price ``lam``."""
    total = 0.0
    for i in range(gamma.shape[0]):
        if cp[i] and gamma[i] > 0.0 and r_in[i] > 0.0 and r_out[i] > 0.0:
            demand = math.sqrt(r_in[i] * r_out[i] / (gamma[i] * lam)) - r_in[i] / gamma[i]
            if demand > 0.0:
                total += demand
    return total


@njit("void(float64[:, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1])", cache=True)
def hull_batch(inputs, outputs, lengths, slopes):  # type: ignore[no-untyped-def]
    """Upper concave hulls through (0, 0), one per row (monotone chain).

    :param inputs: increasing sample inputs (R, K); ``outputs`` the quotes there (R, K), made
        non-decreasing first (more input never has to give less: the surplus can stay unused).
    :param lengths: filled with segment lengths (R, K) in order along the hull (decreasing
        slope), zero-padded; ``slopes`` with their slopes (never negative).
    """
    rows, count = inputs.shape
    xs = np.zeros(count + 1)
    ys = np.zeros(count + 1)
    hull = np.zeros(count + 1, dtype=np.int64)
    for row in range(rows):
        best = 0.0
        for k in range(count):
            value = outputs[row, k]
            if value > best:  # noqa: PLR1730 (max() would not skip NaN the same way)
                best = value
            xs[k + 1] = inputs[row, k]
            ys[k + 1] = best
        size = 1
        hull[0] = 0
        for k in range(1, count + 1):
            if not xs[k] > xs[hull[size - 1]]:
                continue  # a repeated input adds nothing
            while size >= 2:
                i, j = hull[size - 2], hull[size - 1]
                # Drop j if it lies on or below the chord from i to k.
                if (ys[j] - ys[i]) * (xs[k] - xs[i]) <= (ys[k] - ys[i]) * (xs[j] - xs[i]):
                    size -= 1
                else:
                    break
            hull[size] = k
            size += 1
        for n in range(count):
            lengths[row, n] = 0.0
            slopes[row, n] = 0.0
        for n in range(size - 1):
            i, j = hull[n], hull[n + 1]
            lengths[row, n] = xs[j] - xs[i]
            slopes[row, n] = max((ys[j] - ys[i]) / (xs[j] - xs[i]), 0.0)


@njit(
    "void(float64[::1], float64[:, ::1], float64[:, ::1], float64[:, ::1],"
    " boolean[:, ::1], int64[::1], float64[:, :, ::1], float64[:, :, ::1],"
    " float64[:, ::1])",
    cache=True,
)
def route_batch(total, gamma, r_in, r_out, usable, sampled, lengths, slopes, x):  # type: ignore[no-untyped-def]
    """Optimal split of each order across constant-product pools and sampled pools.

    :param total: (S,) inputs; ``gamma``/``r_in``/``r_out``: (S, P) constant-product terms
        (ignored for sampled pools); ``usable``: (S, P).
    :param sampled: (Q,) pool indices described by ``lengths``/``slopes`` (S, Q, K) instead.
    :param x: filled with the input per pool (S, P).
    """
    sims, pools = gamma.shape
    count = lengths.shape[2]
    is_cp = np.ones(pools, dtype=np.bool_)
    for q in range(sampled.shape[0]):
        is_cp[sampled[q]] = False
    cp = np.zeros(pools, dtype=np.bool_)
    seg_slope = np.zeros(sampled.shape[0] * count)
    seg_length = np.zeros(sampled.shape[0] * count)
    seg_pool = np.zeros(sampled.shape[0] * count, dtype=np.int64)
    for sim in range(sims):
        for i in range(pools):
            x[sim, i] = 0.0
            cp[i] = is_cp[i] and usable[sim, i]
        if not total[sim] > 0.0:
            continue
        live = 0
        for q in range(sampled.shape[0]):
            if not usable[sim, sampled[q]]:
                continue
            for k in range(count):
                if lengths[sim, q, k] > 0.0 and slopes[sim, q, k] > 0.0:
                    seg_slope[live] = slopes[sim, q, k]
                    seg_length[live] = lengths[sim, q, k]
                    seg_pool[live] = sampled[q]
                    live += 1
        order = np.argsort(-seg_slope[:live], kind="mergesort")
        taken = 0.0  # input placed in fully taken segments
        at = 0.0
        found = -1
        for m in range(live):
            lam = seg_slope[order[m]]
            at = _cp_demand_total(lam, gamma[sim], r_in[sim], r_out[sim], cp) + taken
            if at + seg_length[order[m]] >= total[sim]:
                found = m
                break
            taken += seg_length[order[m]]
        if found >= 0 and at <= total[sim]:
            # lambda is this segment's slope: the segment takes what the others leave.
            lam = seg_slope[order[found]]
            for i in range(pools):
                if cp[i] and gamma[sim, i] > 0.0 and r_in[sim, i] > 0.0 and r_out[sim, i] > 0.0:
                    demand = (
                        math.sqrt(r_in[sim, i] * r_out[sim, i] / (gamma[sim, i] * lam))
                        - r_in[sim, i] / gamma[sim, i]
                    )
                    x[sim, i] = demand if demand > 0.0 else 0.0
            x[sim, seg_pool[order[found]]] += min(total[sim] - at, seg_length[order[found]])
        else:
            # lambda lies between slopes: the steeper segments are full, water-fill the rest.
            _waterfill(max(total[sim] - taken, 0.0), gamma[sim], r_in[sim], r_out[sim], cp, x[sim])
        for m in range(found if found >= 0 else live):
            x[sim, seg_pool[order[m]]] += seg_length[order[m]]


@njit(
    "void(float64[::1], float64[::1], float64[::1], uint64[:, ::1], float64,"
    " int64[::1], float64[::1], float64[::1], float64[::1])",
    cache=True,
)
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


@njit(
    "void(float64[::1], boolean[::1], float64[::1], float64[:, ::1], float64[:, ::1],"
    " uint64[:, :, ::1], float64[:, ::1], float64[:, ::1], float64[:, ::1])",
    cache=True,
)
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
                got, rx[sim, i], ry[sim, i] = _execute(
                    side, size, rx[sim, i], ry[sim, i], fees[side, sim, i]
                )
                out[sim, i] = got
                if got > 0.0:
                    edge[sim, i] = size - got * price if side == 0 else size * price - got

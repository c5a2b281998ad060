"""Compiled scalar kernels for constant-product pools (numba).

Pools whose pricing the engine knows (constant product, fees in storage) need no strategy
code to quote, so their whole simulation can run compiled, one simulation at a time, like the
reference engine. These functions are straightforward scalar ports of the reference rules;
the array engine in :mod:`arena.amm.propamm` runs the same rules for pools quoted by Python
code, and the two are tested to agree bit for bit.

Integer pricing is exact: ``floor(r_out * net / (r_in + net))`` multiplies into a 128-bit
(hi, lo) pair and divides it by a 64-bit divisor (Hacker's Delight ``divlu``, Knuth's
algorithm D for two digits).

The kernels the engine calls have explicit signatures (contiguous arrays of fixed types): they
compile when this module is imported, or load from numba's on-disk cache. The parent process
imports them before any worker starts, so isolated workers, which may not write files, only
ever load. Set ``NUMBA_DISABLE_JIT=1`` to run them as plain Python (slow, but debuggable).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["cp_output_scalar", "prop_amm_block", "quote_batch"]

_U64 = np.uint64
_M32 = np.uint64(0xFFFFFFFF)
_B32 = np.uint64(1 << 32)
_FEE_SCALE = np.uint64(1_000_000_000)
_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_TWO_64 = 18446744073709551616.0
_MIN_RESERVE = 1e-12
_MIN_INPUT = 0.001
_GOLDEN = 0.6180339887498948
_MAX_INPUT = (_TWO_64 / 1e9) * 0.999999
_MIN_NOTIONAL = 0.01
_ROUTER_MIN = 0.001


@njit(cache=True)
def _mul64(a, b):  # type: ignore[no-untyped-def]
    """128-bit product of two uint64 values, as (hi, lo)."""
    a_lo, a_hi = a & _M32, a >> _U64(32)
    b_lo, b_hi = b & _M32, b >> _U64(32)
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    p3 = a_hi * b_hi
    mid = (p0 >> _U64(32)) + (p1 & _M32) + (p2 & _M32)
    lo = (mid << _U64(32)) | (p0 & _M32)
    hi = p3 + (p1 >> _U64(32)) + (p2 >> _U64(32)) + (mid >> _U64(32))
    return hi, lo


@njit(cache=True)
def _divlu(u1, u0, v):  # type: ignore[no-untyped-def]
    """floor((u1 * 2**64 + u0) / v) for u1 < v (the quotient fits in 64 bits)."""
    s = _U64(0)
    while (v << s) >> _U64(63) == _U64(0):
        s += _U64(1)
    v = v << s
    vn1, vn0 = v >> _U64(32), v & _M32
    un32 = (u1 << s) | (u0 >> (_U64(64) - s)) if s > _U64(0) else u1
    un10 = u0 << s
    un1, un0 = un10 >> _U64(32), un10 & _M32
    q1 = un32 // vn1
    rhat = un32 - q1 * vn1
    while q1 >= _B32 or q1 * vn0 > _B32 * rhat + un1:
        q1 -= _U64(1)
        rhat += vn1
        if rhat >= _B32:
            break
    un21 = un32 * _B32 + un1 - q1 * v
    q0 = un21 // vn1
    rhat = un21 - q0 * vn1
    while q0 >= _B32 or q0 * vn0 > _B32 * rhat + un0:
        q0 -= _U64(1)
        rhat += vn1
        if rhat >= _B32:
            break
    return q1 * _B32 + q0


@njit("uint64(uint64, uint64, uint64, uint64)", cache=True)
def cp_output_scalar(amount, r_in, r_out, fee):  # type: ignore[no-untyped-def]
    """Exact constant-product output (nanos), fee in 1e-9 units; see :mod:`arena.amm.cpmm`."""
    if r_in == _U64(0) or r_out == _U64(0):
        return _U64(0)
    keep = _FEE_SCALE - fee
    net = (amount // _FEE_SCALE) * keep + ((amount % _FEE_SCALE) * keep) // _FEE_SCALE
    divisor = r_in + net
    if divisor < net:
        # The sum passed 2**64: an input of more than ~9e9 tokens, which no search on a
        # constant-product pool reaches (profit peaks long before). Nearly the whole reserve.
        return _U64(math.floor(float(r_out) * (float(net) / (float(r_in) + float(net)))))
    hi, lo = _mul64(r_out, net)
    if hi == _U64(0):
        return lo // divisor
    return _divlu(hi, lo, divisor)


@njit(cache=True)
def _nano(value):  # type: ignore[no-untyped-def]
    scaled = value * 1e9
    if not scaled > 0.0:
        return _U64(0)
    if scaled >= _TWO_64:
        return _U64_MAX
    return _U64(scaled)


@njit(cache=True)
def _quote(side, amount, rx, ry, fee):  # type: ignore[no-untyped-def]
    """The reference's quote_buy_x (side 0, Y in) / quote_sell_x (side 1, X in)."""
    if not (amount > 0.0) or not math.isfinite(amount):
        return 0.0
    if not (rx > _MIN_RESERVE and ry > _MIN_RESERVE) or not (
        math.isfinite(rx) and math.isfinite(ry)
    ):
        return 0.0
    if side == 0:
        out = cp_output_scalar(_nano(amount), _nano(ry), _nano(rx), fee) / 1e9
        limit = rx
    else:
        out = cp_output_scalar(_nano(amount), _nano(rx), _nano(ry), fee) / 1e9
        limit = ry
    if not math.isfinite(out) or out <= 0.0 or out > limit:
        return 0.0
    return out


@njit(
    "void(int64[::1], float64[::1], float64[::1], float64[::1], uint64[:, ::1],"
    " boolean[::1], float64[::1])",
    cache=True,
)
def quote_batch(side, amount, rx, ry, fees, active, out):  # type: ignore[no-untyped-def]
    """:func:`_quote` for every entry: ``side`` (E,) int64, ``fees`` (2, E), ``out`` filled."""
    for e in range(amount.shape[0]):
        out[e] = _quote(side[e], amount[e], rx[e], ry[e], fees[side[e], e]) if active[e] else 0.0


@njit(cache=True)
def _execute(side, amount, rx, ry, fee):  # type: ignore[no-untyped-def]
    """The reference's execute: (output, new rx, new ry); output 0 leaves reserves alone."""
    out = _quote(side, amount, rx, ry, fee)
    if out <= 0.0:
        return 0.0, rx, ry
    if side == 0:
        if out >= rx:
            return 0.0, rx, ry
        new_rx, new_ry = rx - out, ry + amount
    else:
        if out >= ry:
            return 0.0, rx, ry
        new_rx, new_ry = rx + amount, ry - out
    if not (new_rx > _MIN_RESERVE and new_ry > _MIN_RESERVE) or not (
        math.isfinite(new_rx) and math.isfinite(new_ry)
    ):
        return 0.0, rx, ry
    return out, new_rx, new_ry


@njit(cache=True)
def _profit(side, amount, fair, rx, ry, fee):  # type: ignore[no-untyped-def]
    out = _quote(side, amount, rx, ry, fee)
    value = out * fair - amount if side == 0 else out - amount * fair
    return value if math.isfinite(value) else -math.inf


@njit(cache=True)
def _bracket(side, start, floor, fair, rx, ry, fee):  # type: ignore[no-untyped-def]
    floor = max(floor, _MIN_INPUT)
    lo = floor
    upper = max(_MAX_INPUT, floor)
    mid = min(max(start, floor), upper)
    mid_value = _profit(side, mid, fair, rx, ry, fee)
    if mid_value <= 0.0:
        return lo, mid
    hi = min(mid * 2.0, upper)
    if hi <= mid:
        return lo, mid
    hi_value = _profit(side, hi, fair, rx, ry, fee)
    for _ in range(24):
        if hi_value <= mid_value or hi >= upper:
            return lo, hi
        lo, mid, mid_value = mid, hi, hi_value
        next_hi = min(hi * 2.0, upper)
        if next_hi <= hi:
            return lo, hi
        hi = next_hi
        hi_value = _profit(side, hi, fair, rx, ry, fee)
    return lo, hi


@njit(cache=True)
def _golden(side, lo, hi, fair, rx, ry, fee):  # type: ignore[no-untyped-def]
    left = max(min(lo, hi), 0.0)
    right = max(hi, lo, _MIN_INPUT)
    if right <= left:
        return right
    best_x, best = left, _profit(side, left, fair, rx, ry, fee)
    value = _profit(side, right, fair, rx, ry, fee)
    if value > best:
        best_x, best = right, value
    x1 = right - _GOLDEN * (right - left)
    x2 = left + _GOLDEN * (right - left)
    f1 = _profit(side, x1, fair, rx, ry, fee)
    f2 = _profit(side, x2, fair, rx, ry, fee)
    if f1 > best:
        best_x, best = x1, f1
    if f2 > best:
        best_x, best = x2, f2
    for _ in range(12):
        if f1 < f2:
            left, x1, f1 = x1, x2, f2
            x2 = left + _GOLDEN * (right - left)
            f2 = _profit(side, x2, fair, rx, ry, fee)
            if f2 > best:
                best_x, best = x2, f2
        else:
            right, x2, f2 = x2, x1, f1
            x1 = right - _GOLDEN * (right - left)
            f1 = _profit(side, x1, fair, rx, ry, fee)
            if f1 > best:
                best_x, best = x1, f1
        if (right - left) <= 0.01 * max(abs(0.5 * (left + right)), _MIN_INPUT):
            break
    return best_x


@njit(cache=True)
def _searched_candidate(side, start, floor, fair, rx, ry, fee, min_profit):  # type: ignore[no-untyped-def]
    """(input, profit, ok) of the reference's search on one side.

    A side whose profit is not positive at the smallest allowed input is skipped: for a
    concave output curve the profit is then nowhere positive beyond it, and the reference's
    search would end in a candidate below the profit floor anyway.
    """
    if _profit(side, max(floor, _MIN_INPUT), fair, rx, ry, fee) <= 0.0:
        return floor, 0.0, False
    lo, hi = _bracket(side, start, floor, fair, rx, ry, fee)
    best = _golden(side, lo, hi, fair, rx, ry, fee)
    if best < floor:
        return best, 0.0, False
    out = _quote(side, best, rx, ry, fee)
    profit = out * fair - best if side == 0 else out - best * fair
    return best, profit, out > 0.0 and profit >= min_profit


@njit(cache=True)
def _closed_candidate(side, fair, rx, ry, gamma, fee, min_profit):  # type: ignore[no-untyped-def]
    """(input, profit, ok) of the reference's closed-form normalizer arbitrage on one side."""
    if not (math.isfinite(rx) and math.isfinite(ry) and rx > 0.0 and ry > 0.0 and gamma > 0.0):
        return 0.0, 0.0, False
    if side == 0:
        target = math.sqrt(fair * rx * gamma * ry)
        if not math.isfinite(target) or target <= ry:
            return 0.0, 0.0, False
        amount = min(max((target - ry) / gamma, _MIN_INPUT, _MIN_NOTIONAL), _MAX_INPUT)
    else:
        target = math.sqrt(ry * rx * gamma / fair)
        if not math.isfinite(target) or target <= rx:
            return 0.0, 0.0, False
        floor = max(_MIN_INPUT, _MIN_NOTIONAL / max(fair, 1e-9))
        amount = min(max((target - rx) / gamma, floor), _MAX_INPUT)
    out = _quote(side, amount, rx, ry, fee)
    profit = out * fair - amount if side == 0 else out - amount * fair
    return amount, profit, out > 0.0 and profit >= min_profit


@njit(cache=True)
def _execute_best(buy, sell, fair, rx, ry, fees):  # type: ignore[no-untyped-def]
    """Execute the better candidate (sell only if strictly better).

    :returns: (side or -1, input, output, the pool's edge, rx, ry).
    """
    buy_amount, buy_profit, buy_ok = buy
    sell_amount, sell_profit, sell_ok = sell
    take_sell = sell_ok and not (buy_ok and not (sell_profit > buy_profit))
    if take_sell:
        out, rx, ry = _execute(1, sell_amount, rx, ry, fees[1])
        return (1 if out > 0.0 else -1), sell_amount, out, sell_amount * fair - out, rx, ry
    if buy_ok:
        out, rx, ry = _execute(0, buy_amount, rx, ry, fees[0])
        return (0 if out > 0.0 else -1), buy_amount, out, buy_amount - out * fair, rx, ry
    return -1, 0.0, 0.0, 0.0, rx, ry


@njit(cache=True)
def _split_score(a, b):  # type: ignore[no-untyped-def]
    total = a + b
    return total if math.isfinite(total) else -math.inf


@njit(cache=True)
def _split_eval(alpha, total, side, rx1, ry1, fee1, rx2, ry2, fee2):  # type: ignore[no-untyped-def]
    in1 = total * alpha
    in2 = total * (1.0 - alpha)
    out1 = _quote(side, in1, rx1, ry1, fee1) if in1 > _ROUTER_MIN else 0.0
    out2 = _quote(side, in2, rx2, ry2, fee2) if in2 > _ROUTER_MIN else 0.0
    return in1, in2, out1, out2


@njit(cache=True)
def _maximize_split(total, side, rx1, ry1, fee1, rx2, ry2, fee2):  # type: ignore[no-untyped-def]
    """The reference router's golden-section search over the first pool's share."""
    left, right = 0.0, 1.0
    best = _split_eval(left, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
    q = _split_eval(right, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
    if _split_score(q[2], q[3]) > _split_score(best[2], best[3]):
        best = q
    x1 = right - _GOLDEN * (right - left)
    x2 = left + _GOLDEN * (right - left)
    q1 = _split_eval(x1, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
    q2 = _split_eval(x2, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
    if _split_score(q1[2], q1[3]) > _split_score(best[2], best[3]):
        best = q1
    if _split_score(q2[2], q2[3]) > _split_score(best[2], best[3]):
        best = q2
    for _ in range(14):
        if right - left <= 1e-3:
            break
        if total * (right - left) <= 0.01 * max(abs(total * (0.5 * (left + right))), _ROUTER_MIN):
            break
        s1, s2 = _split_score(q1[2], q1[3]), _split_score(q2[2], q2[3])
        if (
            math.isfinite(s1)
            and math.isfinite(s2)
            and abs(s1 - s2) <= 0.01 * max(abs(s1), abs(s2), 1e-12)
        ):
            break
        if s1 < s2:
            left, x1, q1 = x1, x2, q2
            x2 = left + _GOLDEN * (right - left)
            q2 = _split_eval(x2, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
            if _split_score(q2[2], q2[3]) > _split_score(best[2], best[3]):
                best = q2
        else:
            right, x2, q2 = x2, x1, q1
            x1 = right - _GOLDEN * (right - left)
            q1 = _split_eval(x1, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
            if _split_score(q1[2], q1[3]) > _split_score(best[2], best[3]):
                best = q1
    q = _split_eval((left + right) * 0.5, total, side, rx1, ry1, fee1, rx2, ry2, fee2)
    if _split_score(q[2], q[3]) > _split_score(best[2], best[3]):
        best = q
    return best


@njit(
    "void(float64[:, ::1], float64[:, ::1], int64[:, ::1], float64[:, :, ::1],"
    " boolean[:, :, ::1], float64[:, ::1], uint64[:, ::1], float64[::1], float64,"
    " float64[:, ::1])",
    cache=True,
)
def prop_amm_block(  # type: ignore[no-untyped-def]
    prices, arb_start, counts, sizes, is_buy, reserves, fees, norm_gamma, min_profit, edges
):
    """Advance every simulation of a batch through one block of steps of the prop-amm rules.

    :param prices: fair prices (S, B); ``arb_start``: arbitrage start sizes (S, B).
    :param counts: orders per step (S, B); ``sizes`` (Y) and ``is_buy``: (S, B, K).
    :param reserves: (S, 4) float: strategy x, y, normalizer x, y (updated in place).
    :param fees: (S, 4) uint64 fees in 1e-9 units: strategy side 0, side 1, normalizer side 0,
        side 1.
    :param norm_gamma: (S,) the normalizer's ``(10000 - bps) / 10000`` for its closed form.
    :param edges: (S, 6) accumulators (updated in place): strategy total, arb, retail;
        normalizer total, arb, retail.
    """
    for sim in range(prices.shape[0]):
        rx, ry, nrx, nry = reserves[sim, 0], reserves[sim, 1], reserves[sim, 2], reserves[sim, 3]
        sub_fees = (fees[sim, 0], fees[sim, 1])
        norm_fees = (fees[sim, 2], fees[sim, 3])
        gamma = norm_gamma[sim]
        for t in range(prices.shape[1]):
            fair = prices[sim, t]
            if not (math.isfinite(fair) and fair > 0.0):
                continue
            min_buy = max(_MIN_INPUT, _MIN_NOTIONAL)
            min_sell = max(_MIN_INPUT, _MIN_NOTIONAL / max(fair, 1e-9))
            start_y = min(max(arb_start[sim, t], _MIN_INPUT, min_buy), _MAX_INPUT)
            start_x = min(max(start_y / max(fair, 1e-9), min_sell), _MAX_INPUT)
            buy = _searched_candidate(0, start_y, min_buy, fair, rx, ry, sub_fees[0], min_profit)
            sell = _searched_candidate(1, start_x, min_sell, fair, rx, ry, sub_fees[1], min_profit)
            side, _, _, edge, rx, ry = _execute_best(buy, sell, fair, rx, ry, sub_fees)
            if side >= 0:
                edges[sim, 0] += edge
                edges[sim, 1] += edge
            buy = _closed_candidate(0, fair, nrx, nry, gamma, norm_fees[0], min_profit)
            sell = _closed_candidate(1, fair, nrx, nry, gamma, norm_fees[1], min_profit)
            side, _, _, edge, nrx, nry = _execute_best(buy, sell, fair, nrx, nry, norm_fees)
            if side >= 0:
                edges[sim, 3] += edge
                edges[sim, 4] += edge
            for k in range(counts[sim, t]):
                side = 0 if is_buy[sim, t, k] else 1
                total = sizes[sim, t, k] if side == 0 else sizes[sim, t, k] / fair
                in1, in2, out1, out2 = _maximize_split(
                    total, side, rx, ry, sub_fees[side], nrx, nry, norm_fees[side]
                )
                if in1 > _ROUTER_MIN and out1 > 0.0:
                    out, rx, ry = _execute(side, in1, rx, ry, sub_fees[side])
                    if out > 0.0:
                        edge = in1 - out * fair if side == 0 else in1 * fair - out
                        edges[sim, 0] += edge
                        edges[sim, 2] += edge
                if in2 > _ROUTER_MIN and out2 > 0.0:
                    out, nrx, nry = _execute(side, in2, nrx, nry, norm_fees[side])
                    if out > 0.0:
                        edge = in2 - out * fair if side == 0 else in2 * fair - out
                        edges[sim, 3] += edge
                        edges[sim, 5] += edge
        reserves[sim, 0], reserves[sim, 1], reserves[sim, 2], reserves[sim, 3] = rx, ry, nrx, nry

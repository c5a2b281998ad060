"""Compiled scalar kernels for constant-product pools (numba).

Pools whose pricing the engine knows (constant product, fees in storage) need no strategy
code to quote, so the engines (:mod:`arena.amm.propamm_engine`, :mod:`arena.amm.arena_engine`)
price them here, in compiled code. These functions are straightforward scalar ports of the
reference rules; a pool written as ``compute_swap`` with the same pricing goes through the
engine's requests to Python instead, and the two are tested to agree bit for bit.

Integer pricing is exact: ``floor(r_out * net / (r_in + net))`` multiplies into a 128-bit
(hi, lo) pair and divides it by a 64-bit divisor: a floating-point estimate of the quotient,
corrected with the exact remainder, or for quotients of 2**53 and more Hacker's Delight
``divlu`` (Knuth's algorithm D for two digits).

These kernels compile into the engines that call them, whose entry points have explicit
signatures: they compile when the engine modules are imported, or load from numba's on-disk
cache. The parent process imports them before any worker starts, so isolated workers, which may
not write files, only ever load. A kernel here has no signature of its own: numba would compile
it again, from scratch, each time a process loads an engine that calls it from the cache (about
half a second in the parent and in every worker). Set ``NUMBA_DISABLE_JIT=1`` to run them as
plain Python (slow, but debuggable).
"""

from __future__ import annotations

import math

import numpy as np

from arena.amm.jit import njit
from arena.amm.searches import (
    ARB_MAX_ITERS,
    ARB_REL_TOL,
    MAX_INPUT,
    MIN_INPUT,
    POINT,
    ROUTER_MIN_TRADE,
    arb_begin,
    arb_result,
    arb_tell,
    min_inputs,
    split_begin,
    split_inputs,
    split_result,
    split_tell,
)

__all__ = [
    "arb_starts",
    "better_side",
    "closed_candidate",
    "cp_output_scalar",
    "execute",
    "execute_best",
    "leg_edge",
    "maximize_split",
    "nano",
    "quotable",
    "quote",
    "retail_order",
    "searched_candidate",
    "settle",
    "spot_price",
    "storage_fees",
]

_U64 = np.uint64
_M32 = np.uint64(0xFFFFFFFF)
_B32 = np.uint64(1 << 32)
_FEE_SCALE = np.uint64(1_000_000_000)
_WAD_PER_FEE_UNIT = np.uint64(1_000_000_000)  # WAD (1e18) / FEE_SCALE
_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)
_TWO_64 = 18446744073709551616.0
_EXACT_FLOAT = 2.0**53  # integers up to here are exact doubles
_MIN_RESERVE = 1e-12


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


@njit(cache=True)
def _div128(hi, lo, v):  # type: ignore[no-untyped-def]
    """floor((hi * 2**64 + lo) / v) for hi < v, from a floating-point estimate made exact.

    Below 2**53 the estimate is off by a few units at most; the 128-bit remainder corrects
    it. Two hardware divisions (:func:`_divlu`) cost more than this, and pools' outputs are far
    below 2**53 nanos.
    """
    estimate = (float(hi) * _TWO_64 + float(lo)) / float(v)
    if not estimate < _EXACT_FLOAT:
        return _divlu(hi, lo, v)
    q = _U64(estimate)
    q_hi, q_lo = _mul64(q, v)
    while q_hi > hi or (q_hi == hi and q_lo > lo):  # q * v above the dividend: q too large
        q -= _U64(1)
        q_hi -= _U64(1) if q_lo < v else _U64(0)
        q_lo -= v
    while True:  # the remainder (hi, lo) - q * v must be below v
        r_hi = hi - q_hi - (_U64(1) if lo < q_lo else _U64(0))
        if r_hi == _U64(0) and lo - q_lo < v:
            return q
        q += _U64(1)
        q_hi += _U64(1) if q_lo + v < q_lo else _U64(0)
        q_lo += v


@njit(cache=True)
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
    return _div128(hi, lo, divisor)


@njit(cache=True)
def nano(value):  # type: ignore[no-untyped-def]
    scaled = value * 1e9
    if not scaled > 0.0:
        return _U64(0)
    if scaled >= _TWO_64:
        return _U64_MAX
    return _U64(scaled)


@njit(cache=True)
def storage_fees(words):  # type: ignore[no-untyped-def]
    """A fee-slot pool's fees from its storage words 0 and 1 (WAD), in 1e-9 units, capped."""
    return min(words[0] // _WAD_PER_FEE_UNIT, _FEE_SCALE), min(
        words[1] // _WAD_PER_FEE_UNIT, _FEE_SCALE
    )


@njit(cache=True)
def quotable(amount, rx, ry):  # type: ignore[no-untyped-def]
    """Whether a pool is asked at all: a positive finite input and live finite reserves."""
    return (
        amount > 0.0
        and math.isfinite(amount)
        and rx > _MIN_RESERVE
        and ry > _MIN_RESERVE
        and math.isfinite(rx)
        and math.isfinite(ry)
    )


@njit(cache=True)
def quote(side, amount, rx, ry, fee):  # type: ignore[no-untyped-def]
    """The reference's quote_buy_x (side 0, Y in) / quote_sell_x (side 1, X in)."""
    if not quotable(amount, rx, ry):
        return 0.0
    if side == 0:
        out = cp_output_scalar(nano(amount), nano(ry), nano(rx), fee) / 1e9
        limit = rx
    else:
        out = cp_output_scalar(nano(amount), nano(rx), nano(ry), fee) / 1e9
        limit = ry
    if not math.isfinite(out) or out <= 0.0 or out > limit:
        return 0.0
    return out


@njit(cache=True)
def execute(side, amount, rx, ry, fee):  # type: ignore[no-untyped-def]
    """The reference's execute: (output, new rx, new ry); output 0 leaves reserves alone."""
    return settle(side, amount, quote(side, amount, rx, ry, fee), rx, ry)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def retail_order(sizes, is_buy, sim, t, k, fair):  # type: ignore[no-untyped-def]
    """Order ``k`` of step ``t`` as (side, input): side 0 pays Y for X, its size (in Y) is the
    input; side 1 pays X for Y, its size converted to X at the fair price."""
    side = 0 if is_buy[sim, t, k] else 1
    return side, (sizes[sim, t, k] if side == 0 else sizes[sim, t, k] / fair)


@njit(cache=True)
def leg_edge(side, amount, out, fair):  # type: ignore[no-untyped-def]
    """A pool's edge from a trade (``amount`` in, ``out`` out), in Y at the fair price."""
    return amount - out * fair if side == 0 else amount * fair - out


@njit(cache=True)
def spot_price(rx, ry):  # type: ignore[no-untyped-def]
    """A pool's spot price ``ry / rx``; NaN for an empty pool."""
    return ry / rx if rx > _MIN_RESERVE else math.nan


@njit(cache=True)
def settle(side, amount, out, rx, ry):  # type: ignore[no-untyped-def]
    """Move reserves by a quoted trade: (output, new rx, new ry), or (0, rx, ry) if refused.

    A trade is refused if its output is not positive, takes the whole reserve, or leaves a
    reserve below the minimum or not finite.
    """
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
def arb_starts(start, fair, min_buy, min_sell):  # type: ignore[no-untyped-def]
    """Where the reference's arbitrage searches start on each side, from a size in Y."""
    start_y = min(max(start, MIN_INPUT, min_buy), MAX_INPUT)
    return start_y, min(max(start_y / max(fair, 1e-9), min_sell), MAX_INPUT)


@njit(cache=True)
def searched_candidate(state, side, start, floor, fair, rx, ry, fee, min_profit):  # type: ignore[no-untyped-def]
    """The reference's arbitrage search on one side of a pool, as a candidate (see
    :func:`execute_best`; its output is not kept)."""
    arb_begin(
        state, side, fair, floor, start, rx, ry, False, ARB_MAX_ITERS, ARB_REL_TOL, min_profit
    )
    while arb_tell(state, quote(side, state[POINT], rx, ry, fee)):
        pass
    amount, profit, ok = arb_result(state)
    return amount, profit, ok, math.nan


@njit(cache=True)
def closed_candidate(side, fair, rx, ry, gamma, fee, min_profit):  # type: ignore[no-untyped-def]
    """The reference's closed-form normalizer arbitrage on one side, as a candidate (see
    :func:`execute_best`)."""
    if not (math.isfinite(rx) and math.isfinite(ry) and rx > 0.0 and ry > 0.0 and gamma > 0.0):
        return 0.0, 0.0, False, 0.0
    if side == 0:
        target = math.sqrt(fair * rx * gamma * ry)
        if not math.isfinite(target) or target <= ry:
            return 0.0, 0.0, False, 0.0
        amount = min(max((target - ry) / gamma, min_inputs(fair)[0]), MAX_INPUT)
    else:
        target = math.sqrt(ry * rx * gamma / fair)
        if not math.isfinite(target) or target <= rx:
            return 0.0, 0.0, False, 0.0
        amount = min(max((target - rx) / gamma, min_inputs(fair)[1]), MAX_INPUT)
    out = quote(side, amount, rx, ry, fee)
    profit = out * fair - amount if side == 0 else out - amount * fair
    return amount, profit, out > 0.0 and profit >= min_profit, out


@njit(cache=True)
def better_side(buy_ok, buy_profit, sell_ok, sell_profit):  # type: ignore[no-untyped-def]
    """The side an arbitrageur trades: 1 (sell X) only if strictly more profitable than a
    standing buy, else 0 if the buy stands, else -1."""
    if sell_ok and not (buy_ok and not (sell_profit > buy_profit)):
        return 1
    return 0 if buy_ok else -1


@njit(cache=True)
def execute_best(buy, sell, fair, rx, ry, fees):  # type: ignore[no-untyped-def]
    """Execute the better of two candidates (:func:`better_side`).

    A candidate is ``(input, profit, stands, output)``, the output being the pool's quote for
    that input on these reserves and fees, or NaN if the search did not keep it: a kept quote
    is not asked again (quotes are pure, so the trade is the same).

    :returns: (side or -1, input, output, the pool's edge, rx, ry).
    """
    buy_amount, buy_profit, buy_ok, buy_out = buy
    sell_amount, sell_profit, sell_ok, sell_out = sell
    side = better_side(buy_ok, buy_profit, sell_ok, sell_profit)
    if side < 0:
        return -1, 0.0, 0.0, 0.0, rx, ry
    amount, out = (sell_amount, sell_out) if side == 1 else (buy_amount, buy_out)
    if math.isnan(out):
        out = quote(side, amount, rx, ry, fees[side])
    out, rx, ry = settle(side, amount, out, rx, ry)
    return (side if out > 0.0 else -1), amount, out, leg_edge(side, amount, out, fair), rx, ry


@njit(cache=True)
def maximize_split(state, total, side, rx1, ry1, fee1, rx2, ry2, fee2):  # type: ignore[no-untyped-def]
    """The reference router's split of an order between two constant-product pools."""
    split_begin(state, total)
    while True:
        in1, in2 = split_inputs(state)
        out1 = quote(side, in1, rx1, ry1, fee1) if in1 > ROUTER_MIN_TRADE else 0.0
        out2 = quote(side, in2, rx2, ry2, fee2) if in2 > ROUTER_MIN_TRADE else 0.0
        if not split_tell(state, out1, out2):
            return split_result(state)

"""A straightforward scalar port of the prop-amm reference engine: the tests' oracle.

Written from ``prop-amm-mechanics.md`` one simulation at a time with Python floats and ints,
deliberately without sharing code with the vectorised engine (only the random streams, which
have their own oracle tests). It is slow; tests run it on short simulations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from arena.amm.params import sample_params
from arena.amm.streams import SimulationStreams

MIN_INPUT = 0.001
GOLDEN = 0.6180339887498948
MAX_INPUT = (2.0**64 / 1e9) * 0.999999
MIN_RESERVE = 1e-12

Quote = Callable[[int, int, int, int], int]


def nano(v: float) -> int:
    if math.isnan(v) or v <= 0:
        return 0
    if math.isinf(v) or v * 1e9 >= 2.0**64:
        return 2**64 - 1
    return int(v * 1e9)


def cp_quote(fee_num: int, fee_den: int) -> Quote:
    def quote(side: int, amount: int, rx: int, ry: int) -> int:
        if rx == 0 or ry == 0:
            return 0
        k = rx * ry
        net = amount * fee_num // fee_den
        if side == 0:
            new_ry = ry + net
            return max(0, rx - (k + new_ry - 1) // new_ry)
        new_rx = rx + net
        return max(0, ry - (k + new_rx - 1) // new_rx)

    return quote


class Amm:
    def __init__(self, quote: Quote, rx: float, ry: float) -> None:
        self.fn, self.rx, self.ry = quote, rx, ry

    def _quote(self, side: int, amount: float) -> float:
        if amount <= 0 or not math.isfinite(amount):
            return 0.0
        if not (self.rx > MIN_RESERVE and self.ry > MIN_RESERVE):
            return 0.0
        out = self.fn(side, nano(amount), nano(self.rx), nano(self.ry)) / 1e9
        limit = self.rx if side == 0 else self.ry
        return 0.0 if not math.isfinite(out) or out <= 0 or out > limit else out

    def quote_buy_x(self, y: float) -> float:
        return self._quote(0, y)

    def quote_sell_x(self, x: float) -> float:
        return self._quote(1, x)

    def execute_buy_x(self, y: float) -> float:
        out = self.quote_buy_x(y)
        if y <= 0 or out <= 0 or out >= self.rx:
            return 0.0
        new_rx, new_ry = self.rx - out, self.ry + y
        if new_rx <= MIN_RESERVE or new_ry <= MIN_RESERVE:
            return 0.0
        self.rx, self.ry = new_rx, new_ry
        return out

    def execute_sell_x(self, x: float) -> float:
        out = self.quote_sell_x(x)
        if x <= 0 or out <= 0 or out >= self.ry:
            return 0.0
        new_rx, new_ry = self.rx + x, self.ry - out
        if new_rx <= MIN_RESERVE or new_ry <= MIN_RESERVE:
            return 0.0
        self.rx, self.ry = new_rx, new_ry
        return out


def san(v: float) -> float:
    return v if math.isfinite(v) else -math.inf


def bracket(start: float, min_in: float, max_in: float, f: Callable[[float], float]) -> tuple[float, float]:
    min_in = max(min_in, MIN_INPUT)
    lo = min_in
    max_in = max(max_in, min_in)
    mid = min(max(start, min_in), max_in)
    mid_v = san(f(mid))
    if mid_v <= 0:
        return lo, mid
    hi = min(mid * 2.0, max_in)
    if hi <= mid:
        return lo, mid
    hi_v = san(f(hi))
    for _ in range(24):
        if hi_v <= mid_v or hi >= max_in:
            return lo, hi
        lo, mid, mid_v = mid, hi, hi_v
        nxt = min(hi * 2.0, max_in)
        if nxt <= hi:
            return lo, hi
        hi = nxt
        hi_v = san(f(hi))
    return lo, hi


def golden(lo: float, hi: float, f: Callable[[float], float]) -> float:
    left = max(min(lo, hi), 0.0)
    right = max(max(hi, lo), MIN_INPUT)
    if right <= left:
        return right
    best_x, best = left, san(f(left))
    rv = san(f(right))
    if rv > best:
        best_x, best = right, rv
    x1 = right - GOLDEN * (right - left)
    x2 = left + GOLDEN * (right - left)
    f1, f2 = san(f(x1)), san(f(x2))
    if f1 > best:
        best_x, best = x1, f1
    if f2 > best:
        best_x, best = x2, f2
    for _ in range(12):
        if f1 < f2:
            left, x1, f1 = x1, x2, f2
            x2 = left + GOLDEN * (right - left)
            f2 = san(f(x2))
            if f2 > best:
                best_x, best = x2, f2
        else:
            right, x2, f2 = x2, x1, f1
            x1 = right - GOLDEN * (right - left)
            f1 = san(f(x1))
            if f1 > best:
                best_x, best = x1, f1
        mid = 0.5 * (left + right)
        if (right - left) <= 0.01 * max(abs(mid), MIN_INPUT):
            break
    return best_x


def split(total: float, ev: Callable[[float], tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    def score(q: tuple[float, float, float, float]) -> float:
        return san(q[2] + q[3])

    def better(a, b):  # type: ignore[no-untyped-def]
        return b if score(b) > score(a) else a

    left, right = 0.0, 1.0
    best = better(ev(left), ev(right))
    x1 = right - GOLDEN * (right - left)
    x2 = left + GOLDEN * (right - left)
    q1, q2 = ev(x1), ev(x2)
    best = better(better(best, q1), q2)
    for _ in range(14):
        if right - left <= 1e-3:
            break
        if total * (right - left) <= 0.01 * max(abs(total * (0.5 * (left + right))), 0.001):
            break
        s1, s2 = score(q1), score(q2)
        if math.isfinite(s1) and math.isfinite(s2) and abs(s1 - s2) <= 0.01 * max(abs(s1), abs(s2), 1e-12):
            break
        if s1 < s2:
            left, x1, q1 = x1, x2, q2
            x2 = left + GOLDEN * (right - left)
            q2 = ev(x2)
            best = better(best, q2)
        else:
            right, x2, q2 = x2, x1, q1
            x1 = right - GOLDEN * (right - left)
            q1 = ev(x1)
            best = better(best, q1)
    return better(best, ev((left + right) * 0.5))


@dataclass
class Result:
    edge: float
    arb_edge: float
    retail_edge: float
    normalizer_edge: float


def run(seed: int, steps: int, quote: Quote) -> Result:
    p = sample_params(seed)
    sub = Amm(quote, 100.0, 10_000.0)
    norm = Amm(cp_quote(10_000 - p.norm_fee_bps, 10_000), 100.0 * p.norm_liquidity_mult, 10_000.0 * p.norm_liquidity_mult)
    gamma = (10_000.0 - p.norm_fee_bps) / 10_000.0
    block = SimulationStreams(p).next(steps)
    edge = arb_edge = retail_edge = norm_edge = 0.0
    order = 0
    for t in range(steps):
        fair = float(block.prices[t])
        # submission arbitrage: search both sides
        min_sell = max(MIN_INPUT, 0.01 / max(fair, 1e-9))
        start_y = min(max(max(float(block.arb_start_sizes[t]), MIN_INPUT), 0.01), MAX_INPUT)
        start_x = min(max(start_y / max(fair, 1e-9), min_sell), MAX_INPUT)
        cands = []
        fb = lambda y: sub.quote_buy_x(y) * fair - y  # noqa: E731
        yb = golden(*bracket(start_y, 0.01, MAX_INPUT, fb), fb)
        if yb >= 0.01:
            out = sub.quote_buy_x(yb)
            if out > 0 and out * fair - yb >= 0.01:
                cands.append((0, yb, out * fair - yb))
        fs = lambda x: sub.quote_sell_x(x) - x * fair  # noqa: E731
        xs = golden(*bracket(start_x, min_sell, MAX_INPUT, fs), fs)
        if xs >= min_sell:
            out = sub.quote_sell_x(xs)
            if out > 0 and out - xs * fair >= 0.01:
                cands.append((1, xs, out - xs * fair))
        choice = _best(cands)
        if choice is not None:
            side, amount, _ = choice
            if side == 0:
                out = sub.execute_buy_x(amount)
                e = amount - out * fair
            else:
                out = sub.execute_sell_x(amount)
                e = amount * fair - out
            if out > 0:
                edge += e
                arb_edge += e
        # normalizer arbitrage: closed form
        cands = []
        rx, ry = norm.rx, norm.ry
        target = math.sqrt(fair * rx * gamma * ry)
        if math.isfinite(target) and target > ry:
            y = min(max((target - ry) / gamma, 0.01), MAX_INPUT)
            out = norm.quote_buy_x(y)
            if out > 0 and out * fair - y >= 0.01:
                cands.append((0, y, out * fair - y))
        target = math.sqrt(ry * rx * gamma / fair)
        if math.isfinite(target) and target > rx:
            x = min(max((target - rx) / gamma, min_sell), MAX_INPUT)
            out = norm.quote_sell_x(x)
            if out > 0 and out - x * fair >= 0.01:
                cands.append((1, x, out - x * fair))
        choice = _best(cands)
        if choice is not None:
            side, amount, _ = choice
            out = norm.execute_buy_x(amount) if side == 0 else norm.execute_sell_x(amount)
            if out > 0:
                norm_edge += amount - out * fair if side == 0 else amount * fair - out
        # retail
        for _ in range(int(block.retail.counts[t])):
            size, is_buy = float(block.retail.sizes[order]), bool(block.retail.is_buy[order])
            order += 1
            total = size if is_buy else size / fair
            side = 0 if is_buy else 1

            def ev(alpha: float, total: float = total, side: int = side) -> tuple[float, float, float, float]:
                a, b = total * alpha, total * (1.0 - alpha)
                oa = sub._quote(side, a) if a > 0.001 else 0.0
                ob = norm._quote(side, b) if b > 0.001 else 0.0
                return a, b, oa, ob

            a, b, oa, ob = split(total, ev)
            for amm, amount, planned, is_sub in ((sub, a, oa, True), (norm, b, ob, False)):
                if amount > 0.001 and planned > 0:
                    out = amm.execute_buy_x(amount) if is_buy else amm.execute_sell_x(amount)
                    if out > 0:
                        e = amount - out * fair if is_buy else amount * fair - out
                        if is_sub:
                            edge += e
                            retail_edge += e
                        else:
                            norm_edge += e
    return Result(edge, arb_edge, retail_edge, norm_edge)


def _best(cands: list[tuple[int, float, float]]) -> tuple[int, float, float] | None:
    buy = next((c for c in cands if c[0] == 0), None)
    sell = next((c for c in cands if c[0] == 1), None)
    if buy and sell:
        return sell if sell[2] > buy[2] else buy
    return buy or sell

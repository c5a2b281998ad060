"""Arbitrage of one pool against the fair price, for many simulations at once.

An arbitrageur looks at both sides of a pool: buying X (paying Y) when the pool's ask is
below the fair price, selling X when its bid is above. It trades the most profitable size,
subject to the reference's floors (an input of at least 0.01 Y or its X equivalent, and a
profit of at least ``min_profit`` Y). Selling wins only when strictly more profitable.

Three ways to find the size:

* :func:`closed_form` for constant-product pools: ``y* = (sqrt(P gamma R_x R_y) - R_y) / gamma``
  and ``x* = (sqrt(gamma R_x R_y / P) - R_x) / gamma``;
* :func:`reference_search`: the prop-amm engine's bracket + golden-section search from a
  random retail-sized start (12 golden steps, 1% tolerance), used by the ``prop-amm`` ruleset;
* :func:`precise_search` for ``compute_swap`` pools in the ``arena`` ruleset: one probe per
  side at the floor decides whether a side can be profitable at all (output curves are
  concave), then a bracket from the constant-product estimate and a golden-section search
  to a 1e-4 relative tolerance, so the profit left on the table is negligible.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from arena.amm.pools import PayloadFactory, PoolBatch
from arena.amm.search import MIN_INPUT, Objective, bracket_maximum, golden_section_max

__all__ = [
    "MAX_INPUT_AMOUNT",
    "MIN_NOTIONAL_Y",
    "Candidate",
    "closed_form",
    "execute_best",
    "min_inputs",
    "precise_search",
    "reference_search",
]

MAX_INPUT_AMOUNT: Final = (2.0**64 / 1e9) * 0.999999
#: Smallest arbitrage input, in Y (or its X equivalent at the fair price).
MIN_NOTIONAL_Y: Final = 0.01
PRECISE_REL_TOL: Final = 1e-4
PRECISE_MAX_ITERS: Final = 40

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class Candidate(NamedTuple):
    """A planned arbitrage per simulation: its input, expected profit and whether it stands."""

    amount: FloatArray
    profit: FloatArray
    ok: BoolArray


def min_inputs(fair: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The reference's smallest arbitrage inputs: ``(buy, in Y; sell, in X)``."""
    buy = np.full(fair.shape, max(MIN_INPUT, MIN_NOTIONAL_Y))
    sell = np.maximum(MIN_INPUT, MIN_NOTIONAL_Y / np.maximum(fair, 1e-9))
    return buy, sell


def profit_of(side: int, amount: FloatArray, out: FloatArray, fair: FloatArray) -> FloatArray:
    """The arbitrageur's profit in Y: side 0 pays Y and gets X, side 1 pays X and gets Y."""
    return out * fair - amount if side == 0 else out - amount * fair


def requote(
    pool: PoolBatch,
    side: int,
    amount: FloatArray,
    ok: BoolArray,
    fair: FloatArray,
    min_profit: float,
) -> Candidate:
    """Quote a planned size; it stands if the output is positive and the profit clears the floor."""
    out = pool.quote(side, amount, ok)
    profit = profit_of(side, amount, out, fair)
    return Candidate(amount, profit, ok & (out > 0.0) & (profit >= min_profit))


def closed_form(
    pool: PoolBatch,
    fair: FloatArray,
    gamma_buy: FloatArray,
    gamma_sell: FloatArray,
    valid: BoolArray,
    min_profit: float,
) -> tuple[Candidate, Candidate]:
    """Optimal sizes on both sides of constant-product pools (fees ``1 - gamma`` per side).

    The evaluation order of the square roots is the reference engine's.
    """
    rx, ry = pool.reserve_x, pool.reserve_y
    ok = valid & np.isfinite(rx) & np.isfinite(ry) & (rx > 0.0) & (ry > 0.0)
    min_buy, min_sell = min_inputs(fair)
    with np.errstate(invalid="ignore", divide="ignore"):
        target_buy = np.sqrt(fair * rx * gamma_buy * ry)
        target_sell = np.sqrt(ry * rx * gamma_sell / fair)
        y = np.minimum(np.maximum((target_buy - ry) / gamma_buy, min_buy), MAX_INPUT_AMOUNT)
        x = np.minimum(np.maximum((target_sell - rx) / gamma_sell, min_sell), MAX_INPUT_AMOUNT)
    buy_ok = ok & (gamma_buy > 0.0) & np.isfinite(target_buy) & (target_buy > ry)
    sell_ok = ok & (gamma_sell > 0.0) & np.isfinite(target_sell) & (target_sell > rx)
    buy = requote(pool, 0, np.where(buy_ok, y, 0.0), buy_ok, fair, min_profit)
    sell = requote(pool, 1, np.where(sell_ok, x, 0.0), sell_ok, fair, min_profit)
    return buy, sell


def _objectives(pool: PoolBatch, fair: FloatArray) -> tuple[Objective, Objective]:
    def buy(y: FloatArray, mask: BoolArray) -> FloatArray:
        return pool.quote(0, y, mask) * fair - y

    def sell(x: FloatArray, mask: BoolArray) -> FloatArray:
        return pool.quote(1, x, mask) - x * fair

    return buy, sell


def reference_search(
    pool: PoolBatch, fair: FloatArray, start_size: FloatArray, valid: BoolArray, min_profit: float
) -> tuple[Candidate, Candidate]:
    """The prop-amm engine's search on both sides, from a random start size in Y.

    A side whose profit is not positive at the smallest allowed input is not searched: for a
    concave output curve (which validation requires) its profit is then nowhere positive, and
    the reference's search would end below the profit floor, so the result is the same.
    """
    min_buy, min_sell = min_inputs(fair)
    start_y = np.minimum(np.maximum(np.maximum(start_size, MIN_INPUT), min_buy), MAX_INPUT_AMOUNT)
    start_x = np.minimum(np.maximum(start_y / np.maximum(fair, 1e-9), min_sell), MAX_INPUT_AMOUNT)
    candidates = []
    for side, (objective, start, floor) in enumerate(
        zip(_objectives(pool, fair), (start_y, start_x), (min_buy, min_sell), strict=True)
    ):
        promising = valid & (objective(np.maximum(floor, MIN_INPUT), valid) > 0.0)
        lo, hi = bracket_maximum(start, floor, MAX_INPUT_AMOUNT, objective, promising)
        best, _ = golden_section_max(lo, hi, objective, promising)
        candidates.append(requote(pool, side, best, promising & (best >= floor), fair, min_profit))
    return candidates[0], candidates[1]


def precise_search(
    pool: PoolBatch, fair: FloatArray, valid: BoolArray, min_profit: float
) -> tuple[Candidate, Candidate]:
    """Both sides of black-box (concave) pools, searched to a tight tolerance."""
    min_buy, min_sell = min_inputs(fair)
    rx, ry = pool.reserve_x, pool.reserve_y
    candidates = []
    for side, (objective, floor) in enumerate(
        zip(_objectives(pool, fair), (min_buy, min_sell), strict=True)
    ):
        probe = pool.quote(side, floor, valid)
        can_profit = valid & (profit_of(side, floor, probe, fair) > 0.0)
        if not can_profit.any():
            candidates.append(Candidate(floor, np.zeros_like(fair), np.zeros_like(valid)))
            continue
        # Start from the optimum of a constant-product pool with the same spot and the fee
        # implied by the probe's effective price.
        with np.errstate(divide="ignore", invalid="ignore"):
            if side == 0:
                gamma = np.clip(probe / floor * ry / rx, 1e-6, 1.0)
                start = (np.sqrt(fair * rx * gamma * ry) - ry) / gamma
            else:
                gamma = np.clip(probe / floor * rx / ry, 1e-6, 1.0)
                start = (np.sqrt(ry * rx * gamma / fair) - rx) / gamma
        start = np.where(np.isfinite(start) & (start > floor), start, floor)
        lo, hi = bracket_maximum(start, floor, MAX_INPUT_AMOUNT, objective, can_profit)
        best, _ = golden_section_max(
            lo, hi, objective, can_profit, max_iters=PRECISE_MAX_ITERS, rel_tol=PRECISE_REL_TOL
        )
        candidates.append(requote(pool, side, best, can_profit & (best >= floor), fair, min_profit))
    return candidates[0], candidates[1]


def execute_best(
    pool: PoolBatch,
    buy: Candidate,
    sell: Candidate,
    fair: FloatArray,
    payload: PayloadFactory | None,
) -> tuple[FloatArray, BoolArray]:
    """Execute the better side per simulation (selling only when strictly more profitable).

    :returns: the pool's edge from the trade (Y, at the fair price) and where a trade happened.
    """
    take_sell = sell.ok & ~(buy.ok & ~(sell.profit > buy.profit))
    take_buy = buy.ok & ~take_sell
    edge = np.zeros_like(fair)
    traded = np.zeros(fair.shape, dtype=bool)
    if take_buy.any():
        out = pool.execute(0, buy.amount, take_buy, payload)
        done = take_buy & (out > 0.0)
        edge = np.where(done, buy.amount - out * fair, edge)
        traded |= done
    if take_sell.any():
        out = pool.execute(1, sell.amount, take_sell, payload)
        done = take_sell & (out > 0.0)
        edge = np.where(done, sell.amount * fair - out, edge)
        traded |= done
    return edge, traded

"""The reference engine's searches, run for many simulations at once.

Each function follows the prop-amm engine step for step (same evaluation order, same float
operations, same stopping rules), with one array element per simulation; a simulation that
has stopped keeps its state while the others go on. Objective functions take the points to
evaluate and a mask of the simulations that need them, and return one value per simulation.

* :func:`bracket_maximum` and :func:`golden_section_max`: the arbitrageur's search for the
  most profitable trade size (``arbitrageur.rs``): grow a bracket from a random start by
  doubling, then at most 12 golden-section steps, returning the best *sampled* point.
* :func:`maximize_split`: the router's search over the share ``alpha`` of an order sent to
  the first pool (``router.rs``): endpoints, two golden points, at most 14 steps with three
  early stops, then always the centre.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = [
    "GOLDEN",
    "MIN_INPUT",
    "SplitResult",
    "bracket_maximum",
    "golden_section_max",
    "maximize_split",
    "sanitize",
]

GOLDEN: Final = 0.6180339887498948
MIN_INPUT: Final = 0.001
ARB_GOLDEN_MAX_ITERS: Final = 12
ARB_INPUT_REL_TOL: Final = 1e-2
BRACKET_MAX_STEPS: Final = 24
BRACKET_GROWTH: Final = 2.0
ROUTER_MIN_TRADE: Final = 0.001
ROUTER_MAX_ITERS: Final = 14
ROUTER_ALPHA_TOL: Final = 1e-3
ROUTER_AMOUNT_REL_TOL: Final = 1e-2
ROUTER_SCORE_REL_GAP: Final = 1e-2

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Objective = Callable[[FloatArray, BoolArray], FloatArray]


def sanitize(values: FloatArray) -> FloatArray:
    """Non-finite objective values become -inf, as in the reference."""
    return np.where(np.isfinite(values), values, -np.inf)


def bracket_maximum(
    start: FloatArray,
    min_input: FloatArray,
    max_input: float,
    objective: Objective,
    active: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """Bracket the maximum of a profit that is 0 at zero input, growing from ``start``.

    :returns: ``(lo, hi)`` per simulation.
    """
    min_input = np.maximum(min_input, MIN_INPUT)
    lo = min_input.copy()
    upper = np.maximum(max_input, min_input)
    mid = np.minimum(np.maximum(start, min_input), upper)
    mid_value = sanitize(objective(mid, active))
    hi = np.minimum(mid * BRACKET_GROWTH, upper)
    running = active & (mid_value > 0.0) & ~(hi <= mid)
    # Simulations that stop here return (lo, mid).
    hi = np.where(running, hi, mid)
    hi_value = sanitize(objective(hi, running))
    for _ in range(BRACKET_MAX_STEPS):
        running &= ~((hi_value <= mid_value) | (hi >= upper))
        if not running.any():
            break
        lo = np.where(running, mid, lo)
        mid = np.where(running, hi, mid)
        mid_value = np.where(running, hi_value, mid_value)
        next_hi = np.minimum(hi * BRACKET_GROWTH, upper)
        running &= ~(next_hi <= hi)
        hi = np.where(running, next_hi, hi)
        hi_value = np.where(running, sanitize(objective(hi, running)), hi_value)
    return lo, hi


def golden_section_max(
    lo: FloatArray,
    hi: FloatArray,
    objective: Objective,
    active: BoolArray,
    max_iters: int = ARB_GOLDEN_MAX_ITERS,
    rel_tol: float = ARB_INPUT_REL_TOL,
) -> tuple[FloatArray, FloatArray]:
    """Golden-section search for the maximum on ``[lo, hi]``; the best sampled point wins.

    :param max_iters: golden steps after the four initial evaluations (reference: 12).
    :param rel_tol: stop once the bracket is this narrow relative to its midpoint (reference: 1%).
    :returns: ``(best_x, best_value)`` per simulation.
    """
    left = np.maximum(np.minimum(lo, hi), 0.0)
    right = np.maximum(np.maximum(hi, lo), MIN_INPUT)
    degenerate = active & (right <= left)
    searching = active & ~degenerate

    best_x = np.where(degenerate, right, left)
    best = sanitize(objective(best_x, active))
    right_value = sanitize(objective(right, searching))
    better = searching & (right_value > best)
    best_x = np.where(better, right, best_x)
    best = np.where(better, right_value, best)

    x1 = right - GOLDEN * (right - left)
    x2 = left + GOLDEN * (right - left)
    f1 = sanitize(objective(x1, searching))
    f2 = sanitize(objective(x2, searching))
    for x, value in ((x1, f1), (x2, f2)):
        better = searching & (value > best)
        best_x = np.where(better, x, best_x)
        best = np.where(better, value, best)

    running = searching.copy()
    for _ in range(max_iters):
        if not running.any():
            break
        go_right = running & (f1 < f2)
        go_left = running & ~go_right
        left = np.where(go_right, x1, left)
        right = np.where(go_left, x2, right)
        new_x1 = np.where(go_right, x2, right - GOLDEN * (right - left))
        new_x2 = np.where(go_right, left + GOLDEN * (right - left), x1)
        probe = np.where(go_right, new_x2, new_x1)
        value = sanitize(objective(probe, running))
        f1, f2 = (
            np.where(go_right, f2, np.where(go_left, value, f1)),
            np.where(go_right, value, np.where(go_left, f1, f2)),
        )
        x1 = np.where(running, new_x1, x1)
        x2 = np.where(running, new_x2, x2)
        better = running & (value > best)
        best_x = np.where(better, probe, best_x)
        best = np.where(better, value, best)
        mid = 0.5 * (left + right)
        running &= ~((right - left) <= rel_tol * np.maximum(np.abs(mid), MIN_INPUT))
    return best_x, best


class SplitResult(NamedTuple):
    """The best split found for each simulation's order."""

    in_first: FloatArray
    in_second: FloatArray
    out_first: FloatArray
    out_second: FloatArray


SplitQuote = Callable[[FloatArray, FloatArray, BoolArray], tuple[FloatArray, FloatArray]]


def maximize_split(total: FloatArray, quote: SplitQuote, active: BoolArray) -> SplitResult:
    """The router's golden-section search over the first pool's share of each order.

    :param total: the order's input per simulation.
    :param quote: ``quote(in_first, in_second, mask) -> (out_first, out_second)``; it must
        return 0 for a leg whose input is not above :data:`ROUTER_MIN_TRADE`.
    """

    def evaluate(alpha: FloatArray, mask: BoolArray) -> SplitResult:
        in_first = total * alpha
        in_second = total * (1.0 - alpha)
        out_first, out_second = quote(in_first, in_second, mask)
        return SplitResult(in_first, in_second, out_first, out_second)

    def score(point: SplitResult) -> FloatArray:
        return sanitize(point.out_first + point.out_second)

    def keep_better(best: SplitResult, other: SplitResult, mask: BoolArray) -> SplitResult:
        return _choose(mask & (score(other) > score(best)), other, best)

    size = total.shape[0]
    left = np.zeros(size)
    right = np.ones(size)
    best = evaluate(left, active)
    best = keep_better(best, evaluate(right, active), active)
    x1 = right - GOLDEN * (right - left)
    x2 = left + GOLDEN * (right - left)
    q1 = evaluate(x1, active)
    q2 = evaluate(x2, active)
    best = keep_better(best, q1, active)
    best = keep_better(best, q2, active)

    running = active.copy()
    for _ in range(ROUTER_MAX_ITERS):
        running &= ~(right - left <= ROUTER_ALPHA_TOL)
        width = total * (right - left)
        scale = np.maximum(np.abs(total * (0.5 * (left + right))), ROUTER_MIN_TRADE)
        running &= ~(width <= ROUTER_AMOUNT_REL_TOL * scale)
        s1, s2 = score(q1), score(q2)
        finite = np.isfinite(s1) & np.isfinite(s2)
        with np.errstate(invalid="ignore"):
            gap = np.abs(s1 - s2) <= ROUTER_SCORE_REL_GAP * np.maximum(
                np.maximum(np.abs(s1), np.abs(s2)), 1e-12
            )
        running &= ~(finite & gap)
        if not running.any():
            break
        go_right = running & (s1 < s2)
        go_left = running & ~go_right
        left = np.where(go_right, x1, left)
        right = np.where(go_left, x2, right)
        new_x1 = np.where(go_right, x2, right - GOLDEN * (right - left))
        new_x2 = np.where(go_right, left + GOLDEN * (right - left), x1)
        probe = evaluate(np.where(go_right, new_x2, new_x1), running)
        # Moving right, the old second point becomes the first; moving left, the reverse.
        q1, q2 = (
            _choose(go_right, q2, _choose(go_left, probe, q1)),
            _choose(go_right, probe, _choose(go_left, q1, q2)),
        )
        x1 = np.where(running, new_x1, x1)
        x2 = np.where(running, new_x2, x2)
        best = keep_better(best, probe, running)
    center = evaluate((left + right) * 0.5, active)
    return keep_better(best, center, active)


def _choose(mask: BoolArray, where_true: SplitResult, where_false: SplitResult) -> SplitResult:
    return SplitResult(
        *(np.where(mask, t, f) for t, f in zip(where_true, where_false, strict=True))
    )

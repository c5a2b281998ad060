"""Epochs move capital toward the strategies with the best risk-adjusted edge (seed 003).

* score: ``edge - penalty * max(0, -edge)``: a loss of X counts as ``(1 + penalty) X``;
* weights: ``softmax(score / temperature)``, then every weight below the floor is raised to it
  and the others are scaled down to fill the rest, repeated until no weight is below the
  floor (a single clip-and-renormalise pass can push weights back under it);
* rebalance: the strategies' pools are revalued at the fair price, and pool ``i`` receives
  ``w_i`` of the total at its own spot price: ``x_i = w_i V / (P + s_i)``, ``y_i = s_i x_i``.
  Total value at the fair price is conserved and no spot price moves, so the rebalance
  itself creates no arbitrage.

All functions work on arrays shaped (simulations, strategies).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["capital_weights", "rebalance", "risk_scores"]

FloatArray = npt.NDArray[np.float64]


def risk_scores(edge: FloatArray, penalty: float) -> FloatArray:
    """``edge - penalty * max(0, -edge)``."""
    return edge - penalty * np.maximum(0.0, -edge)


def capital_weights(scores: FloatArray, temperature: float, floor: float) -> FloatArray:
    """Softmax of ``scores / temperature`` with every weight at least ``floor``.

    :raises ValueError: if ``floor`` times the number of strategies exceeds 1.
    """
    count = scores.shape[-1]
    if floor * count > 1.0 + 1e-12:
        raise ValueError(f"a {floor:.2%} floor for {count} strategies exceeds 100%")
    shifted = scores / temperature
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    soft = np.exp(shifted)
    soft /= soft.sum(axis=-1, keepdims=True)
    floored = np.zeros(soft.shape, dtype=bool)
    weights = soft
    for _ in range(count):
        free = np.where(floored, 0.0, soft)
        remaining = 1.0 - floor * floored.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = free * remaining / free.sum(axis=-1, keepdims=True)
        weights = np.where(floored, floor, np.nan_to_num(scaled))
        newly = ~floored & (weights < floor)
        if not newly.any():
            break
        floored |= newly
    return weights


def rebalance(
    reserve_x: FloatArray, reserve_y: FloatArray, weights: FloatArray, fair: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """New reserves giving each pool ``weights`` of the total value at ``fair``, spots kept.

    :param fair: fair price per simulation, shape (S,).
    """
    price = fair[:, None]
    value = (reserve_x * price + reserve_y).sum(axis=-1, keepdims=True)
    spot = reserve_y / reserve_x
    new_x = weights * value / (price + spot)
    return new_x, spot * new_x

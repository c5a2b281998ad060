"""Equimarginal routing: split an order across pools so that total output is maximal (numba).

For concave output curves ``f_i``, the best split of an input ``X`` gives every pool that
receives flow the same marginal rate ``lambda`` and every other pool a marginal rate at zero
of at most ``lambda`` (the equimarginal principle). Each pool's demand at a price ``lambda``
is ``x_i(lambda)``; the answer is the ``lambda`` at which the demands add up to ``X``.

* A constant-product pool with fee ``1 - gamma`` has ``f(x) = R_out gamma x / (R_in + gamma x)``
  and demand ``x(lambda) = max(0, sqrt(R_in R_out / (gamma lambda)) - R_in / gamma)``. Across
  such pools the split is exact water-filling (:func:`waterfill`): sort pools by their marginal
  rate at zero, ``gamma R_out / R_in``, and grow the active set while the next pool still beats
  ``lambda``, where ``sqrt(lambda) = sum_A sqrt(R_in R_out / gamma) / (X + sum_A R_in / gamma)``.
* A pool quoted by a strategy's ``compute_swap`` is sampled at :data:`SAMPLE_FRACTIONS` of the
  order and modelled by the upper concave hull of its samples (:func:`concave_hull`): a
  piecewise-linear curve whose demand at ``lambda`` is the length of its segments steeper
  than ``lambda``. Total demand is then a step function (segments) plus continuous
  constant-product terms: :func:`route` locates the crossing among the segment slopes, and
  inside the bracketing interval water-fills the constant-product pools with what the segments
  leave. The split is the exact optimum of this model and always adds up to ``X`` when the
  pools can take it.
* Then :data:`REFINE_ROUNDS` times, each sampled pool that receives flow is quoted at
  :data:`REFINE_POINTS` more inputs inside the sample interval around its share
  (:func:`refinement_points`) and the split is solved again: at most :data:`MAX_SAMPLES` quotes
  per pool and order. (Measured on random concave curves with capacity kinks: within about
  1e-3 of a brute-force optimum; a kink between the two quotes around a share costs most.)

Every function handles one order; arrays are per pool (``P``) or per sampled pool and sample.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from arena.amm.jit import njit

__all__ = [
    "MAX_SAMPLES",
    "REFINE_POINTS",
    "REFINE_ROUNDS",
    "SAMPLE_FRACTIONS",
    "WATERFILL_ROWS",
    "concave_hull",
    "refinement_points",
    "route",
    "waterfill",
]

#: Inputs at which a compute_swap pool is first quoted, as fractions of the order.
SAMPLE_FRACTIONS: Final = np.array(
    [1 / 256, 1 / 64, 1 / 16, 1 / 8, 1 / 4, 3 / 8, 1 / 2, 5 / 8, 3 / 4, 7 / 8, 1.0]
)
#: Refinement: rounds of extra quotes inside the sample interval around each pool's share.
REFINE_ROUNDS: Final = 3
REFINE_POINTS: Final = 6
#: The most quotes of one pool for one order.
MAX_SAMPLES: Final = len(SAMPLE_FRACTIONS) + REFINE_ROUNDS * REFINE_POINTS
#: Rows of :func:`waterfill`'s work array: each pool's marginal rate at zero and its terms
#: of the closed form.
WATERFILL_ROWS: Final = 3
_MARGINAL, _A, _B = range(WATERFILL_ROWS)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def waterfill(total, gamma, r_in, r_out, usable, x, work, order):  # type: ignore[no-untyped-def]
    """Fill ``x`` with the optimal split of ``total`` across constant-product pools.

    :param gamma: one minus each pool's fee on the order's side; ``r_in``/``r_out``: reserves
        of the token paid in and paid out; ``usable``: pools that may take part.
    :param work: (:data:`WATERFILL_ROWS`, P) floats and ``order``: (P,) ints to work in
        (this runs for every order: allocating them, and taking references to views of them,
        cost more than the split).
    :returns: the common marginal rate ``lambda`` (``inf`` where nothing is placed).
    """
    pools = gamma.shape[0]
    for i in range(pools):
        x[i] = work[_A, i] = work[_B, i] = 0.0
        work[_MARGINAL, i] = -np.inf
        if usable[i] and gamma[i] > 0.0 and r_in[i] > 0.0 and r_out[i] > 0.0:
            work[_MARGINAL, i] = gamma[i] * r_out[i] / r_in[i]
            work[_A, i] = math.sqrt(r_in[i] * r_out[i] / gamma[i])
            work[_B, i] = r_in[i] / gamma[i]
        # Insert pool i into the order by decreasing marginal rate; ties keep pool order.
        k = i
        while k > 0 and work[_MARGINAL, order[k - 1]] < work[_MARGINAL, i]:
            order[k] = order[k - 1]
            k -= 1
        order[k] = i
    sum_a = 0.0
    sum_b = 0.0
    lam = math.inf
    for k in range(pools):
        i = order[k]
        if work[_MARGINAL, i] == -np.inf:
            break
        sum_a += work[_A, i]
        sum_b += work[_B, i]
        sqrt_lam = sum_a / (total + sum_b)
        if work[_MARGINAL, i] > sqrt_lam * sqrt_lam:
            lam = sqrt_lam * sqrt_lam
    if not (total > 0.0) or lam == math.inf:
        return math.inf
    allocated = 0.0
    for i in range(pools):
        if work[_MARGINAL, i] > lam:
            demand = math.sqrt(r_in[i] * r_out[i] / (gamma[i] * lam)) - r_in[i] / gamma[i]
            x[i] = demand if demand > 0.0 else 0.0
            allocated += x[i]
    if allocated > 0.0:
        scale = total / allocated
        for i in range(pools):
            x[i] = x[i] * scale
    return lam


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


@njit(cache=True)
def concave_hull(inputs, outputs, count, lengths, slopes):  # type: ignore[no-untyped-def]
    """Upper concave hull through (0, 0) of a monotone curve's samples (monotone chain).

    :param inputs: the first ``count`` entries are sample inputs, increasing; ``outputs`` the
        quotes there, made non-decreasing first (more input never has to give less: the
        surplus can stay unused).
    :param lengths: filled with segment lengths in order along the hull (decreasing slope),
        zero-padded to ``count``; ``slopes`` with their slopes (never negative).
    """
    xs = np.zeros(count + 1)
    ys = np.zeros(count + 1)
    hull = np.zeros(count + 1, dtype=np.int64)
    best = 0.0
    for k in range(count):
        value = outputs[k]
        if value > best:  # noqa: PLR1730 (max() would not skip NaN the same way)
            best = value
        xs[k + 1] = inputs[k]
        ys[k + 1] = best
    size = 1
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
        lengths[n] = 0.0
        slopes[n] = 0.0
    for n in range(size - 1):
        i, j = hull[n], hull[n + 1]
        lengths[n] = xs[j] - xs[i]
        slopes[n] = max((ys[j] - ys[i]) / (xs[j] - xs[i]), 0.0)


@njit(cache=True)
def route(total, gamma, r_in, r_out, usable, sampled, counts, lengths, slopes, x):  # type: ignore[no-untyped-def]
    """Optimal split of an order across constant-product pools and sampled pools.

    :param gamma: one minus each constant-product pool's fee on the order's side (P,);
        ``r_in``/``r_out``: its reserves paid in and out; ``usable``: pools that may take part.
    :param sampled: (Q,) indices of the pools described instead by hull segments: the first
        ``counts[q]`` of ``lengths[q]`` and ``slopes[q]``.
    :param x: filled with the input per pool (P,).
    """
    pools = gamma.shape[0]
    cp = usable.copy()
    for q in range(sampled.shape[0]):
        cp[sampled[q]] = False
    for i in range(pools):
        x[i] = 0.0
    if not total > 0.0:
        return
    seg_slope = np.zeros(lengths.size)
    seg_length = np.zeros(lengths.size)
    seg_pool = np.zeros(lengths.size, dtype=np.int64)
    live = 0
    for q in range(sampled.shape[0]):
        if not usable[sampled[q]]:
            continue
        for k in range(counts[q]):
            if lengths[q, k] > 0.0 and slopes[q, k] > 0.0:
                seg_slope[live] = slopes[q, k]
                seg_length[live] = lengths[q, k]
                seg_pool[live] = sampled[q]
                live += 1
    order = np.argsort(-seg_slope[:live], kind="mergesort")
    taken = 0.0  # input placed in fully taken segments
    at = 0.0
    found = -1
    for m in range(live):
        lam = seg_slope[order[m]]
        at = _cp_demand_total(lam, gamma, r_in, r_out, cp) + taken
        if at + seg_length[order[m]] >= total:
            found = m
            break
        taken += seg_length[order[m]]
    if found >= 0 and at <= total:
        # lambda is this segment's slope: the segment takes what the others leave.
        lam = seg_slope[order[found]]
        for i in range(pools):
            if cp[i] and gamma[i] > 0.0 and r_in[i] > 0.0 and r_out[i] > 0.0:
                demand = math.sqrt(r_in[i] * r_out[i] / (gamma[i] * lam)) - r_in[i] / gamma[i]
                x[i] = demand if demand > 0.0 else 0.0
        x[seg_pool[order[found]]] += min(total - at, seg_length[order[found]])
    else:
        # lambda lies between slopes: the steeper segments are full, water-fill the rest.
        waterfill(
            max(total - taken, 0.0), gamma, r_in, r_out, cp, x, np.empty((WATERFILL_ROWS, pools)),
            np.empty(pools, dtype=np.int64),
        )  # fmt: skip
    for m in range(found if found >= 0 else live):
        x[seg_pool[order[m]]] += seg_length[order[m]]


@njit(cache=True)
def refinement_points(inputs, count, share, points):  # type: ignore[no-untyped-def]
    """Fill ``points`` with :data:`REFINE_POINTS` evenly spaced inputs strictly inside the sample
    interval around ``share``.

    The interval runs from the last sample below the share to the first sample above it
    (a share on a sample point uses both neighbours), with 0 as the first sample; ``inputs``
    holds ``count`` increasing samples.
    """
    tol = 1e-12 * max(inputs[count - 1], 1.0)
    below = 0.0
    above = math.inf
    for k in range(count):
        if inputs[k] < share - tol and inputs[k] > below:
            below = inputs[k]
        if inputs[k] > share + tol and inputs[k] < above:
            above = inputs[k]
    if not math.isfinite(above):
        above = inputs[count - 1]
    for n in range(REFINE_POINTS):
        points[n] = below + (above - below) * ((n + 1) / (REFINE_POINTS + 1))

"""The engine's searches as compiled ask/tell state machines (numba).

A search never calls a pool itself: it asks for the output of one input at a time and is told
the answer. The same code then serves pools the engine prices itself (it answers at once, in
compiled code) and pools priced by strategy code (the engine hands the question to Python and
resumes when the answer comes back), so each search exists once.

Each search keeps its state in a small ``float64`` array (one per search in flight)::

    begin(state, ...)                  # the first input to quote is state[POINT]
    while tell(state, output):         # True while it wants another quote, at state[POINT]
        ...
    result(state)

* :func:`arb_begin` / :func:`arb_tell` / :func:`arb_result`: an arbitrageur's search for the
  most profitable input on one side of a pool. The reference variant (``prop-amm``) follows the
  public engine: a probe at the smallest input, a bracket grown by doubling from a random start,
  then at most 12 golden-section steps to a 1% tolerance; the best *sampled* point is re-quoted.
  The precise variant (``arena``) starts the bracket at the optimum of a constant-product pool
  with the probe's effective fee and runs up to 40 steps to 1e-4.
* :func:`split_begin` / :func:`split_tell` / :func:`split_result`: the reference router's
  golden-section search over the share ``alpha`` of an order sent to the first of two pools.

Every floating-point operation is the reference engine's, in its order (see
``prop-amm-mechanics.md``); the parity tests hold them to it bit for bit.
"""

from __future__ import annotations

import math
from typing import Final

from arena.amm.jit import njit

__all__ = [
    "ARB_MAX_ITERS",
    "ARB_REL_TOL",
    "ARB_STATE",
    "GOLDEN",
    "MAX_INPUT",
    "MIN_INPUT",
    "MIN_NOTIONAL_Y",
    "POINT",
    "PRECISE_MAX_ITERS",
    "PRECISE_REL_TOL",
    "ROUTER_MIN_TRADE",
    "SPLIT_STATE",
    "arb_begin",
    "arb_result",
    "arb_tell",
    "min_inputs",
    "split_begin",
    "split_inputs",
    "split_result",
    "split_tell",
]

GOLDEN: Final = 0.6180339887498948
#: Smallest input any search evaluates.
MIN_INPUT: Final = 0.001
#: Largest input: just under what fits in u64 nanos.
MAX_INPUT: Final = (2.0**64 / 1e9) * 0.999999
#: Smallest arbitrage input, in Y (or its X equivalent at the fair price).
MIN_NOTIONAL_Y: Final = 0.01
ARB_MAX_ITERS: Final = 12
ARB_REL_TOL: Final = 1e-2
PRECISE_MAX_ITERS: Final = 40
PRECISE_REL_TOL: Final = 1e-4
BRACKET_MAX_STEPS: Final = 24
ROUTER_MIN_TRADE: Final = 0.001
ROUTER_MAX_ITERS: Final = 14
ROUTER_ALPHA_TOL: Final = 1e-3
ROUTER_AMOUNT_REL_TOL: Final = 1e-2
ROUTER_SCORE_REL_GAP: Final = 1e-2

#: Where every search keeps the input it wants quoted next.
POINT: Final = 0

# -- arbitrage search state -----------------------------------------------------------------
# fmt: off
(_PHASE, _SIDE, _FAIR, _FLOOR, _START, _RX, _RY, _PRECISE, _ITERS, _TOL, _MIN_PROFIT,
 _LO, _MID, _MID_VALUE, _HI, _UPPER, _LEFT, _RIGHT, _X1, _X2, _F1, _F2, _BEST_X, _BEST,
 _COUNT, _AMOUNT, _PROFIT, _OK) = range(1, 29)
# fmt: on
ARB_STATE: Final = 29
_PROBE, _BRACKET_MID, _BRACKET_HI, _LEFT_END, _RIGHT_END, _FIRST, _SECOND = range(7)
_RIGHTWARD, _LEFTWARD, _REQUOTE, _DONE = range(7, 11)


@njit(cache=True)
def min_inputs(fair):  # type: ignore[no-untyped-def]
    """The reference's smallest arbitrage inputs: ``(buy, in Y; sell, in X)``."""
    return max(MIN_INPUT, MIN_NOTIONAL_Y), max(MIN_INPUT, MIN_NOTIONAL_Y / max(fair, 1e-9))


@njit(cache=True)
def _profit(side, amount, out, fair):  # type: ignore[no-untyped-def]
    """The arbitrageur's profit in Y (side 0 pays Y for X, side 1 pays X for Y)."""
    return out * fair - amount if side == 0 else out - amount * fair


@njit(cache=True)
def _value(side, amount, out, fair):  # type: ignore[no-untyped-def]
    """The search's objective: the profit, with non-finite values as -inf."""
    value = _profit(side, amount, out, fair)
    return value if math.isfinite(value) else -math.inf


@njit(cache=True)
def arb_begin(state, side, fair, floor, start, rx, ry, precise, max_iters, rel_tol, min_profit):  # type: ignore[no-untyped-def]
    """Start a search on ``side`` (0: buy X with Y, 1: sell X) of a pool with reserves ``rx, ry``.

    :param floor: the smallest input (:func:`min_inputs`); ``start``: where the reference's
        bracket starts (ignored by the precise variant, which derives it from the probe).
    """
    state[_SIDE] = side
    state[_FAIR] = fair
    state[_FLOOR] = floor
    state[_START] = start
    state[_RX] = rx
    state[_RY] = ry
    state[_PRECISE] = 1.0 if precise else 0.0
    state[_ITERS] = max_iters
    state[_TOL] = rel_tol
    state[_MIN_PROFIT] = min_profit
    # A side whose profit is not positive at the smallest input is not searched: for a concave
    # output curve it is then nowhere positive, and the search would end below the floor.
    state[_PHASE] = _PROBE
    state[POINT] = max(floor, MIN_INPUT)


@njit(cache=True)
def _precise_start(state, out):  # type: ignore[no-untyped-def]
    """The optimum of a constant-product pool with the spot and the probe's effective fee."""
    side, fair, floor = state[_SIDE], state[_FAIR], state[_FLOOR]
    rx, ry = state[_RX], state[_RY]
    gamma = out / floor * ry / rx if side == 0 else out / floor * rx / ry
    if math.isnan(gamma):
        return floor
    gamma = min(max(gamma, 1e-6), 1.0)
    square = fair * rx * gamma * ry if side == 0 else ry * rx * gamma / fair
    if not square >= 0.0:
        return floor
    start = (math.sqrt(square) - ry) / gamma if side == 0 else (math.sqrt(square) - rx) / gamma
    return start if math.isfinite(start) and start > floor else floor


@njit(cache=True)
def _finish(state, amount, profit, ok):  # type: ignore[no-untyped-def]
    state[_AMOUNT] = amount
    state[_PROFIT] = profit
    state[_OK] = 1.0 if ok else 0.0
    state[_PHASE] = _DONE
    return False


@njit(cache=True)
def _golden_begin(state, lo, hi):  # type: ignore[no-untyped-def]
    left = max(min(lo, hi), 0.0)
    right = max(hi, lo, MIN_INPUT)
    state[_LEFT] = left
    state[_RIGHT] = right
    if right <= left:
        state[_BEST_X] = right
        return _requote(state)
    state[_PHASE] = _LEFT_END
    state[POINT] = left
    return True


@njit(cache=True)
def _golden_step(state):  # type: ignore[no-untyped-def]
    """One golden-section move toward the better interior point; asks for the new point."""
    if state[_COUNT] >= state[_ITERS]:
        return _requote(state)
    left, right = state[_LEFT], state[_RIGHT]
    if state[_F1] < state[_F2]:
        left = state[_X1]
        state[_LEFT] = left
        state[_X1], state[_F1] = state[_X2], state[_F2]
        state[_X2] = left + GOLDEN * (right - left)
        state[_PHASE] = _RIGHTWARD
        state[POINT] = state[_X2]
    else:
        right = state[_X2]
        state[_RIGHT] = right
        state[_X2], state[_F2] = state[_X1], state[_F1]
        state[_X1] = right - GOLDEN * (right - left)
        state[_PHASE] = _LEFTWARD
        state[POINT] = state[_X1]
    return True


@njit(cache=True)
def _requote(state):  # type: ignore[no-untyped-def]
    best = state[_BEST_X]
    if best < state[_FLOOR]:
        return _finish(state, best, 0.0, False)
    state[_PHASE] = _REQUOTE
    state[POINT] = best
    return True


@njit(cache=True)
def _keep(state, x, value):  # type: ignore[no-untyped-def]
    if value > state[_BEST]:
        state[_BEST_X] = x
        state[_BEST] = value


@njit(cache=True)
def arb_tell(state, out):  # type: ignore[no-untyped-def]
    """Tell the output quoted at ``state[POINT]``; True while another quote is wanted."""
    phase, side, fair, x = state[_PHASE], state[_SIDE], state[_FAIR], state[POINT]
    value = _value(side, x, out, fair)
    if phase == _PROBE:
        if not value > 0.0:
            return _finish(state, state[_FLOOR], 0.0, False)
        start = _precise_start(state, out) if state[_PRECISE] else state[_START]
        floor = max(state[_FLOOR], MIN_INPUT)
        state[_LO] = floor
        state[_UPPER] = max(MAX_INPUT, floor)
        state[_MID] = min(max(start, floor), state[_UPPER])
        state[_PHASE] = _BRACKET_MID
        state[POINT] = state[_MID]
        return True
    if phase == _BRACKET_MID:
        mid = state[_MID]
        state[_MID_VALUE] = value
        hi = min(mid * 2.0, state[_UPPER])
        if value <= 0.0 or hi <= mid:
            return _golden_begin(state, state[_LO], mid)
        state[_HI] = hi
        state[_COUNT] = 0.0
        state[_PHASE] = _BRACKET_HI
        state[POINT] = hi
        return True
    if phase == _BRACKET_HI:
        hi = state[_HI]
        if state[_COUNT] >= BRACKET_MAX_STEPS or value <= state[_MID_VALUE] or hi >= state[_UPPER]:
            return _golden_begin(state, state[_LO], hi)
        state[_LO], state[_MID], state[_MID_VALUE] = state[_MID], hi, value
        next_hi = min(hi * 2.0, state[_UPPER])
        if next_hi <= hi:
            return _golden_begin(state, state[_LO], hi)
        state[_HI] = next_hi
        state[_COUNT] += 1.0
        state[POINT] = next_hi
        return True
    if phase == _LEFT_END:
        state[_BEST_X], state[_BEST] = x, value
        state[_PHASE] = _RIGHT_END
        state[POINT] = state[_RIGHT]
        return True
    if phase == _RIGHT_END:
        _keep(state, x, value)
        left, right = state[_LEFT], state[_RIGHT]
        state[_X1] = right - GOLDEN * (right - left)
        state[_X2] = left + GOLDEN * (right - left)
        state[_PHASE] = _FIRST
        state[POINT] = state[_X1]
        return True
    if phase == _FIRST:
        state[_F1] = value
        state[_PHASE] = _SECOND
        state[POINT] = state[_X2]
        return True
    if phase == _SECOND:
        state[_F2] = value
        _keep(state, state[_X1], state[_F1])
        _keep(state, x, value)
        state[_COUNT] = 0.0
        return _golden_step(state)
    if phase in (_RIGHTWARD, _LEFTWARD):
        if phase == _RIGHTWARD:
            state[_F2] = value
        else:
            state[_F1] = value
        _keep(state, x, value)
        state[_COUNT] += 1.0
        left, right = state[_LEFT], state[_RIGHT]
        if (right - left) <= state[_TOL] * max(abs(0.5 * (left + right)), MIN_INPUT):
            return _requote(state)
        return _golden_step(state)
    # _REQUOTE: the best sampled input, quoted once more, stands if it clears the floors.
    profit = _profit(side, x, out, fair)
    return _finish(state, x, profit, out > 0.0 and profit >= state[_MIN_PROFIT])


@njit(cache=True)
def arb_result(state):  # type: ignore[no-untyped-def]
    """``(input, profit, stands)`` of a finished search."""
    return state[_AMOUNT], state[_PROFIT], state[_OK] != 0.0


# -- router split search state --------------------------------------------------------------
# A point is (in_first, in_second, out_first, out_second) at four consecutive slots.
# fmt: off
(_S_PHASE, _S_TOTAL, _S_LEFT, _S_RIGHT, _S_X1, _S_X2, _S_COUNT, _S_IN1, _S_IN2) = range(1, 10)
# fmt: on
_S_BEST, _S_Q1, _S_Q2, _S_NEW = 10, 14, 18, 22
SPLIT_STATE: Final = 26
_S_LEFT_END, _S_RIGHT_END, _S_FIRST, _S_SECOND, _S_RIGHTWARD, _S_LEFTWARD, _S_CENTER = range(7)


@njit(cache=True)
def _score(state, at):  # type: ignore[no-untyped-def]
    total = state[at + 2] + state[at + 3]
    return total if math.isfinite(total) else -math.inf


@njit(cache=True)
def _copy_point(state, source, target):  # type: ignore[no-untyped-def]
    for i in range(4):
        state[target + i] = state[source + i]


@njit(cache=True)
def _ask_alpha(state, alpha, phase):  # type: ignore[no-untyped-def]
    total = state[_S_TOTAL]
    state[POINT] = alpha
    state[_S_IN1] = total * alpha
    state[_S_IN2] = total * (1.0 - alpha)
    state[_S_PHASE] = phase
    return True


@njit(cache=True)
def split_begin(state, total):  # type: ignore[no-untyped-def]
    """Start the router's search for an order of ``total``; see :func:`split_inputs`."""
    state[_S_TOTAL] = total
    state[_S_LEFT] = 0.0
    state[_S_RIGHT] = 1.0
    _ask_alpha(state, 0.0, _S_LEFT_END)


@njit(cache=True)
def split_inputs(state):  # type: ignore[no-untyped-def]
    """The inputs to quote for the current share: ``(first pool, second pool)``.

    A pool is quoted only for an input above :data:`ROUTER_MIN_TRADE`; below, its output is 0.
    """
    return state[_S_IN1], state[_S_IN2]


@njit(cache=True)
def _split_step(state):  # type: ignore[no-untyped-def]
    left, right, total = state[_S_LEFT], state[_S_RIGHT], state[_S_TOTAL]
    stop = state[_S_COUNT] >= ROUTER_MAX_ITERS or right - left <= ROUTER_ALPHA_TOL
    if not stop:
        scale = max(abs(total * (0.5 * (left + right))), ROUTER_MIN_TRADE)
        stop = total * (right - left) <= ROUTER_AMOUNT_REL_TOL * scale
    s1, s2 = _score(state, _S_Q1), _score(state, _S_Q2)
    if not stop and math.isfinite(s1) and math.isfinite(s2):
        stop = abs(s1 - s2) <= ROUTER_SCORE_REL_GAP * max(abs(s1), abs(s2), 1e-12)
    if stop:
        return _ask_alpha(state, (left + right) * 0.5, _S_CENTER)
    if s1 < s2:
        state[_S_LEFT] = state[_S_X1]
        state[_S_X1] = state[_S_X2]
        _copy_point(state, _S_Q2, _S_Q1)
        left = state[_S_LEFT]
        state[_S_X2] = left + GOLDEN * (right - left)
        return _ask_alpha(state, state[_S_X2], _S_RIGHTWARD)
    state[_S_RIGHT] = state[_S_X2]
    state[_S_X2] = state[_S_X1]
    _copy_point(state, _S_Q1, _S_Q2)
    right = state[_S_RIGHT]
    state[_S_X1] = right - GOLDEN * (right - left)
    return _ask_alpha(state, state[_S_X1], _S_LEFTWARD)


@njit(cache=True)
def _keep_split(state, at):  # type: ignore[no-untyped-def]
    if _score(state, at) > _score(state, _S_BEST):
        _copy_point(state, at, _S_BEST)


@njit(cache=True)
def split_tell(state, out_first, out_second):  # type: ignore[no-untyped-def]
    """Tell both pools' outputs at :func:`split_inputs`; True while another share is wanted."""
    phase = state[_S_PHASE]
    state[_S_NEW] = state[_S_IN1]
    state[_S_NEW + 1] = state[_S_IN2]
    state[_S_NEW + 2] = out_first
    state[_S_NEW + 3] = out_second
    if phase == _S_LEFT_END:
        _copy_point(state, _S_NEW, _S_BEST)
        return _ask_alpha(state, state[_S_RIGHT], _S_RIGHT_END)
    if phase == _S_RIGHT_END:
        _keep_split(state, _S_NEW)
        left, right = state[_S_LEFT], state[_S_RIGHT]
        state[_S_X1] = right - GOLDEN * (right - left)
        state[_S_X2] = left + GOLDEN * (right - left)
        return _ask_alpha(state, state[_S_X1], _S_FIRST)
    if phase == _S_FIRST:
        _copy_point(state, _S_NEW, _S_Q1)
        return _ask_alpha(state, state[_S_X2], _S_SECOND)
    if phase == _S_SECOND:
        _copy_point(state, _S_NEW, _S_Q2)
        _keep_split(state, _S_Q1)
        _keep_split(state, _S_Q2)
        state[_S_COUNT] = 0.0
        return _split_step(state)
    if phase in (_S_RIGHTWARD, _S_LEFTWARD):
        _copy_point(state, _S_NEW, _S_Q2 if phase == _S_RIGHTWARD else _S_Q1)
        _keep_split(state, _S_NEW)
        state[_S_COUNT] += 1.0
        return _split_step(state)
    _keep_split(state, _S_NEW)  # _S_CENTER: the centre of the final bracket, always tried
    return False


@njit(cache=True)
def split_result(state):  # type: ignore[no-untyped-def]
    """``(in_first, in_second, out_first, out_second)`` of the best split found."""
    return state[_S_BEST], state[_S_BEST + 1], state[_S_BEST + 2], state[_S_BEST + 3]

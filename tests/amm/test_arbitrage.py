"""After the arbitrage step no trade above the floor is profitable, on either side."""

import math
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.cpmm import FEE_SCALE, bps_to_fee
from arena.amm.kernels import better_side, closed_candidate, execute_best, quote, settle
from arena.amm.nano import to_nano_scalar
from arena.amm.searches import (
    ARB_MAX_ITERS,
    ARB_REL_TOL,
    ARB_STATE,
    POINT,
    PRECISE_MAX_ITERS,
    PRECISE_REL_TOL,
    arb_begin,
    arb_result,
    arb_tell,
    min_inputs,
)
from tests.strategies import prices

MIN_PROFIT = 0.01
SIZES = np.geomspace(0.01, 5_000.0, 400)

#: ``quote(side, amount, reserve_x, reserve_y) -> output``
Quote = Callable[[int, float, float, float], float]


def best_remaining_profit(quote_: Quote, rx: float, ry: float, fair: float) -> float:
    """Largest profit of any trade on a fine grid of sizes, both sides, after arbitrage."""
    best = -math.inf
    for size in SIZES:
        best = max(best, quote_(0, size, rx, ry) * fair - size)
        best = max(best, quote_(1, size / fair, rx, ry) - size / fair * fair)
    return best


def cp_quote(fee: int) -> Quote:
    return lambda side, amount, rx, ry: quote(side, amount, rx, ry, np.uint64(fee))


def closed_form_arbitrage(rx, ry, fair, fee):
    """The engine's closed-form arbitrage of a constant-product pool: (side, edge, rx, ry)."""
    fees = (np.uint64(fee), np.uint64(fee))
    gamma = 1.0 - fee / FEE_SCALE
    buy = closed_candidate(0, fair, rx, ry, gamma, fees[0], MIN_PROFIT)
    sell = closed_candidate(1, fair, rx, ry, gamma, fees[1], MIN_PROFIT)
    side, _, _, edge, rx, ry = execute_best(buy, sell, fair, rx, ry, fees)
    return side, edge, rx, ry


def searched(quote_: Quote, side, fair, rx, ry, *, precise=True, start=0.0):
    """Drive the engine's arbitrage search on one side, answering its quotes in Python."""
    state = np.empty(ARB_STATE)
    floor = min_inputs(fair)[side]
    iters, tol = (PRECISE_MAX_ITERS, PRECISE_REL_TOL) if precise else (ARB_MAX_ITERS, ARB_REL_TOL)
    arb_begin(state, side, fair, floor, max(start, floor), rx, ry, precise, iters, tol, MIN_PROFIT)
    while arb_tell(state, quote_(side, state[POINT], rx, ry)):
        pass
    return arb_result(state)


@settings(max_examples=60, deadline=None)
@given(st.floats(20.0, 500.0), prices, st.floats(0.0, 100.0), st.floats(0.7, 1.3))
def test_closed_form_arbitrage_leaves_nothing_above_the_floor(
    reserve_x, spot, fee_bps, move
) -> None:
    fee = bps_to_fee(fee_bps)
    fair = spot * move
    _, _, rx, ry = closed_form_arbitrage(reserve_x, reserve_x * spot, fair, fee)
    assert best_remaining_profit(cp_quote(fee), rx, ry, fair) < MIN_PROFIT


def weighted_pool(weight_x: float, fee: float) -> Quote:
    """A Balancer-style weighted product pool, rx^w * ry^(1-w) = k: concave, path-consistent
    and not constant product unless w = 1/2; quoted through nanos as strategy code is."""

    def compute_swap(side, input_amount, reserve_x, reserve_y):
        net = input_amount * (1 - fee)
        if side == 0:  # Y in, X out
            out = reserve_x * (1 - (reserve_y / (reserve_y + net)) ** ((1 - weight_x) / weight_x))
        else:
            out = reserve_y * (1 - (reserve_x / (reserve_x + net)) ** (weight_x / (1 - weight_x)))
        return max(0, int(out))

    def quote_(side, amount, rx, ry):
        nanos = compute_swap(side, to_nano_scalar(amount), to_nano_scalar(rx), to_nano_scalar(ry))
        out = nanos / 1e9
        return out if out <= (rx if side == 0 else ry) else 0.0

    return quote_


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 0.8), st.floats(0.0, 0.01), st.floats(0.7, 1.4))
def test_searched_arbitrage_leaves_nothing_above_the_floor(weight_x, fee, move) -> None:
    pool = weighted_pool(weight_x, fee)
    rx, ry = 100.0, 10_000.0
    # The weighted pool's marginal price at zero is (ry / (1-w)) / (rx / w).
    fair = (ry / (1 - weight_x)) / (rx / weight_x) * move
    buy, sell = (searched(pool, side, fair, rx, ry) for side in (0, 1))
    side = better_side(buy[2], buy[1], sell[2], sell[1])
    if side >= 0:
        amount = (sell if side == 1 else buy)[0]
        _, rx, ry = settle(side, amount, pool(side, amount, rx, ry), rx, ry)
    assert best_remaining_profit(pool, rx, ry, fair) < MIN_PROFIT


def test_arbitrage_sells_x_into_a_pool_priced_above_fair() -> None:
    """The public engine traded in the wrong direction (defect B1): spot > fair must get X."""
    side, edge, rx, ry = closed_form_arbitrage(100.0, 11_000.0, 100.0, bps_to_fee(30))
    assert side == 1 and rx > 100.0
    assert abs(ry / rx - 100.0) < abs(110.0 - 100.0)
    assert edge < 0  # the pool pays the arbitrageur


def test_golden_section_moves_toward_the_maximum() -> None:
    """The public engine's golden section converged away from the maximum (defect B2)."""
    for peak in (3.0, 7.0):
        # Buying X at a fair price of 1: profit = output - input = 100 - (input - peak)^2.
        def bump(side, amount, rx, ry, peak=peak):
            return amount + 100.0 - (amount - peak) ** 2

        for precise in (False, True):
            amount, profit, ok = searched(bump, 0, 1.0, 1e6, 1e6, precise=precise, start=1.0)
            tol = ARB_REL_TOL if not precise else PRECISE_REL_TOL
            assert ok and abs(amount - peak) <= 2 * tol * peak
            assert profit > 100.0 - (2 * tol * peak) ** 2 - 1e-9


def test_a_candidate_trades_at_its_kept_quote_and_is_quoted_when_it_has_none() -> None:
    """execute_best does not quote again what a closed-form candidate already quoted."""
    fees = (np.uint64(bps_to_fee(30)), np.uint64(bps_to_fee(30)))
    rx, ry, fair, amount = 100.0, 10_000.0, 110.0, 200.0
    quoted = quote(0, amount, rx, ry, fees[0])
    no_sell = (0.0, 0.0, False, 0.0)
    fresh = execute_best((amount, 1.0, True, math.nan), no_sell, fair, rx, ry, fees)
    kept = execute_best((amount, 1.0, True, quoted), no_sell, fair, rx, ry, fees)
    assert fresh == kept and fresh[2] == quoted > 0.0
    half = execute_best((amount, 1.0, True, quoted / 2), no_sell, fair, rx, ry, fees)
    assert half[2] == quoted / 2 and half[4] == rx - quoted / 2  # the kept output is used


def test_closed_candidates_keep_the_quote_of_their_input() -> None:
    fee = np.uint64(bps_to_fee(30))
    for side, fair in ((0, 120.0), (1, 80.0)):
        amount, _, stands, out = closed_candidate(side, fair, 100.0, 10_000.0, 0.997, fee, 0.01)
        assert stands and out == quote(side, amount, 100.0, 10_000.0, fee) > 0.0

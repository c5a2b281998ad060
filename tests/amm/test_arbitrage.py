"""After the arbitrage step no trade above the floor is profitable, on either side."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.arbitrage import closed_form, execute_best, precise_search
from arena.amm.cpmm import FEE_SCALE, bps_to_fee
from arena.amm.pools import ClosedFormPools, PoolInstance, ScriptedPools
from arena.amm.search import golden_section_max
from arena.storage import Storage
from tests.strategies import prices

MIN_PROFIT = 0.01
SIZES = np.geomspace(0.01, 5_000.0, 400)


def best_remaining_profit(pool, fair):
    """Largest profit of any trade on a fine grid of sizes, both sides, after arbitrage."""
    best = -math.inf
    for size in SIZES:
        y = np.array([size])
        best = max(best, float(pool.quote(0, y)[0] * fair - size))
        x = np.array([size / fair])
        best = max(best, float(pool.quote(1, x)[0] - x[0] * fair))
    return best


def cp_pool(reserve_x, spot, fee_bps):
    pool = ClosedFormPools(
        [PoolInstance(Storage())], np.array([reserve_x]), np.array([reserve_x * spot])
    )
    pool.fees[:] = bps_to_fee(fee_bps)
    return pool


@settings(max_examples=60, deadline=None)
@given(st.floats(20.0, 500.0), prices, st.floats(0.0, 100.0), st.floats(0.7, 1.3))
def test_closed_form_arbitrage_leaves_nothing_above_the_floor(
    reserve_x, spot, fee_bps, move
) -> None:
    pool = cp_pool(reserve_x, spot, fee_bps)
    fair = np.array([spot * move])
    gamma = 1.0 - pool.fees / FEE_SCALE
    buy, sell = closed_form(pool, fair, gamma[0], gamma[1], np.array([True]), MIN_PROFIT)
    execute_best(pool, buy, sell, fair, None)
    assert best_remaining_profit(pool, fair[0]) < MIN_PROFIT


def weighted_pool(weight_x, fee):
    """A Balancer-style weighted product pool, rx^w * ry^(1-w) = k: concave, path-consistent
    and not constant product unless w = 1/2."""

    def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
        net = input_amount * (1 - fee)
        if side == 0:  # Y in, X out
            out = reserve_x * (1 - (reserve_y / (reserve_y + net)) ** ((1 - weight_x) / weight_x))
        else:
            out = reserve_y * (1 - (reserve_x / (reserve_x + net)) ** (weight_x / (1 - weight_x)))
        return max(0, int(out))

    return compute_swap


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 0.8), st.floats(0.0, 0.01), st.floats(0.7, 1.4))
def test_searched_arbitrage_leaves_nothing_above_the_floor(weight_x, fee, move) -> None:
    instance = PoolInstance(Storage(), compute_swap=weighted_pool(weight_x, fee))
    pool = ScriptedPools([instance], np.array([100.0]), np.array([10_000.0]))
    # The weighted pool's marginal price at zero is (ry / (1-w)) / (rx / w).
    spot = (10_000.0 / (1 - weight_x)) / (100.0 / weight_x)
    fair = np.array([spot * move])
    buy, sell = precise_search(pool, fair, np.array([True]), MIN_PROFIT)
    execute_best(pool, buy, sell, fair, None)
    assert best_remaining_profit(pool, fair[0]) < MIN_PROFIT


def test_arbitrage_sells_x_into_a_pool_priced_above_fair() -> None:
    """The public engine traded in the wrong direction (defect B1): spot > fair must get X."""
    pool = cp_pool(100.0, 110.0, 30)
    fair = np.array([100.0])
    gamma = 1.0 - pool.fees / FEE_SCALE
    buy, sell = closed_form(pool, fair, gamma[0], gamma[1], np.array([True]), MIN_PROFIT)
    assert sell.ok[0] and not buy.ok[0]
    edge, traded = execute_best(pool, buy, sell, fair, None)
    assert traded[0] and pool.reserve_x[0] > 100.0
    assert abs(pool.spot()[0] - 100.0) < abs(110.0 - 100.0)
    assert edge[0] < 0  # the pool pays the arbitrageur


def test_golden_section_moves_toward_the_maximum() -> None:
    """The public engine's golden section converged away from the maximum (defect B2)."""
    for peak in (3.0, 7.0):
        best, _ = golden_section_max(
            np.array([0.0]),
            np.array([10.0]),
            lambda x, m, peak=peak: -((x - peak) ** 2),
            np.array([True]),
            max_iters=60,
            rel_tol=1e-9,
        )
        assert abs(best[0] - peak) < 1e-6

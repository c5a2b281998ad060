"""The prop-amm router's golden-section split against a 4001-point brute force (the
reference's own acceptance rule: within 1%), on random two-pool states."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.searches import (
    ROUTER_MIN_TRADE,
    SPLIT_STATE,
    split_begin,
    split_inputs,
    split_result,
    split_tell,
)

GRID = np.linspace(0.0, 1.0, 4001)


def cp_out(x, gamma, r_in, r_out):
    return np.where(x > ROUTER_MIN_TRADE, r_out * gamma * x / (r_in + gamma * x), 0.0)


def linear_capped(x, price, cap):
    """A non-constant-product quote: a fixed price up to a capacity."""
    return np.where(x > ROUTER_MIN_TRADE, np.minimum(x, cap) * price, 0.0)


pool = st.tuples(st.floats(0.0, 0.06), st.floats(10.0, 2000.0), st.floats(50.0, 200.0))


@settings(max_examples=150, deadline=None)
@given(pool, pool, st.floats(0.01, 5000.0), st.booleans(), st.booleans())
def test_split_is_within_three_percent_of_brute_force(first, second, total, buy, capped) -> None:
    """The reference router's accuracy, checked against a 4001-point grid.

    Its stopping rules (two probes scoring within 1% of each other, or a bracket within 1% of
    the amount) make 1% its nominal accuracy, not a bound: the optimum can lie between two
    close probes. In 100,000 random cases of this domain its worst was 0.9% below the grid's
    best with constant-product pools (hypothesis found 1.0%: a pool of 10 X given 3224 X) and
    2.4% with capped ones (a kink the search can stop on); the parity tests pin the algorithm.
    """

    def curve(params, x):
        fee, reserve_x, price = params
        if capped:
            return linear_capped(
                x, (1 - fee) / price if buy else (1 - fee) * price, reserve_x * 0.5
            )
        r_in, r_out = (reserve_x * price, reserve_x) if buy else (reserve_x, reserve_x * price)
        return cp_out(x, 1 - fee, r_in, r_out)

    state = np.empty(SPLIT_STATE)
    split_begin(state, total)
    while True:
        in_first, in_second = split_inputs(state)
        if not split_tell(state, curve(first, in_first), curve(second, in_second)):
            break
    in_first, in_second, out_first, out_second = split_result(state)
    assert in_first + in_second <= total * (1 + 1e-12)
    got = out_first + out_second
    brute = (curve(first, total * GRID) + curve(second, total * (1 - GRID))).max()
    assert got >= 0.97 * brute

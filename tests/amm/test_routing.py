"""N-way routing against brute force, on constant-product and other concave curves."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.arena_engine import FIXED_POOL, SCRIPTED_POOL, split_requests
from arena.amm.nano import to_nano_scalar
from arena.amm.requests import QUOTE
from arena.amm.routing import MAX_SAMPLES, WATERFILL_ROWS, concave_hull, route, waterfill
from tests.strategies import fees, orders, prices, reserves_x


def cp_out(x, gamma, r_in, r_out):
    return r_out * gamma * x / (r_in + gamma * x)


# A family of concave output curves that are not constant product: a linear quote with a
# price impact of power p and a capacity, f(x) = c * min(x, cap) - d * min(x, cap) ** p.
def power_out(x, c, d, p, cap):
    x = np.clip(x, 0.0, cap)
    return np.maximum(c * x - d * x**p, 0.0)


pool_cp = st.tuples(fees, reserves_x, prices)


def cp_route(total, gamma, r_in, r_out, usable):
    """``route`` with no sampled pools."""
    x = np.zeros(gamma.shape[0])
    none = np.zeros((0, MAX_SAMPLES))
    route(total, gamma, r_in, r_out, usable, np.zeros(0, np.int64), np.zeros(0, np.int64), none,
          none, x)  # fmt: skip
    return x


def hull(inputs, outputs):
    lengths, slopes = np.zeros(len(inputs)), np.zeros(len(inputs))
    concave_hull(np.asarray(inputs), np.asarray(outputs), len(inputs), lengths, slopes)
    return lengths, slopes


def brute_force_3(total, outputs, grid=400):
    """Best total output over every 3-way split on a grid (exhaustive)."""
    i, j = np.meshgrid(np.arange(grid + 1), np.arange(grid + 1), indexing="ij")
    keep = i + j <= grid
    a, b = total * i[keep] / grid, total * j[keep] / grid
    c = np.maximum(total - a - b, 0.0)
    return float((outputs[0](a) + outputs[1](b) + outputs[2](c)).max())


@settings(max_examples=60, deadline=None)
@given(st.lists(pool_cp, min_size=2, max_size=6), orders, st.booleans())
def test_waterfill_equalises_marginals_and_beats_any_split(pools, total, buy) -> None:
    gamma = np.array([1 - f for f, _, _ in pools])
    rx = np.array([x for _, x, _ in pools])
    ry = np.array([x * p for _, x, p in pools])
    r_in, r_out = (ry, rx) if buy else (rx, ry)
    x = np.zeros(len(pools))
    usable = np.ones(len(pools), dtype=bool)
    work, order = np.empty((WATERFILL_ROWS, len(pools))), np.empty(len(pools), dtype=np.int64)
    lam = waterfill(total, gamma, r_in, r_out, usable, x, work, order)
    assert math.isclose(x.sum(), total, rel_tol=1e-12)
    marginal = gamma * r_in * r_out / (r_in + gamma * x) ** 2
    taking = x > 0
    np.testing.assert_allclose(marginal[taking], lam, rtol=1e-9)
    marginal0 = gamma * r_out / r_in
    assert np.all(marginal0[~taking] <= lam * (1 + 1e-12))
    best = cp_out(x, gamma, r_in, r_out).sum()
    rng = np.random.default_rng(0)
    for split in rng.dirichlet(np.ones(len(pools)), size=200):
        assert cp_out(split * total, gamma, r_in, r_out).sum() <= best * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(pool_cp, min_size=3, max_size=3), orders, st.booleans())
def test_constant_product_routing_matches_brute_force(pools, total, buy) -> None:
    gamma = np.array([1 - f for f, _, _ in pools])
    rx = np.array([x for _, x, _ in pools])
    ry = np.array([x * p for _, x, p in pools])
    r_in, r_out = (ry, rx) if buy else (rx, ry)
    x = cp_route(total, gamma, r_in, r_out, np.ones(3, dtype=bool))
    got = cp_out(x, gamma, r_in, r_out).sum()
    curves = [lambda v, i=i: cp_out(v, gamma[i], r_in[i], r_out[i]) for i in range(3)]
    assert got >= brute_force_3(total, curves) * (1 - 1e-9)


curve = st.tuples(
    st.floats(0.005, 0.02), st.floats(1e-7, 1e-4), st.floats(1.2, 2.5), st.floats(50.0, 5000.0)
)


@settings(max_examples=25, deadline=None)
@given(curve, pool_cp, curve, orders)
def test_mixed_routing_is_within_0_2_percent_of_brute_force(
    sampled_a, cp_pool, sampled_b, total
) -> None:
    """Two compute_swap-like pools (seen only through samples) and one constant-product pool.

    The router models a sampled pool by the hull of its quotes, so a capacity kink between its
    last two quotes around the share costs up to that gap times the marginal rate. Measured
    over 6,000 random cases of this domain: at worst 0.095% below a 400x400 grid's best
    (median far below); hypothesis found 0.1003% (two identical pools capped at 710, an order
    of 2730, the kink between quotes at 706.4 and 712.4).
    """
    fee, x_reserve, price = cp_pool
    gamma = np.array([0.0, 1 - fee, 0.0])
    r_in = np.array([0.0, x_reserve * price, 0.0])
    r_out = np.array([0.0, x_reserve, 0.0])
    sampled = {0: sampled_a, 2: sampled_b}
    # The sampled pools' reserves only need to allow any quote: they are not their curves.
    reserves = np.array([[1e9, 1.0, 1e9]])
    answer = np.zeros(1, dtype=np.uint64)
    x = np.zeros(3)
    quotes = {0: 0, 2: 0}
    kinds = np.array([SCRIPTED_POOL, FIXED_POOL, SCRIPTED_POOL])
    usable = np.ones(3, dtype=bool)
    requests = split_requests(
        0, total, reserves, reserves, kinds, gamma, r_in, r_out, usable, answer, x
    )
    for kind, pool, _, amount, *_ in requests:
        assert kind == QUOTE
        quotes[pool] += 1
        answer[0] = to_nano_scalar(float(power_out(amount / 1e9, *sampled[pool])))
    assert max(quotes.values()) <= MAX_SAMPLES
    got = (
        power_out(x[0], *sampled_a)
        + cp_out(x[1], gamma[1], r_in[1], r_out[1])
        + power_out(x[2], *sampled_b)
    )
    curves = [
        lambda v: power_out(v, *sampled_a),
        lambda v: cp_out(v, gamma[1], r_in[1], r_out[1]),
        lambda v: power_out(v, *sampled_b),
    ]
    best = brute_force_3(total, curves)
    assert x.sum() <= total * (1 + 1e-9)
    assert got >= best * (1 - 2e-3)


def test_no_order_is_dropped_when_a_pool_can_fill_it() -> None:
    """The public engine dropped whole orders when one pool's quantised marginal was high."""
    gamma = np.array([0.997, 0.5, 0.997])
    r_in = np.array([10_000.0, 10_000.0, 1e-3])
    r_out = np.array([100.0, 1e6, 1e-5])
    x = cp_route(20.0, gamma, r_in, r_out, np.ones(3, dtype=bool))
    assert math.isclose(x.sum(), 20.0)


def test_fees_decide_the_split_not_reserves() -> None:
    """The public engine split pro-rata by reserves whatever the fees (defect B4/B5)."""
    gamma = np.array([1 - 0.002, 1 - 0.5])
    r_in = np.array([10_000.0, 10_000.0])
    r_out = np.array([100.0, 100.0])
    x = cp_route(20.0, gamma, r_in, r_out, np.ones(2, dtype=bool))
    assert x[1] == 0.0 and math.isclose(x[0], 20.0)


def test_concave_hull_of_a_kinked_curve() -> None:
    # (1, 1) lies under the chord from (0, 0) to (2, 3); the last sample falls, so it adds a
    # flat segment.
    lengths, slopes = hull([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 3.0, 4.0, 4.5, 4.0])
    assert lengths.tolist() == [2.0, 1.0, 1.0, 1.0, 0.0]
    assert slopes.tolist() == [1.5, 1.0, 0.5, 0.0, 0.0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 100.0), min_size=2, max_size=12))
def test_concave_hull_lies_above_every_sample_and_is_concave(values) -> None:
    inputs = np.arange(1.0, len(values) + 1.0)
    outputs = np.maximum.accumulate(np.array(values))
    lengths, slopes = hull(inputs, outputs)
    assert np.all(np.diff(slopes[lengths > 0]) <= 1e-12)  # concave
    xs = np.concatenate([[0.0], np.cumsum(lengths)])
    ys = np.concatenate([[0.0], np.cumsum(lengths * slopes)])
    assert np.all(np.interp(inputs, xs, ys) >= outputs - 1e-9)

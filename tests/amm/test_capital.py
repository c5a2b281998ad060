"""Epoch capital: weights respect the floor and sum to 1; value at fair is conserved; spots kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.capital import capital_weights, rebalance, risk_scores

edges = st.lists(st.floats(-500.0, 500.0), min_size=1, max_size=12)


@settings(max_examples=200)
@given(edges, st.floats(0.1, 100.0), st.floats(0.0, 0.08))
def test_weights_sum_to_one_and_respect_the_floor(epoch_edges, temperature, floor) -> None:
    scores = risk_scores(np.array([epoch_edges]), 2.0)
    if floor * len(epoch_edges) > 1:
        with pytest.raises(ValueError):
            capital_weights(scores, temperature, floor)
        return
    weights = capital_weights(scores, temperature, floor)
    assert abs(weights.sum() - 1.0) < 1e-12
    assert (weights >= floor - 1e-15).all()
    # Above the floor, weights keep the softmax's order and ratios.
    free = weights[0] > floor + 1e-12
    soft = np.exp((scores[0] - scores[0].max()) / temperature)
    if free.sum() >= 2:
        ratios = weights[0, free] / soft[free]
        np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)


def test_a_single_clip_and_renormalise_would_break_the_floor() -> None:
    # softmax gives (~1, ~0, ~0); clipping to 2% and renormalising once gives 1.96% < 2%.
    weights = capital_weights(np.array([[100.0, 0.0, 0.0]]), 1.0, 0.02)
    np.testing.assert_allclose(weights, [[0.96, 0.02, 0.02]])


def test_losses_weigh_more_than_gains() -> None:
    assert risk_scores(np.array([-10.0, 10.0]), 2.0).tolist() == [-30.0, 10.0]


reserves = st.lists(st.tuples(st.floats(1.0, 1e4), st.floats(50.0, 200.0)), min_size=1, max_size=10)


@settings(max_examples=200)
@given(reserves, st.floats(50.0, 200.0), st.data())
def test_rebalance_conserves_value_at_fair_and_keeps_spots(pools, fair, data) -> None:
    rx = np.array([[x for x, _ in pools]])
    ry = np.array([[x * spot for x, spot in pools]])
    raw = np.array([data.draw(st.floats(0.01, 1.0)) for _ in pools])
    weights = (raw / raw.sum())[None]
    new_x, new_y = rebalance(rx, ry, weights, np.array([fair]))
    before = (rx * fair + ry).sum()
    after = (new_x * fair + new_y).sum()
    assert abs(after - before) <= 1e-9 * before
    np.testing.assert_allclose(new_y / new_x, ry / rx, rtol=1e-12)
    np.testing.assert_allclose((new_x * fair + new_y) / after, weights, rtol=1e-9)

"""Input blocks: every simulation's streams, stacked and padded step by step."""

import numpy as np
import pytest

from arena.amm.inputs import input_blocks
from arena.amm.params import sample_params
from arena.amm.streams import SimulationStreams


@pytest.mark.parametrize("block", [1, 700, 1000])
def test_blocks_hold_each_simulations_stream_in_order(block: int) -> None:
    params = [sample_params(seed) for seed in (0, 3, 11, 2**64 - 1)]
    streams = [SimulationStreams(p) for p in params]
    first = 0
    for inputs in input_blocks(params, 1500, 100.0, block):
        assert inputs.first_step == first
        steps = inputs.prices.shape[1]
        for sim, stream in enumerate(streams):
            expected = stream.next(steps)
            np.testing.assert_array_equal(inputs.prices[sim], expected.prices)
            np.testing.assert_array_equal(inputs.arb_start[sim], expected.arb_start_sizes)
            counts = expected.retail.counts
            np.testing.assert_array_equal(inputs.order_counts[sim], counts)
            slots = np.arange(inputs.order_sizes.shape[2]) < counts[:, None]  # real orders
            np.testing.assert_array_equal(inputs.order_sizes[sim][slots], expected.retail.sizes)
            np.testing.assert_array_equal(inputs.order_is_buy[sim][slots], expected.retail.is_buy)
            assert not inputs.order_sizes[sim][~slots].any()
            assert not inputs.order_is_buy[sim][~slots].any()
        first += steps
    assert first == 1500


def test_blocks_without_the_arbitrageur_keep_the_other_streams() -> None:
    """The streams are independent generators: skipping the start sizes changes nothing else."""
    params = [sample_params(seed) for seed in (1, 8)]
    full = list(input_blocks(params, 2500, 100.0))
    lean = list(input_blocks(params, 2500, 100.0, arbitrage=False))
    assert len(full) == len(lean) == 3
    for with_arb, without in zip(full, lean, strict=True):
        assert with_arb.arb_start is not None and without.arb_start is None
        assert with_arb.first_step == without.first_step
        for name in ("prices", "order_counts", "order_sizes", "order_is_buy"):
            np.testing.assert_array_equal(getattr(with_arb, name), getattr(without, name))

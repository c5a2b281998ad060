"""The compiled constant-product kernels against exact integers, and the engine's two paths.

A constant-product strategy without hooks runs as one compiled block over all simulations;
the same pool written as ``compute_swap`` runs through the request path, Python answering
every quote. They must agree bit for bit.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arena.amm.kernels import _div128, cp_output_scalar
from arena.amm.program import StrategyProgram
from arena.amm.propamm import PropAmmConfig, simulate_prop_amm
from arena.plugins import load_strategy

U64_MAX = 2**64 - 1
u64 = st.integers(0, U64_MAX)
reserves = st.one_of(st.integers(1, 10**6), st.integers(10**9, 10**16), st.integers(1, U64_MAX))


@settings(max_examples=500)
@given(st.integers(0, U64_MAX // 2), reserves, reserves, st.integers(0, 10**9))
def test_compiled_pricing_is_exact(amount, r_in, r_out, fee) -> None:
    net = amount * (10**9 - fee) // 10**9
    assume(r_in + net < 2**64)  # beyond that the kernel documents an approximation
    expected = r_out * net // (r_in + net)
    got = cp_output_scalar(np.uint64(amount), np.uint64(r_in), np.uint64(r_out), np.uint64(fee))
    assert int(got) == expected


near_2_53 = st.integers(2**53 - 16, 2**53 + 16)  # where the estimate gives way to divlu


@settings(max_examples=1000)
@given(
    st.one_of(st.integers(1, 2**40), st.integers(1, U64_MAX)),
    st.one_of(st.integers(0, 2**53), near_2_53, st.integers(0, U64_MAX)),
    st.data(),
)
def test_128_bit_division_is_exact(divisor, quotient, data) -> None:
    """floor(dividend / divisor) for every 128-bit dividend whose quotient fits in 64 bits."""
    dividend = quotient * divisor + data.draw(st.integers(0, divisor - 1))
    assume(dividend >> 64 < divisor)
    got = _div128(np.uint64(dividend >> 64), np.uint64(dividend & U64_MAX), np.uint64(divisor))
    assert int(got) == quotient


@pytest.mark.parametrize(
    ("compiled", "scripted"),
    [("starter", "submissions/starter_compute_swap.py"), ("cp30", "normalizer")],
)
def test_compiled_block_equals_the_request_path(compiled, scripted) -> None:
    seeds = [0, 1, 2, 7, 42, 428, 2**64 - 1]
    config = PropAmmConfig(steps=600)
    fast = simulate_prop_amm(StrategyProgram(load_strategy(compiled)), seeds, config)
    slow = simulate_prop_amm(StrategyProgram(load_strategy(scripted)), seeds, config)
    assert slow.calls.min() > 0 and fast.calls.max() == 0  # really two different paths
    for name in ("total", "arb", "retail"):
        np.testing.assert_array_equal(getattr(fast.strategy, name), getattr(slow.strategy, name))
        np.testing.assert_array_equal(
            getattr(fast.normalizer, name), getattr(slow.normalizer, name)
        )
    assert np.abs(fast.strategy.total).sum() > 0  # something traded


@pytest.mark.slow
def test_compiled_block_equals_the_request_path_at_full_length() -> None:
    seeds = list(range(12))
    config = PropAmmConfig(steps=10_000)
    fast = simulate_prop_amm(StrategyProgram(load_strategy("starter")), seeds, config)
    slow = simulate_prop_amm(
        StrategyProgram(load_strategy("submissions/starter_compute_swap.py")), seeds, config
    )
    np.testing.assert_array_equal(fast.strategy.total, slow.strategy.total)
    np.testing.assert_array_equal(fast.normalizer.total, slow.normalizer.total)

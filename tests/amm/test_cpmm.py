"""Integer constant-product math against the reference formula in Python's big integers."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm.cpmm import FEE_SCALE, bps_to_fee
from arena.amm.host import PoolInstance, StrategyHost
from arena.amm.kernels import cp_output_scalar, storage_fees
from arena.amm.nano import U64_MAX, to_nano, to_nano_scalar
from arena.storage import Storage


def reference(amount: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """The reference engine's u128 normalizer/starter formula, verbatim in Python ints."""
    if reserve_in == 0 or reserve_out == 0:
        return 0
    k = reserve_in * reserve_out
    net = amount * (10_000 - fee_bps) // 10_000
    new_in = reserve_in + net
    return max(0, reserve_out - (k + new_in - 1) // new_in)


u64 = st.integers(0, U64_MAX)
reserves = st.one_of(st.integers(0, 10**6), st.integers(10**9, 10**16), u64)


@settings(max_examples=400)
@given(u64, reserves, reserves, st.integers(0, 10_000))
def test_cp_output_equals_the_reference_formula(amount, r_in, r_out, fee_bps) -> None:
    """The reference's ceil-and-subtract form, in big integers, against our compiled one."""
    if r_in + amount >= 2**64:  # the kernel documents an approximation beyond 2**64
        return
    got = cp_output_scalar(
        np.uint64(amount), np.uint64(r_in), np.uint64(r_out), np.uint64(bps_to_fee(fee_bps))
    )
    assert int(got) == reference(amount, r_in, r_out, fee_bps)


def test_storage_fees_are_truncated_to_1e9_and_capped() -> None:
    """Pools read WAD fees from storage slots 0 and 1 at 1e-9 resolution, at most 100%."""
    wads = [3 * 10**15, 10**9 - 1, 2 * 10**18, 123_456_789_987_654_321]
    instances = []
    for wad in wads:
        storage = Storage()
        storage.u64[0] = wad
        storage.u64[1] = wad
        instances.append(PoolInstance(storage))
    fees = StrategyHost(instances).fee_units()
    expected = [3_000_000, 0, FEE_SCALE, 123_456_789]
    assert fees[:, 0].tolist() == expected and fees[:, 1].tolist() == expected
    # The engine's own reading of a storage after a hook agrees.
    words = np.array([[wad, wad] for wad in wads], dtype=np.uint64)
    assert [int(storage_fees(row)[0]) for row in words] == expected


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_to_nano_vector_equals_scalar(value: float) -> None:
    assert int(to_nano(np.array([value]))[0]) == to_nano_scalar(value)


def test_to_nano_follows_the_reference_rules() -> None:
    values = np.array([np.nan, -1.0, 0.0, 1.0, 1.0000000009, np.inf, 2.0**64])
    assert to_nano(values).tolist() == [0, 0, 0, 10**9, 10**9, U64_MAX, U64_MAX]

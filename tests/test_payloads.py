"""Byte layouts of every payload, checked offset by offset against the seed's tables and the
reference engine's instruction layouts (written out here by hand, not derived from the code)."""

import math
import struct

from arena.payloads import AfterSwap, EpochBoundary, PropAmmAfterSwap, SwapRequest
from arena.storage import Storage


def u(raw: bytes, offset: int, size: int) -> int:
    return int.from_bytes(raw[offset : offset + size], "little")


def f32(raw: bytes, offset: int) -> float:
    return struct.unpack("<f", raw[offset : offset + 4])[0]


def f64(raw: bytes, offset: int) -> float:
    return struct.unpack("<d", raw[offset : offset + 8])[0]


def storage_with_marker() -> Storage:
    storage = Storage()
    storage[0] = 0xAB
    storage[1023] = 0xCD
    return storage


def test_swap_request_is_1049_bytes_at_reference_offsets() -> None:
    raw = SwapRequest(1, 2**40 + 3, 10**11, 10**13 + 7).to_bytes(storage_with_marker())
    assert len(raw) == 1049
    assert raw[0] == 1
    assert u(raw, 1, 8) == 2**40 + 3
    assert u(raw, 9, 8) == 10**11
    assert u(raw, 17, 8) == 10**13 + 7
    assert raw[25] == 0xAB and raw[25 + 1023] == 0xCD


def after_swap() -> AfterSwap:
    return AfterSwap(
        side=1,
        input_amount=123_456_789,
        output_amount=2**63 + 5,
        reserve_x=100_000_000_000,
        reserve_y=10_000_000_000_000,
        sim_step=9_999,
        epoch_step=999,
        epoch_number=7,
        n_strategies=9,
        strategy_index=4,
        flow_captured=0.25,
        capital_weight=0.125,
        competing_spot_prices=(100.5, 99.25, 101.0),
    )


def test_enriched_after_swap_matches_the_seed_table() -> None:
    raw = after_swap().to_bytes(storage_with_marker())
    assert len(raw) == 92 + 1024
    assert raw[0] == 2  # tag
    assert raw[1] == 1  # side
    assert u(raw, 2, 8) == 123_456_789
    assert u(raw, 10, 8) == 2**63 + 5
    assert u(raw, 18, 8) == 100_000_000_000
    assert u(raw, 26, 8) == 10_000_000_000_000
    assert u(raw, 34, 8) == 9_999
    assert u(raw, 42, 4) == 999
    assert u(raw, 46, 4) == 7
    assert raw[50] == 9
    assert raw[51] == 4
    assert f32(raw, 52) == 0.25
    assert f32(raw, 56) == 0.125
    prices = [f32(raw, 60 + 4 * i) for i in range(8)]
    assert prices[:3] == [100.5, 99.25, 101.0]
    assert all(math.isnan(p) for p in prices[3:])
    assert raw[92] == 0xAB and raw[92 + 1023] == 0xCD


def test_prop_amm_after_swap_is_the_reference_1066_bytes() -> None:
    record = PropAmmAfterSwap(*after_swap())
    raw = record.to_bytes(storage_with_marker())
    assert len(raw) == 1066
    assert raw[0] == 2 and raw[1] == 1
    assert u(raw, 2, 8) == 123_456_789
    assert u(raw, 10, 8) == 2**63 + 5
    assert u(raw, 18, 8) == 100_000_000_000
    assert u(raw, 26, 8) == 10_000_000_000_000
    assert u(raw, 34, 8) == 9_999
    assert raw[42] == 0xAB and raw[42 + 1023] == 0xCD


def test_epoch_boundary_matches_the_seed_table() -> None:
    record = EpochBoundary(
        epoch_number=3,
        new_reserve_x=98_000_000_000,
        new_reserve_y=9_900_000_000_000,
        epoch_edge=-12.5,
        cumulative_edge=321.0625,
        capital_weight=0.375,
    )
    raw = record.to_bytes(storage_with_marker())
    assert len(raw) == 41 + 1024
    assert raw[0] == 5
    assert u(raw, 1, 4) == 3
    assert u(raw, 5, 8) == 98_000_000_000
    assert u(raw, 13, 8) == 9_900_000_000_000
    assert f64(raw, 21) == -12.5
    assert f64(raw, 29) == 321.0625
    assert f32(raw, 37) == 0.375
    assert raw[41] == 0xAB and raw[41 + 1023] == 0xCD


def test_storage_is_zero_filled_when_omitted() -> None:
    assert EpochBoundary(0, 1, 1, 0.0, 0.0, 1.0).to_bytes()[41:] == bytes(1024)


def test_payloads_are_read_only_records() -> None:
    record = after_swap()
    try:
        record.side = 0  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("payload fields must not be writable")

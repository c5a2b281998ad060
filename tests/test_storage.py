import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.storage import N_SLOTS, STORAGE_SIZE, Storage, StorageError


def test_new_storage_is_1024_zero_bytes() -> None:
    storage = Storage()
    assert len(storage) == STORAGE_SIZE == 1024
    assert storage.to_bytes() == bytes(1024)
    assert len(storage.u64) == N_SLOTS == 128


@given(st.integers(0, N_SLOTS - 1), st.integers(0, 2**64 - 1))
def test_u64_slot_is_eight_little_endian_bytes(slot: int, value: int) -> None:
    storage = Storage()
    storage.u64[slot] = value
    raw = storage.to_bytes()
    assert raw[8 * slot : 8 * slot + 8] == value.to_bytes(8, "little")
    assert sum(raw) == sum(value.to_bytes(8, "little"))


@given(st.integers(0, N_SLOTS - 1), st.floats(allow_nan=False))
def test_typed_views_share_bytes(slot: int, value: float) -> None:
    storage = Storage()
    storage.f64[slot] = value
    import struct

    assert storage.u64[slot] == struct.unpack("<Q", struct.pack("<d", value))[0]
    assert storage.f64[slot] == value


def test_i64_round_trips_negative_values() -> None:
    storage = Storage()
    storage.i64[3] = -5
    assert storage.i64[3] == -5
    assert storage.u64[3] == 2**64 - 5


def test_f64_accepts_ints_as_floats() -> None:
    storage = Storage()
    storage.f64[0] = 3
    assert storage.f64[0] == 3.0 and isinstance(storage.f64[0], float)


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.u64.__setitem__(128, 1),
        lambda s: s.u64.__setitem__(-1, 1),
        lambda s: s.u64.__setitem__(0, -1),
        lambda s: s.u64.__setitem__(0, 2**64),
        lambda s: s.u64.__setitem__(0, 1.5),
        lambda s: s.i64.__setitem__(0, 2**63),
        lambda s: s.f64.__setitem__(0, "x"),
        lambda s: s.__setitem__(1024, 0),
        lambda s: s.__setitem__(0, 256),
        lambda s: s.u64.__getitem__(128),
    ],
)
def test_out_of_range_and_wrong_types_are_clear_errors(write) -> None:
    with pytest.raises(StorageError):
        write(Storage())


def test_readonly_view_sees_writes_but_refuses_them() -> None:
    storage = Storage()
    view = storage.readonly()
    storage.u64[5] = 42
    assert view.u64[5] == 42
    with pytest.raises(StorageError, match="read-only in compute_swap"):
        view.u64[5] = 1
    with pytest.raises(StorageError, match="read-only"):
        view[0] = 1
    assert not view.writable and storage.writable


def test_initial_contents_longer_than_1024_bytes_are_refused() -> None:
    with pytest.raises(StorageError):
        Storage(bytes(1025))


def test_nan_survives_f64_slot() -> None:
    storage = Storage()
    storage.f64[1] = math.nan
    assert math.isnan(storage.f64[1])

"""A strategy's 1024 bytes of persistent memory.

Every pool gets one :class:`Storage` per simulation, zeroed at its start. It persists across
every trade and epoch of that simulation. Strategies see it three ways:

* ``storage[i]``: raw bytes, ``0 <= i < 1024``;
* ``storage.u64[i]``, ``storage.i64[i]``, ``storage.f64[i]``: 128 little-endian 8-byte slots,
  all views of the same bytes (slot ``i`` is bytes ``8*i .. 8*i+7``);
* in ``compute_swap`` the same storage through a read-only view, so quoting can never change
  state; writes happen only in ``after_swap`` and ``epoch_boundary``.

Slots 0 and 1 hold the fees of a pool that has no ``compute_swap`` (WAD, 1e18 = 100%).
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator
from typing import Final

__all__ = ["FEE_SLOTS", "N_SLOTS", "STORAGE_SIZE", "WAD", "Slots", "Storage", "StorageError"]

STORAGE_SIZE: Final = 1024
N_SLOTS: Final = STORAGE_SIZE // 8
WAD: Final = 10**18
#: Storage slots holding the fee charged on side-0 trades (Y in) and side-1 trades (X in).
FEE_SLOTS: Final = (0, 1)

_U64_MAX: Final = 2**64 - 1
_FEE_WORDS: Final = struct.Struct("<QQ")
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1

# memoryview casts use the machine's byte order; the seed's layouts are little-endian.
assert sys.byteorder == "little", "arena's storage layout assumes a little-endian machine"


class StorageError(Exception):
    """A strategy used its storage wrongly (out of range, wrong type, or a write while quoting)."""


class Slots:
    """128 typed 8-byte slots over a storage buffer (``u64``, ``i64`` or ``f64``).

    ``view`` is the typed memoryview itself and ``exact`` the type it stores unconverted: the
    sandbox's item guards use them to read and write slots in C, and come back here for
    anything else (see :mod:`arena.sandbox.guards`).
    """

    __slots__ = ("exact", "kind", "view", "writable")

    def __init__(self, buffer: memoryview, kind: str, *, writable: bool) -> None:
        # typeshed accepts only literal format strings here
        self.view = buffer.cast({"u64": "Q", "i64": "q", "f64": "d"}[kind])  # type: ignore[call-overload]
        self.kind = kind
        self.writable = writable
        self.exact: type = float if kind == "f64" else int

    def __len__(self) -> int:
        return N_SLOTS

    def __iter__(self) -> Iterator[int | float]:
        return iter(self.view.tolist())

    def __getitem__(self, index: int) -> int | float:
        try:
            value: int | float = self.view[index]
            return value
        except (IndexError, TypeError):
            raise StorageError(
                f"storage.{self.kind}[{index!r}]: slot index must be an int in 0..{N_SLOTS - 1}"
            ) from None

    def __setitem__(self, index: int, value: float) -> None:
        if not self.writable:
            raise StorageError(
                "storage is read-only in compute_swap; write it in after_swap or epoch_boundary"
            )
        if not isinstance(index, int) or not 0 <= index < N_SLOTS:
            raise StorageError(
                f"storage.{self.kind}[{index!r}]: slot index must be an int in 0..{N_SLOTS - 1}"
            )
        self.view[index] = self._coerce(value)

    def _coerce(self, value: float) -> int | float:
        if self.kind == "f64":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            raise StorageError(f"storage.f64 holds numbers, not {type(value).__name__}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise StorageError(
                f"storage.{self.kind} holds integers, not {type(value).__name__} "
                "(use int(x), or the f64 slots for fractions)"
            )
        low, high = (0, _U64_MAX) if self.kind == "u64" else (_I64_MIN, _I64_MAX)
        if not low <= value <= high:
            raise StorageError(f"storage.{self.kind}: {value} is outside {low}..{high}")
        return value


class Storage:
    """1024 bytes of persistent strategy memory with typed slot views.

    :param data: initial contents (at most 1024 bytes, zero-padded); zeroed when omitted.
    :param writable: ``False`` for the read-only view handed to ``compute_swap``.
    """

    __slots__ = ("_buffer", "_view", "_writable", "f64", "i64", "u64")

    u64: Slots
    i64: Slots
    f64: Slots

    def __init__(self, data: bytes = b"", *, writable: bool = True) -> None:
        if len(data) > STORAGE_SIZE:
            raise StorageError(f"storage holds {STORAGE_SIZE} bytes, got {len(data)}")
        buffer = bytearray(STORAGE_SIZE)
        buffer[: len(data)] = data
        self._attach(buffer, writable)

    def _attach(self, buffer: bytearray | memoryview, writable: bool) -> None:
        self._buffer = buffer
        self._view = memoryview(buffer)
        self._writable = writable
        self.u64 = Slots(self._view, "u64", writable=writable)
        self.i64 = Slots(self._view, "i64", writable=writable)
        self.f64 = Slots(self._view, "f64", writable=writable)

    def move_to(self, buffer: memoryview) -> None:
        """Keep this storage's bytes in ``buffer`` from now on (its contents are copied there).

        Engines keep the storages of many simulations as rows of one array, to snapshot and
        read them all at once. Read-only views taken before the move keep the old bytes.

        :param buffer: 1024 writable bytes (format ``B``), e.g. a row of a ``uint8`` array.
        """
        if buffer.readonly or buffer.format != "B" or buffer.nbytes != STORAGE_SIZE:
            raise ValueError(f"storage needs {STORAGE_SIZE} writable bytes")
        buffer[:] = self._buffer
        self._attach(buffer, self._writable)

    def readonly(self) -> Storage:
        """A read-only view sharing this storage's bytes (what ``compute_swap`` receives)."""
        view = Storage.__new__(Storage)
        view._attach(self._buffer, False)
        return view

    @property
    def writable(self) -> bool:
        """Whether writes through this object are allowed."""
        return self._writable

    def __len__(self) -> int:
        return STORAGE_SIZE

    def __getitem__(self, index: int) -> int:
        if not isinstance(index, int) or not 0 <= index < STORAGE_SIZE:
            raise StorageError(f"storage[{index!r}]: byte index must be an int in 0..1023")
        return self._buffer[index]

    def __setitem__(self, index: int, value: int) -> None:
        if not self._writable:
            raise StorageError(
                "storage is read-only in compute_swap; write it in after_swap or epoch_boundary"
            )
        if not isinstance(index, int) or not 0 <= index < STORAGE_SIZE:
            raise StorageError(f"storage[{index!r}]: byte index must be an int in 0..1023")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 255:
            raise StorageError(f"storage[{index}]: a byte is an int in 0..255, not {value!r}")
        self._buffer[index] = value

    def fee_words(self) -> tuple[int, int]:
        """Slots 0 and 1 as u64 (the fees of a pool without ``compute_swap``), in one read."""
        side0, side1 = _FEE_WORDS.unpack_from(self._buffer)
        return side0, side1

    def to_bytes(self) -> bytes:
        """The 1024 bytes, as the reference engine lays them out."""
        return self._view.tobytes()

    def __repr__(self) -> str:
        used = [i for i in range(N_SLOTS) if self.u64[i]]
        return f"Storage(nonzero slots={used}, writable={self._writable})"

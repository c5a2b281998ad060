"""The records a strategy receives, and their byte layouts.

Strategies get these as read-only records with named fields. ``to_bytes()`` gives the exact
little-endian layout of the engines arena reimplements, with the strategy's storage appended,
so code written against the byte ABI can be checked against ours:

=================  ======  ==============================================================
record             bytes   layout
=================  ======  ==============================================================
SwapRequest        1049    prop-amm ``compute_swap`` instruction: side, input, reserves
PropAmmAfterSwap   1066    prop-amm ``after_swap`` (tag 2, ends with ``sim_step``)
AfterSwap          1116    seed 003 enriched AfterSwap (tag 2)
EpochBoundary      1065    seed 003 EpochBoundary (tag 5)
=================  ======  ==============================================================

Amounts and reserves are integers at 1e9 scale ("nanos"). Fields the layouts store as ``f32``
are kept as full-precision floats in the record and rounded only by ``to_bytes()``.
"""

from __future__ import annotations

import math
import struct
from typing import Final, NamedTuple

from arena.storage import STORAGE_SIZE, Storage

__all__ = [
    "AFTER_SWAP_TAG",
    "EPOCH_BOUNDARY_TAG",
    "N_COMPETING_PRICES",
    "AfterSwap",
    "EpochBoundary",
    "PropAmmAfterSwap",
    "SwapRequest",
]

AFTER_SWAP_TAG: Final = 2
EPOCH_BOUNDARY_TAG: Final = 5
#: Slots for other pools' spot prices in an AfterSwap payload; unused slots are NaN.
N_COMPETING_PRICES: Final = 8

_SWAP = struct.Struct("<BQQQ")
_PROP_AMM_AFTER_SWAP = struct.Struct("<BBQQQQQ")
_AFTER_SWAP = struct.Struct(f"<BBQQQQQIIBBff{N_COMPETING_PRICES}f")
_EPOCH_BOUNDARY = struct.Struct("<BIQQddf")


def _storage_bytes(storage: Storage | None) -> bytes:
    return storage.to_bytes() if storage is not None else bytes(STORAGE_SIZE)


class SwapRequest(NamedTuple):
    """One ``compute_swap`` call: what the engine asks a pool to quote."""

    side: int
    input_amount: int
    reserve_x: int
    reserve_y: int

    def to_bytes(self, storage: Storage | None = None) -> bytes:
        """The reference engine's 1049-byte instruction (storage zeroed when omitted)."""
        return _SWAP.pack(*self) + _storage_bytes(storage)


class AfterSwap(NamedTuple):
    """An executed trade on this pool, as seen by its ``after_swap`` hook (seed 003, tag 2).

    ``side`` 0: the trader paid Y and received X; 1: the trader paid X and received Y.
    ``flow_captured`` is this pool's share of the retail order's input (0.0 for arbitrage);
    ``capital_weight`` this pool's share of the strategies' capital; ``competing_spot_prices``
    the other pools' spot prices (Y per X), NaN where unused.
    """

    side: int
    input_amount: int
    output_amount: int
    reserve_x: int
    reserve_y: int
    sim_step: int
    epoch_step: int
    epoch_number: int
    n_strategies: int
    strategy_index: int
    flow_captured: float
    capital_weight: float
    competing_spot_prices: tuple[float, ...]

    def to_bytes(self, storage: Storage | None = None) -> bytes:
        """The seed's 1116-byte AfterSwap layout (storage at offset 92)."""
        prices = tuple(self.competing_spot_prices[:N_COMPETING_PRICES])
        prices += (math.nan,) * (N_COMPETING_PRICES - len(prices))
        head = _AFTER_SWAP.pack(
            AFTER_SWAP_TAG,
            self.side,
            self.input_amount,
            self.output_amount,
            self.reserve_x,
            self.reserve_y,
            self.sim_step,
            self.epoch_step,
            self.epoch_number,
            self.n_strategies,
            self.strategy_index,
            self.flow_captured,
            self.capital_weight,
            *prices,
        )
        return head + _storage_bytes(storage)


class PropAmmAfterSwap(AfterSwap):
    """The same record under the ``prop-amm`` ruleset, whose byte layout is the reference's."""

    __slots__ = ()

    def to_bytes(self, storage: Storage | None = None) -> bytes:
        """The reference engine's 1066-byte after_swap instruction (storage at offset 42)."""
        head = _PROP_AMM_AFTER_SWAP.pack(
            AFTER_SWAP_TAG,
            self.side,
            self.input_amount,
            self.output_amount,
            self.reserve_x,
            self.reserve_y,
            self.sim_step,
        )
        return head + _storage_bytes(storage)


class EpochBoundary(NamedTuple):
    """The end of an epoch, after capital was reallocated (seed 003, tag 5).

    ``epoch_number`` is the epoch that just ended (0-based); the reserves are this pool's
    reserves after rebalancing; edges are in Y.
    """

    epoch_number: int
    new_reserve_x: int
    new_reserve_y: int
    epoch_edge: float
    cumulative_edge: float
    capital_weight: float

    def to_bytes(self, storage: Storage | None = None) -> bytes:
        """The seed's 1065-byte EpochBoundary layout (storage at offset 41)."""
        return _EPOCH_BOUNDARY.pack(EPOCH_BOUNDARY_TAG, *self) + _storage_bytes(storage)

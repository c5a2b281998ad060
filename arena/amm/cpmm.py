"""Exact integer constant-product pricing, vectorised over simulations.

A constant-product pool with fee ``f`` quotes, for ``input`` (all integers at 1e9 scale)::

    net    = floor(input * (1 - f))
    output = reserve_out - ceil(reserve_in * reserve_out / (reserve_in + net))

which is the reference engine's u128 formula (normalizer and starter). It equals
``floor(reserve_out * net / (reserve_in + net))``, which is what we compute: products of two
u64 values do not fit in numpy's integers, so an f64 estimate is corrected with the remainder
computed modulo 2**64 (exact whenever the true remainder is small, which the estimate's error
bound guarantees on the fast path); the rare elements outside that range fall back to Python
integers.

Fees are carried at 1e-9 resolution (``FEE_SCALE``): ``net = floor(input * (FEE_SCALE - fee) /
FEE_SCALE)`` splits ``input`` into ``q * FEE_SCALE + r`` so every product stays below 2**64.
A fee in basis points is ``bps * 1e5`` in these units, and gives exactly the reference's
``input * (10000 - bps) // 10000``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from arena.storage import WAD

__all__ = ["FEE_SCALE", "bps_to_fee", "cp_output", "fee_from_wad", "net_input"]

#: Fees are integers in units of 1e-9 (1e9 = 100%).
FEE_SCALE: Final = 10**9
_FEE_SCALE_U64: Final = np.uint64(FEE_SCALE)
_WAD_PER_FEE_UNIT: Final = WAD // FEE_SCALE
# Fast-path bounds: the f64 estimate of floor(a*b/d) is then within 1 of the truth and the
# remainder a*b - est*d fits comfortably in a signed 64-bit integer.
_MAX_FAST_OUT: Final = np.uint64(2**50)
_MAX_FAST_DIVISOR: Final = np.uint64(2**60)

UIntArray = npt.NDArray[np.uint64]


def bps_to_fee(bps: float) -> int:
    """A fee in basis points, in the 1e-9 units of :data:`FEE_SCALE`."""
    return round(bps * 100_000)


def fee_from_wad(fee_wad: int) -> int:
    """A WAD fee from storage (1e18 = 100%), truncated to 1e-9 units and capped at 100%."""
    return min(max(fee_wad, 0) // _WAD_PER_FEE_UNIT, FEE_SCALE)


def net_input(amount: UIntArray, fee: UIntArray) -> UIntArray:
    """``floor(amount * (FEE_SCALE - fee) / FEE_SCALE)``, exactly, for fees in 0..FEE_SCALE."""
    keep = _FEE_SCALE_U64 - fee
    whole, part = np.divmod(amount, _FEE_SCALE_U64)
    return whole * keep + (part * keep) // _FEE_SCALE_U64


def cp_output(
    amount: UIntArray, reserve_in: UIntArray, reserve_out: UIntArray, fee: UIntArray
) -> UIntArray:
    """Exact constant-product output for each element (0 where a reserve is 0).

    :param amount: inputs (nanos).
    :param reserve_in: reserve of the token paid in (nanos).
    :param reserve_out: reserve of the token paid out (nanos).
    :param fee: fee on this side, in 1e-9 units.
    """
    net = net_input(amount, fee)
    divisor = reserve_in + net  # may wrap for absurd inputs: those take the exact path below
    fast = (reserve_out < _MAX_FAST_OUT) & (divisor < _MAX_FAST_DIVISOR) & (divisor >= net)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.floor(
            reserve_out.astype(np.float64) * net.astype(np.float64) / divisor.astype(np.float64)
        )
    estimate = np.where(fast & (divisor > 0), estimate, 0.0).astype(np.uint64)
    # Remainder modulo 2**64, read as signed: exact because |remainder| < 2 * divisor < 2**61.
    remainder = (reserve_out * net - estimate * divisor).view(np.int64)
    low = remainder < 0
    estimate[low] -= np.uint64(1)
    high = remainder >= divisor.view(np.int64)
    high &= ~low
    estimate[high] += np.uint64(1)
    out = np.where((reserve_in == 0) | (reserve_out == 0), np.uint64(0), estimate)
    slow = np.flatnonzero(~fast & (reserve_in > 0) & (reserve_out > 0))
    for i in slow.tolist():
        n = int(net[i])
        out[i] = int(reserve_out[i]) * n // (int(reserve_in[i]) + n)
    return out

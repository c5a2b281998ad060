"""Amounts at 1e9 scale ("nanos"): the integer domain strategies see.

The engine keeps reserves and trade sizes as floats; every call into a pool converts them with
the reference engine's rules: ``trunc(v * 1e9)``, 0 for NaN or ``v <= 0``, saturating at
``2**64 - 1``; outputs come back as ``n / 1e9``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["NANO", "U64_MAX", "from_nano", "to_nano", "to_nano_scalar"]

NANO: Final = 1e9
U64_MAX: Final = 2**64 - 1
_TWO_64: Final = 2.0**64

FloatArray = npt.NDArray[np.float64]
UIntArray = npt.NDArray[np.uint64]


def to_nano(values: FloatArray) -> UIntArray:
    """Vectorised ``f64_to_nano`` of the reference engine."""
    # Common case first: every value positive and in range (NaN fails both comparisons).
    # Checked before scaling, so that it needs no floating-point error context (costly).
    if values.size and values.min() > 0.0 and values.max() < _TWO_64 / NANO:
        return (values * NANO).astype(np.uint64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * NANO
    valid = scaled > 0.0  # False for NaN and for v <= 0
    saturated = scaled >= _TWO_64  # also +inf
    safe = np.where(valid & ~saturated, scaled, 0.0)
    out = safe.astype(np.uint64)
    if saturated.any():
        out[saturated] = U64_MAX
    return out


def to_nano_scalar(value: float) -> int:
    """``f64_to_nano`` for one value."""
    scaled = value * NANO
    if not scaled > 0.0:
        return 0
    if scaled >= _TWO_64:
        return U64_MAX
    return int(scaled)


def from_nano(values: UIntArray) -> FloatArray:
    """``n / 1e9`` with the u64 -> f64 conversion rounding to nearest, as in Rust."""
    return values.astype(np.float64) / NANO

"""Fees of constant-product pools, in the units the exact pricing uses.

A constant-product pool with fee ``f`` quotes, for ``input`` (all integers at 1e9 scale)::

    net    = floor(input * (1 - f))
    output = reserve_out - ceil(reserve_in * reserve_out / (reserve_in + net))

the reference engine's u128 formula (normalizer and starter), computed exactly by
:func:`arena.amm.kernels.cp_output_scalar`. Fees are carried at 1e-9 resolution
(:data:`FEE_SCALE`): ``net = floor(input * (FEE_SCALE - fee) / FEE_SCALE)``. A fee in basis
points is ``bps * 1e5`` in these units and gives exactly the reference's
``input * (10000 - bps) // 10000``; a WAD fee from storage is truncated to 9 decimals.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FEE_SCALE", "bps_to_fee"]

#: Fees are integers in units of 1e-9 (1e9 = 100%).
FEE_SCALE: Final = 10**9


def bps_to_fee(bps: float) -> int:
    """A fee in basis points, in the 1e-9 units of :data:`FEE_SCALE`."""
    return round(bps * 100_000)

"""Edge: what a pool earned against the fair price, by source."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Edges"]

FloatArray = npt.NDArray[np.float64]


class Edges(NamedTuple):
    """A pool's edge per simulation (Y, at each trade's fair price): the total, summed in
    event order as the reference engine does, and its arbitrage and retail parts."""

    total: FloatArray
    arb: FloatArray
    retail: FloatArray

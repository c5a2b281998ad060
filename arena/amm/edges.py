"""Edge bookkeeping: what each pool earned against the fair price, by source."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["EdgeBook"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class EdgeBook:
    """Running edge of one pool per simulation: the total (summed in event order, as the
    reference engine does), its arbitrage and retail parts, and the current epoch's edge."""

    def __init__(self, size: int) -> None:
        self.total = np.zeros(size)
        self.arb = np.zeros(size)
        self.retail = np.zeros(size)
        self.epoch = np.zeros(size)

    def add(self, edge: FloatArray, mask: BoolArray, *, arb: bool) -> None:
        """Book ``edge`` where ``mask``."""
        self.total[mask] += edge[mask]
        self.epoch[mask] += edge[mask]
        part = self.arb if arb else self.retail
        part[mask] += edge[mask]

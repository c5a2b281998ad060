"""Step-by-step records of a simulation, for plots: each pool's cumulative edge and spot."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["Observer", "Trace"]

FloatArray = npt.NDArray[np.float64]
#: Called after every step with (step, fair price (S,), cumulative edge (S, P), spots (S, P)).
Observer = Callable[[int, FloatArray, FloatArray, FloatArray], None]


class Trace:
    """Records the first simulation of a batch at every step (an :data:`Observer`)."""

    def __init__(self) -> None:
        self._rows: list[tuple[int, float, FloatArray, FloatArray]] = []

    def __call__(self, step: int, fair: FloatArray, edge: FloatArray, spot: FloatArray) -> None:
        self._rows.append((step, float(fair[0]), edge[0].copy(), spot[0].copy()))

    def table(self, labels: list[str], roles: list[str]) -> pd.DataFrame:
        """One row per step and pool.

        Columns: ``step, pool, strategy, role, cumulative_edge, spot, fair``.
        """
        pools = len(labels)
        steps = np.array([row[0] for row in self._rows])
        return pd.DataFrame(
            {
                "step": np.repeat(steps, pools),
                "pool": np.tile(np.arange(pools), len(steps)),
                "strategy": np.tile(np.array(labels, dtype=object), len(steps)),
                "role": np.tile(np.array(roles, dtype=object), len(steps)),
                "cumulative_edge": np.concatenate([row[2] for row in self._rows])
                if self._rows
                else [],
                "spot": np.concatenate([row[3] for row in self._rows]) if self._rows else [],
                "fair": np.repeat([row[1] for row in self._rows], pools),
            }
        )

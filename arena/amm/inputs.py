"""The random inputs of a batch of simulations, delivered block by block.

Prices, arbitrage start sizes and retail orders do not depend on what pools do, so they are
generated per simulation in blocks of steps (bounded memory whatever the run length) and
stacked into arrays with one row per simulation; orders are padded to the most orders any
simulation has in a step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from arena.amm.jit import njit
from arena.amm.params import MarketParams
from arena.amm.streams import RetailBlock, SimulationStreams

__all__ = ["BLOCK_STEPS", "BlockInputs", "input_blocks"]

BLOCK_STEPS: Final = 1000

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BlockInputs:
    """The random inputs of a block of steps, one row per simulation.

    Shapes: ``prices``, ``arb_start``, ``order_counts`` (S, B); ``order_sizes`` (Y) and
    ``order_is_buy`` (S, B, K), K being the most orders any simulation has in one step.
    ``arb_start`` is ``None`` for blocks made without the arbitrageur's start sizes.
    Every array is contiguous (the compiled engines take nothing else).
    """

    first_step: int
    prices: FloatArray
    arb_start: FloatArray | None
    order_counts: npt.NDArray[np.int64]
    order_sizes: FloatArray
    order_is_buy: BoolArray


def input_blocks(
    params: Sequence[MarketParams],
    steps: int,
    initial_price: float,
    block: int = BLOCK_STEPS,
    arbitrage: bool = True,
) -> Iterator[BlockInputs]:
    """Yield the inputs of steps ``0 .. steps-1`` in blocks of at most ``block`` steps.

    :param arbitrage: whether to draw the arbitrageur's start sizes (see
        :class:`~arena.amm.streams.SimulationStreams`).
    """
    streams = [SimulationStreams(p, initial_price, arbitrage) for p in params]
    for first in range(0, steps, block):
        count = min(block, steps - first)
        blocks = [s.next(count) for s in streams]
        counts, sizes, is_buy = _pad_orders([b.retail for b in blocks], count)
        starts = [b.arb_start_sizes for b in blocks if b.arb_start_sizes is not None]
        yield BlockInputs(
            first,
            np.stack([b.prices for b in blocks]),
            np.stack(starts) if arbitrage else None,
            counts,
            sizes,
            is_buy,
        )


def _pad_orders(
    blocks: list[RetailBlock], steps: int
) -> tuple[npt.NDArray[np.int64], FloatArray, BoolArray]:
    counts = np.stack([b.counts for b in blocks]).astype(np.int64)
    width = max(int(counts.max(initial=0)), 1)
    sizes = np.zeros((len(blocks), steps, width))
    is_buy = np.zeros((len(blocks), steps, width), dtype=bool)
    for sim, retail in enumerate(blocks):
        _place_orders(counts[sim], retail.sizes, retail.is_buy, sizes[sim], is_buy[sim])
    return counts, sizes, is_buy


@njit("void(int64[::1], float64[::1], boolean[::1], float64[:, ::1], boolean[:, ::1])", cache=True)
def _place_orders(counts, sizes, is_buy, step_sizes, step_is_buy):  # type: ignore[no-untyped-def]
    """Put a simulation's orders (in arrival order) in the slots of their steps."""
    order = 0
    for step in range(counts.shape[0]):
        for slot in range(counts[step]):
            step_sizes[step, slot] = sizes[order]
            step_is_buy[step, slot] = is_buy[order]
            order += 1

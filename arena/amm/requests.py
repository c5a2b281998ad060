"""How a compiled simulation asks for strategy code: requests, and the loop that serves them.

A simulation that involves strategy code runs as a compiled generator (numba): it computes
everything it can itself (prices, constant-product pools, searches, routing, edges) and yields
a request when it needs Python. Each request is one tuple::

    (kind, pool, side, amount, output, reserve_x, reserve_y, step, flow)

* ``QUOTE``: the output of ``pool`` for ``amount`` in (nanos, ``output`` unused); the answer goes
  into ``answer[0]`` before the generator resumes;
* ``AFTER_SWAP``: ``pool`` traded ``amount`` in for ``output`` out and now has these reserves
  (nanos); ``flow`` is its share of the retail order (0.0 for arbitrage). Payload fields the
  engine does not know (competing prices, capital weights) come from the ruleset.

:func:`arena.amm.host.serve` runs one generator to its end.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Final, TypeVar

import numpy as np

from arena.amm.jit import njit
from arena.amm.kernels import nano

__all__ = [
    "AFTER_SWAP",
    "QUOTE",
    "Request",
    "accepted",
    "quote_request",
    "record_builder",
    "swap_request",
]

QUOTE: Final = 0
AFTER_SWAP: Final = 1

Request = tuple[int, int, int, int, int, int, int, int, float]
#: Builds the record an ``after_swap`` receives: ``(sim, pool, side, amount, output, reserve_x,
#: reserve_y, step, flow) -> record``, nanos as in the request.
SwapRecord = Callable[[int, int, int, int, int, int, int, int, float], object]
R = TypeVar("R", bound=tuple[Any, ...])


def record_builder(kind: type[R]) -> Callable[[tuple[Any, ...]], R]:
    """``kind`` records from a tuple of all their fields in order, made in C.

    A named tuple's own constructor is a Python function; the engine makes a record per trade.
    """
    return partial(tuple.__new__, kind)


@njit(cache=True)
def quote_request(pool, side, amount, rx, ry, step):  # type: ignore[no-untyped-def]
    """A ``QUOTE`` request (amounts and reserves as floats; they travel as nanos)."""
    return (QUOTE, pool, side, nano(amount), np.uint64(0), nano(rx), nano(ry), step, 0.0)


@njit(cache=True)
def accepted(answer, side, rx, ry):  # type: ignore[no-untyped-def]
    """A quote's answer (nanos) as an output in tokens, 0 if it exceeds the reserve paid out."""
    out = np.float64(answer) / 1e9
    return out if out <= (rx if side == 0 else ry) else 0.0


@njit(cache=True)
def swap_request(pool, side, amount, out, rx, ry, step, flow):  # type: ignore[no-untyped-def]
    """An ``AFTER_SWAP`` request: the trade and the pool's reserves after it."""
    return (AFTER_SWAP, pool, side, nano(amount), nano(out), nano(rx), nano(ry), step, flow)

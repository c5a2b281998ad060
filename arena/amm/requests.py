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

:func:`serve` runs one generator to its end: the engine's only per-call Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, Final, TypeVar

import numpy as np

from arena.amm.host import HookCalls
from arena.amm.jit import njit
from arena.amm.kernels import nano
from arena.sandbox import GUEST_ERRORS, METER

__all__ = [
    "AFTER_SWAP",
    "QUOTE",
    "Request",
    "accepted",
    "quote_request",
    "record_builder",
    "serve",
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


def serve(
    requests: Iterator[Request],
    sim: int,
    pools: Sequence[HookCalls],
    answer: memoryview,
    record: SwapRecord,
) -> None:
    """Answer every request of simulation ``sim``'s generator until it finishes.

    This is the engine's only per-call Python, in one frame: a quote runs ``compute_swap``
    here and its output goes to ``answer[0]``; a trade goes to the pool's ``after_swap``.

    :param pools: the strategy code of each pool the engine may ask, in simulation ``sim``.
    :param answer: the generator's answer slot (``answer.data`` of its uint64 array: the
        memoryview stores a Python int without a numpy scalar, and refuses any other value).
    :param record: builds the ``after_swap`` record of a trade.
    """
    meter = METER
    for kind, pool, side, amount, output, reserve_x, reserve_y, step, flow in requests:
        calls = pools[pool]
        if kind != QUOTE:
            trade = record(sim, pool, side, amount, output, reserve_x, reserve_y, step, flow)
            calls.after_swap(trade, step)
            continue
        start = meter.count
        meter.limit = start + meter.budget
        try:
            value = calls.compute_swap(side, amount, reserve_x, reserve_y, calls.readonly)  # type: ignore[misc]
        except GUEST_ERRORS as error:
            calls.failed("compute_swap", step, error)
            value = 0
        calls.units += meter.count - start
        calls.calls += 1
        try:
            answer[0] = value
            if value is not True and value is not False:  # bools pass as ints
                continue
        except (TypeError, ValueError):
            pass
        answer[0] = 0
        calls.refused(value, step)

"""Strategy code hosted for the compiled engine: one pool's strategy in many simulations.

The engine runs each simulation as compiled code (:mod:`arena.amm.requests`); when it needs
strategy code it stops and hands over a request, which a :class:`StrategyHost` answers:

* a quote: the strategy's ``compute_swap`` on a read-only view of its storage. An exception
  or a value that is not an int in ``0 .. 2**64 - 1`` counts as an error and quotes 0;
* a trade to report: ``after_swap`` on writable storage; ``epoch_boundary`` likewise. If a
  hook raises, its storage is put back as it was before the call.

Every call gets a fresh work allowance (:mod:`arena.sandbox.budget`); the units it spent and
the calls are counted per simulation, and the first error of each simulation is kept with the
hook, step and line to blame.

Each simulation's storage is a row of one ``uint8`` array (:attr:`StrategyHost.memory`), so the
compiled engine reads a fee-slot pool's fees straight from its storage words.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from arena.amm.cpmm import FEE_SCALE
from arena.amm.nano import U64_MAX
from arena.sandbox import GUEST_ERRORS, METER, describe_error, guest_line
from arena.storage import FEE_SLOTS, STORAGE_SIZE, WAD, Storage

__all__ = ["ErrorLog", "PoolInstance", "StrategyHost"]

_WAD_PER_FEE_UNIT: Final = np.uint64(WAD // FEE_SCALE)
_BAD_RETURN: Final = "it must return an int in 0..2**64-1 (nanos)"


@dataclass
class PoolInstance:
    """A strategy bound for one simulation: its hooks and its storage."""

    storage: Storage
    compute_swap: Callable[..., Any] | None = None
    after_swap: Callable[..., Any] | None = None
    epoch_boundary: Callable[..., Any] | None = None


@dataclass
class ErrorLog:
    """Errors raised by strategy code, and the work its hook calls cost, per simulation.

    ``units[sim]`` and ``calls[sim]`` are the work units (see :mod:`arena.sandbox.budget`)
    and the number of hook calls the strategy spent in simulation ``sim`` (lists: the hot
    loop adds to them call by call, faster than to arrays).
    """

    size: int
    counts: npt.NDArray[np.int64] = field(init=False)
    first: list[str | None] = field(init=False)
    units: list[int] = field(init=False)
    calls: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros(self.size, dtype=np.int64)
        self.first = [None] * self.size
        self.units = [0] * self.size
        self.calls = [0] * self.size

    def record(self, sim: int, hook: str, step: int, error: BaseException | str) -> None:
        """Count an error; keep a description of the first one of this simulation.

        The description names the hook, the step and the strategy's line to blame.
        """
        self.counts[sim] += 1
        if self.first[sim] is None:
            if isinstance(error, str):
                text, line = error, None
            else:
                text, line = describe_error(error), guest_line(error)
            where = f"{hook} at step {step}" + (f", line {line}" if line is not None else "")
            self.first[sim] = f"{where}: {text}"


class StrategyHost:
    """One pool's strategy in ``S`` simulations.

    :param instances: the strategy bound once per simulation.
    :param memory: where the storages go, ``(S, 1024)`` uint8 (a row per simulation, e.g. a
        column of a larger array); a fresh array when omitted. The instances' storages move
        there, keeping their contents.
    """

    def __init__(
        self, instances: Sequence[PoolInstance], memory: npt.NDArray[np.uint8] | None = None
    ) -> None:
        self.size = len(instances)
        self.memory = np.zeros((self.size, STORAGE_SIZE), np.uint8) if memory is None else memory
        self.storages = [i.storage for i in instances]
        for storage, row in zip(self.storages, self.memory, strict=True):
            storage.move_to(row.data)
        self._readonly = [s.readonly() for s in self.storages]
        self._compute_swap = [i.compute_swap for i in instances]
        self._after_swap = [i.after_swap for i in instances]
        self._epoch_boundary = [i.epoch_boundary for i in instances]
        #: Whether the pool is quoted by strategy code (else: constant product, fees in slots).
        self.scripted = any(h is not None for h in self._compute_swap)
        self.has_after_swap = any(h is not None for h in self._after_swap)
        self.has_epoch_boundary = any(h is not None for h in self._epoch_boundary)
        self.errors = ErrorLog(self.size)

    @property
    def calls(self) -> int:
        """Hook calls so far, in all simulations."""
        return sum(self.errors.calls)

    def fee_units(self) -> npt.NDArray[np.uint64]:
        """Each simulation's fees from storage slots 0 and 1, in 1e-9 units: shape (S, 2).

        Slots hold WAD fractions (1e18 = 100%); they are truncated to 1e-9 and capped at 100%.
        """
        words = self.memory.view(np.uint64)[:, : len(FEE_SLOTS)]
        return np.minimum(words // _WAD_PER_FEE_UNIT, np.uint64(FEE_SCALE))

    def quote(
        self, sim: int, side: int, amount: int, reserve_x: int, reserve_y: int, step: int
    ) -> int:
        """``compute_swap`` of simulation ``sim``: the output in nanos, 0 on any error."""
        meter = METER
        start = meter.count
        meter.limit = start + meter.budget
        errors = self.errors
        try:
            value = self._compute_swap[sim](side, amount, reserve_x, reserve_y, self._readonly[sim])  # type: ignore[misc]
        except GUEST_ERRORS as error:
            errors.record(sim, "compute_swap", step, error)
            value = 0
        errors.units[sim] += meter.count - start
        errors.calls[sim] += 1
        if type(value) is int and 0 <= value <= U64_MAX:
            return value
        errors.record(sim, "compute_swap", step, f"returned {reprlib.repr(value)}; {_BAD_RETURN}")
        return 0

    def after_swap(self, sim: int, record: object, step: int) -> None:
        """Report a trade to simulation ``sim``'s ``after_swap`` (if the strategy has one)."""
        hook = self._after_swap[sim]
        if hook is not None:
            self._run(sim, hook, record, "after_swap", step)

    def epoch_boundary(self, sim: int, record: object, step: int) -> None:
        """Run simulation ``sim``'s ``epoch_boundary`` (if the strategy has one)."""
        hook = self._epoch_boundary[sim]
        if hook is not None:
            self._run(sim, hook, record, "epoch_boundary", step)

    def _run(
        self, sim: int, hook: Callable[..., Any], record: object, name: str, step: int
    ) -> None:
        storage, errors, meter = self.storages[sim], self.errors, METER
        before = storage.to_bytes()
        start = meter.count
        meter.limit = start + meter.budget
        try:
            hook(record, storage)
        except GUEST_ERRORS as error:
            storage.restore(before)
            errors.record(sim, name, step, error)
        errors.units[sim] += meter.count - start
        errors.calls[sim] += 1

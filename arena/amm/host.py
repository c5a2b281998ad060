"""Strategy code hosted for the compiled engine: one pool's strategy in many simulations.

The engine runs each simulation as compiled code; when it needs strategy code it stops and hands
over a request, which :func:`arena.amm.requests.serve` answers with the pool's strategy in that
simulation (a :class:`HookCalls` of its :class:`StrategyHost`):

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
from functools import partial
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from arena.amm.cpmm import FEE_SCALE
from arena.sandbox import GUEST_ERRORS, METER, describe_error, guest_line
from arena.storage import FEE_SLOTS, STORAGE_SIZE, WAD, Storage

__all__ = ["ErrorLog", "HookCalls", "PoolInstance", "StrategyHost"]

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
    """Errors raised by strategy code, per simulation."""

    size: int
    counts: npt.NDArray[np.int64] = field(init=False)
    first: list[str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros(self.size, dtype=np.int64)
        self.first = [None] * self.size

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


class HookCalls:
    """One pool's strategy code in one simulation, as :func:`arena.amm.requests.serve` calls it.

    It keeps what a call needs in slots, and counts the simulation's work units and calls
    (:attr:`units`, :attr:`calls`).
    """

    __slots__ = (
        "_backup", "_bytes", "_errors", "_sim", "_storage", "after_swap", "calls",
        "compute_swap", "epoch_boundary", "readonly", "units",
    )  # fmt: skip

    def __init__(
        self,
        instance: PoolInstance,
        sim: int,
        errors: ErrorLog,
        row: memoryview,
        backup: memoryview,
    ) -> None:
        """
        :param row: the bytes of the instance's storage; ``backup``: where a hook's run keeps
            them until it returns (calls never overlap, so one buffer serves a whole host).
        """
        self.compute_swap = instance.compute_swap
        self.readonly = instance.storage.readonly()
        self._storage = instance.storage
        self._bytes = row
        self._backup = backup
        self._sim = sim
        self._errors = errors
        #: ``after_swap(record, step)``: report a trade (nothing if the strategy has no hook).
        self.after_swap = self._runner(instance.after_swap, "after_swap")
        #: ``epoch_boundary(record, step)``: likewise at the end of an epoch.
        self.epoch_boundary = self._runner(instance.epoch_boundary, "epoch_boundary")
        self.units = 0
        self.calls = 0

    def failed(self, hook: str, step: int, error: BaseException) -> None:
        """Log an error raised by a hook (see :meth:`ErrorLog.record`)."""
        self._errors.record(self._sim, hook, step, error)

    def refused(self, value: object, step: int) -> None:
        """Log a ``compute_swap`` result that is not an int in ``0 .. 2**64 - 1``."""
        self._errors.record(
            self._sim, "compute_swap", step, f"returned {reprlib.repr(value)}; {_BAD_RETURN}"
        )

    def _runner(self, hook: Callable[..., Any] | None, name: str) -> Callable[[object, int], None]:
        if hook is None:
            return _ignore
        return partial(self._run, hook, name)  # called in C: no frame of its own

    def _run(self, hook: Callable[..., Any], name: str, record: object, step: int) -> None:
        """Run a hook on writable storage, putting the storage back if it raises."""
        meter = METER
        self._backup[:] = self._bytes  # a copy, no allocation
        start = meter.count
        meter.limit = start + meter.budget
        try:
            hook(record, self._storage)
        except GUEST_ERRORS as error:
            self._bytes[:] = self._backup
            self.failed(name, step, error)
        self.units += meter.count - start
        self.calls += 1


def _ignore(record: object, step: int) -> None:
    """The hook of a strategy that has none."""


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
        rows = [row.data for row in self.memory]
        for instance, row in zip(instances, rows, strict=True):
            instance.storage.move_to(row)
        #: Whether the pool is quoted by strategy code (else: constant product, fees in slots).
        self.scripted = any(i.compute_swap is not None for i in instances)
        self.has_after_swap = any(i.after_swap is not None for i in instances)
        self.has_epoch_boundary = any(i.epoch_boundary is not None for i in instances)
        self.errors = ErrorLog(self.size)
        backup = memoryview(bytearray(STORAGE_SIZE))
        #: The strategy's calls in each simulation.
        self.simulations = [
            HookCalls(instance, sim, self.errors, row, backup)
            for sim, (instance, row) in enumerate(zip(instances, rows, strict=True))
        ]

    def units(self) -> npt.NDArray[np.int64]:
        """Work units spent in each simulation (see :mod:`arena.sandbox.budget`)."""
        return np.array([s.units for s in self.simulations], dtype=np.int64)

    def calls(self) -> npt.NDArray[np.int64]:
        """Hook calls made in each simulation."""
        return np.array([s.calls for s in self.simulations], dtype=np.int64)

    def fee_units(self) -> npt.NDArray[np.uint64]:
        """Each simulation's fees from storage slots 0 and 1, in 1e-9 units: shape (S, 2).

        Slots hold WAD fractions (1e18 = 100%); they are truncated to 1e-9 and capped at 100%.
        """
        words = self.memory.view(np.uint64)[:, : len(FEE_SLOTS)]
        return np.minimum(words // _WAD_PER_FEE_UNIT, np.uint64(FEE_SCALE))

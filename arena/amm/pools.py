"""One pool slot across a batch of simulations run in lock-step.

A :class:`PoolBatch` holds, for each of ``S`` simulations, the pool's float reserves, its
strategy storage and its bound hooks, and implements the reference engine's quote and execute
semantics over arrays:

* a quote converts input and reserves to nanos, asks the pool, and treats an output that is
  not positive or exceeds the reserve paid out as 0 (no trade);
* an execution re-quotes, refuses an output equal to the reserve, moves the reserves by the
  *float* input and the quoted output, then runs ``after_swap``.

Two kinds of pools differ only in how they quote: :class:`ClosedFormPools` (constant product
with the fees in storage slots 0 and 1, priced with exact integer math for all simulations
at once) and :class:`ScriptedPools` (the strategy's ``compute_swap``, called per simulation).

Error policy, the same everywhere: an exception in ``compute_swap`` makes that quote 0; an
exception in ``after_swap`` or ``epoch_boundary`` leaves storage as it was before the call.
Every error is counted per simulation and the first one is kept with where it happened.
"""

from __future__ import annotations

import itertools
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from arena.amm.cpmm import FEE_SCALE
from arena.amm.kernels import quote_batch
from arena.amm.nano import U64_MAX, from_nano, to_nano
from arena.payloads import AfterSwap, EpochBoundary
from arena.sandbox import GUEST_ERRORS, METER, describe_error, guest_line
from arena.storage import WAD, Storage

__all__ = ["ClosedFormPools", "ErrorLog", "PoolBatch", "PoolInstance", "ScriptedPools"]

MIN_RESERVE: Final = 1e-12
_WAD_PER_FEE_UNIT: Final = np.uint64(WAD // FEE_SCALE)
_FEE_SCALE_U64: Final = np.uint64(FEE_SCALE)

FloatArray = npt.NDArray[np.float64]
UIntArray = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]
PayloadFactory = Callable[[int, int, int, int, int, int], AfterSwap]
#: One side for every simulation, or one per simulation (0: Y in, X out; 1: X in, Y out).
Side = int | npt.NDArray[np.int64]


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
    and the number of hook calls the strategy spent in simulation ``sim`` (``units`` is a
    list: the hot loop adds to it call by call, faster than to an array).
    """

    size: int
    counts: npt.NDArray[np.int64] = field(init=False)
    first: list[str | None] = field(init=False)
    units: list[int] = field(init=False)
    calls: npt.NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros(self.size, dtype=np.int64)
        self.first = [None] * self.size
        self.units = [0] * self.size
        self.calls = np.zeros(self.size, dtype=np.int64)

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


class PoolBatch:
    """Reserves, storage and hooks of one pool in ``S`` simulations.

    :param instances: the strategy bound once per simulation.
    :param reserve_x: initial X reserves (floats, token units).
    :param reserve_y: initial Y reserves.
    """

    def __init__(
        self, instances: Sequence[PoolInstance], reserve_x: FloatArray, reserve_y: FloatArray
    ) -> None:
        self.instances = list(instances)
        self.size = len(self.instances)
        self.reserve_x = np.array(reserve_x, dtype=np.float64)
        self.reserve_y = np.array(reserve_y, dtype=np.float64)
        self.errors = ErrorLog(self.size)
        self.step = 0
        self.calls = 0
        self._after_swap = [i.after_swap for i in self.instances]
        self._epoch_boundary = [i.epoch_boundary for i in self.instances]
        self._hooked = np.array([h is not None for h in self._after_swap], dtype=bool)
        self.has_after_swap = bool(self._hooked.any())
        self.has_epoch_boundary = any(h is not None for h in self._epoch_boundary)
        self.has_hooks = self.has_after_swap or self.has_epoch_boundary

    # -- quoting -----------------------------------------------------------------------------

    def quote(self, side: Side, amount: FloatArray, active: BoolArray | None = None) -> FloatArray:
        """``quote_buy_x`` (side 0, ``amount`` in Y) or ``quote_sell_x`` (side 1, in X).

        ``side`` is one side for all simulations or one per simulation. Simulations outside
        ``active`` get 0 without calling the pool.
        """
        raise NotImplementedError

    # -- executing ---------------------------------------------------------------------------

    def execute(
        self, side: Side, amount: FloatArray, active: BoolArray, payload: PayloadFactory | None
    ) -> FloatArray:
        """Execute trades of ``amount`` where ``active``; returns outputs (0 = not executed).

        ``payload(sim, side, input, output, reserve_x, reserve_y)`` builds the AfterSwap
        record (nanos) for the ruleset, and ``after_swap`` runs right away; with ``None`` the
        caller runs it later with :meth:`after_swap`.
        """
        out = self.quote(side, amount, active)
        rx, ry = self.reserve_x, self.reserve_y
        buys = side == 0  # the trader pays Y and takes X
        new_rx = np.where(buys, rx - out, rx + amount)
        new_ry = np.where(buys, ry + amount, ry - out)
        ok = active & (out > 0.0) & (out < np.where(buys, rx, ry))
        with np.errstate(invalid="ignore"):
            ok &= (new_rx > MIN_RESERVE) & (new_ry > MIN_RESERVE)
        ok &= np.isfinite(new_rx) & np.isfinite(new_ry)
        out = np.where(ok, out, 0.0)
        rx[ok] = new_rx[ok]
        ry[ok] = new_ry[ok]
        if payload is not None:
            self.after_swap(side, amount, out, ok, payload)
        return out

    def after_swap(
        self,
        side: Side,
        amount: FloatArray,
        out: FloatArray,
        traded: BoolArray,
        payload: PayloadFactory,
    ) -> None:
        """Run ``after_swap`` for the trades in ``traded`` (reserves are the current ones)."""
        if not self.has_after_swap:
            return
        sims = np.flatnonzero(traded & self._hooked)
        if sims.size == 0:
            return
        inputs = to_nano(amount[sims]).tolist()
        outputs = to_nano(out[sims]).tolist()
        rxs = to_nano(self.reserve_x[sims]).tolist()
        rys = to_nano(self.reserve_y[sims]).tolist()
        sides = [side] * sims.size if isinstance(side, int) else side[sims].tolist()
        hooks = self._after_swap
        for k, sim in enumerate(sims.tolist()):
            hook = hooks[sim]
            assert hook is not None  # sims are the hooked entries
            record = payload(sim, sides[k], inputs[k], outputs[k], rxs[k], rys[k])
            self._run_hook(sim, hook, record, "after_swap")
        self.errors.calls[sims] += 1
        self._storage_changed(sims)

    def epoch_boundary(self, sim: int, record: EpochBoundary) -> None:
        """Run the ``epoch_boundary`` hook of simulation ``sim`` (if the strategy has one)."""
        hook = self._epoch_boundary[sim]
        if hook is not None:
            self._run_hook(sim, hook, record, "epoch_boundary")
            self.errors.calls[sim] += 1
            self._storage_changed(np.array([sim]))

    def _run_hook(self, sim: int, hook: Callable[..., Any], record: object, name: str) -> None:
        """Call a hook on writable storage; restore the storage if it raises.

        Callers count the call and tell :meth:`_storage_changed` (once per batch of hooks).
        """
        storage = self.instances[sim].storage
        before = storage.to_bytes()
        start = METER.start()
        try:
            hook(record, storage)
        except GUEST_ERRORS as error:
            storage.restore(before)
            self.errors.record(sim, name, self.step, error)
        self.errors.units[sim] += METER.count - start

    def _storage_changed(self, sims: npt.NDArray[np.intp]) -> None:
        """Hook for subclasses that cache values read from storage."""

    def spot(self) -> FloatArray:
        """Spot prices ``reserve_y / reserve_x`` (NaN where the pool is empty)."""
        live = self.reserve_x > MIN_RESERVE
        return np.divide(self.reserve_y, self.reserve_x, out=np.full(self.size, np.nan), where=live)


class ClosedFormPools(PoolBatch):
    """Constant-product pools whose fees live in storage slots 0 and 1 (WAD).

    Fees are re-read only after a hook ran, so a pool without hooks costs nothing per call.
    """

    def __init__(
        self, instances: Sequence[PoolInstance], reserve_x: FloatArray, reserve_y: FloatArray
    ) -> None:
        super().__init__(instances, reserve_x, reserve_y)
        self.fees = np.zeros((2, self.size), dtype=np.uint64)
        self._storage_changed(np.arange(self.size))

    def _storage_changed(self, sims: npt.NDArray[np.intp]) -> None:
        instances = self.instances
        words = np.array(
            [instances[sim].storage.fee_words() for sim in sims.tolist()], dtype=np.uint64
        )
        self.fees[:, sims] = np.minimum(words // _WAD_PER_FEE_UNIT, _FEE_SCALE_U64).T

    def fee_fraction(self, side: int) -> FloatArray:
        """Current fee on ``side`` as a fraction (0.003 = 30 bps)."""
        return self.fees[side] / FEE_SCALE

    def quote(self, side: Side, amount: FloatArray, active: BoolArray | None = None) -> FloatArray:
        """As :meth:`PoolBatch.quote`, in one compiled pass (the pricing is known)."""
        # Contiguous arrays of fixed types: one compiled specialisation, cached ahead of workers.
        sides = np.full(self.size, side, dtype=np.int64) if isinstance(side, int) else side
        mask = np.ones(self.size, dtype=np.bool_) if active is None else active
        out = np.empty(self.size)
        quote_batch(
            np.ascontiguousarray(sides, dtype=np.int64),
            np.ascontiguousarray(amount, dtype=np.float64),
            self.reserve_x,
            self.reserve_y,
            self.fees,
            np.ascontiguousarray(mask, dtype=np.bool_),
            out,
        )
        return out


class ScriptedPools(PoolBatch):
    """Pools quoted by the strategy's ``compute_swap``, one Python call per simulation."""

    def __init__(
        self, instances: Sequence[PoolInstance], reserve_x: FloatArray, reserve_y: FloatArray
    ) -> None:
        super().__init__(instances, reserve_x, reserve_y)
        self._compute = [i.compute_swap for i in self.instances]
        self._readonly = [i.storage.readonly() for i in self.instances]

    def quote(self, side: Side, amount: FloatArray, active: BoolArray | None = None) -> FloatArray:
        """As :meth:`PoolBatch.quote`: validity checks and nanos here, one call per simulation."""
        rx, ry = self.reserve_x, self.reserve_y
        ok = (amount > 0.0) & np.isfinite(amount)
        ok &= (rx > MIN_RESERVE) & (ry > MIN_RESERVE) & np.isfinite(rx) & np.isfinite(ry)
        if active is not None:
            ok &= active
        sims = np.flatnonzero(ok)
        out = np.zeros(self.size)
        if sims.size == 0:
            return out
        full = sims.size == self.size
        sides = side if isinstance(side, int) or full else side[sims]
        nano_out = self._quote_nano(
            sides,
            to_nano(amount if full else amount[sims]),
            to_nano(rx if full else rx[sims]),
            to_nano(ry if full else ry[sims]),
            sims,
        )
        quoted = from_nano(nano_out)
        limit = np.where(sides == 0, rx[sims], ry[sims])
        quoted[~(quoted <= limit)] = 0.0  # also NaN
        out[sims] = quoted
        return out

    def _quote_nano(
        self,
        side: Side,
        amount: UIntArray,
        rx: UIntArray,
        ry: UIntArray,
        sims: npt.NDArray[np.intp],
    ) -> UIntArray:
        compute, readonly = self._compute, self._readonly
        sides = itertools.repeat(side) if isinstance(side, int) else side.tolist()
        self.calls += sims.size
        # The work budget, inlined (Meter.start): each call gets a fresh allowance.
        meter, budget, units = METER, METER.budget, self.errors.units
        self.errors.calls[sims] += 1
        values: list[int] = []
        keep = values.append
        # ``sides`` may repeat one side without end: the other lists set the length.
        columns = (sims.tolist(), sides, amount.tolist(), rx.tolist(), ry.tolist())
        for sim, s, a, x, y in zip(*columns, strict=False):
            start = meter.count
            meter.limit = start + budget
            try:
                value = compute[sim](s, a, x, y, readonly[sim])
            except GUEST_ERRORS as error:
                self.errors.record(sim, "compute_swap", self.step, error)
                value = 0
            units[sim] += meter.count - start
            if type(value) is not int or not 0 <= value <= U64_MAX:
                self.errors.record(
                    sim,
                    "compute_swap",
                    self.step,
                    f"returned {reprlib.repr(value)}; it must return an int in 0..2**64-1 (nanos)",
                )
                value = 0
            keep(value)
        return np.array(values, dtype=np.uint64)

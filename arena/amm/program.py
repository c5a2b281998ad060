"""AMM strategies inside a worker: compiled once, bound afresh for every simulation."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from arena.amm.host import PoolInstance, StrategyHost
from arena.errors import StrategyLoadError
from arena.plugins import HookBinding, StrategySource, validate_hooks
from arena.sandbox import compile_strategy
from arena.storage import FEE_SLOTS, WAD, Storage

__all__ = ["StrategyProgram", "check_fee_constant", "fee_wads"]

FEE_CONSTANT = "FEE_BPS"
_WAD_PER_BPS = Decimal(WAD) / 10_000


def fee_wads(value: Any, origin: str) -> tuple[int, int] | None:
    """The WAD fees for slots 0 and 1 given by a ``FEE_BPS`` constant (``None`` if absent).

    ``FEE_BPS`` is a number of basis points for both sides, or a pair ``(side 0, side 1)``.

    :raises StrategyLoadError: for anything else, or a fee outside 0..10000 bps.
    """
    if value is None:
        return None
    pair = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(pair) != 2:
        raise StrategyLoadError(
            f"{FEE_CONSTANT} must be a number of basis points or a pair (side 0, side 1)", origin
        )
    wads = []
    for bps in pair:
        try:
            if isinstance(bps, bool):
                raise InvalidOperation
            exact = Decimal(repr(bps)) if isinstance(bps, float) else Decimal(bps)
        except (InvalidOperation, TypeError, ValueError):
            raise StrategyLoadError(
                f"{FEE_CONSTANT} must hold numbers of basis points, not {bps!r}", origin
            ) from None
        if not 0 <= exact <= 10_000:
            raise StrategyLoadError(
                f"{FEE_CONSTANT} must be between 0 and 10000 basis points, not {bps}", origin
            )
        wads.append(int(exact * _WAD_PER_BPS))
    return wads[0], wads[1]


def check_fee_constant(source: StrategySource) -> None:
    """Validate a loaded strategy's ``FEE_BPS`` (raises :class:`StrategyLoadError`)."""
    fee_wads(source.constant(FEE_CONSTANT), source.origin)


class StrategyProgram:
    """A strategy compiled in a worker.

    :param source: the statically checked strategy file.
    """

    def __init__(self, source: StrategySource) -> None:
        self.source = source
        self.compiled = compile_strategy(source.source, source.origin)
        self.initial_fees = fee_wads(source.constant(FEE_CONSTANT), source.origin)
        self._binding: HookBinding | None = None

    def instance(self) -> PoolInstance:
        """Run the module body in a fresh namespace and bind its hooks for one simulation."""
        namespace = self.compiled.instantiate(owner=self.source.label)
        if self._binding is None:  # pluggy validates the real functions once
            self._binding = validate_hooks(namespace, self.source.origin)
        hooks = self._binding.bind(namespace)
        storage = Storage()
        if self.initial_fees is not None:
            for slot, wad in zip(FEE_SLOTS, self.initial_fees, strict=True):
                storage.u64[slot] = wad
        return PoolInstance(storage=storage, **hooks)

    def host(self, count: int, memory: npt.NDArray[np.uint8] | None = None) -> StrategyHost:
        """This strategy in ``count`` simulations (storages in ``memory``, see
        :class:`~arena.amm.host.StrategyHost`)."""
        return StrategyHost([self.instance() for _ in range(count)], memory)

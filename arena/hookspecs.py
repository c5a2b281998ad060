"""The hooks of arena, one documented specification each.

Two families, kept in two plugin managers (see :mod:`arena.plugins`):

* :class:`StrategyHooks` are what a strategy file of the AMM market defines. They are plain
  module-level functions (no decorator, no import); pluggy checks their names and argument
  names, and the engine then calls them directly.
* :class:`ExtensionHooks` are for trusted, installed packages that add markets (entry-point
  group ``arena``), in the register-callback style of simonw/llm.

Every argument name of a spec is part of the contract: an implementation may take fewer
arguments than its spec, never other ones, and never arguments with default values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from arena.payloads import AfterSwap, EpochBoundary
    from arena.storage import Storage

__all__ = ["PROJECT", "ExtensionHooks", "StrategyHooks", "hookimpl", "hookspec"]

PROJECT = "arena"

_F = TypeVar("_F", bound=Callable[..., Any])
_spec = pluggy.HookspecMarker(PROJECT)
_impl = pluggy.HookimplMarker(PROJECT)


def hookspec(function: _F) -> _F:
    """Mark a hook specification (typed wrapper so mypy keeps the signature)."""
    return _spec(function)


def hookimpl(function: _F) -> _F:
    """Mark a hook implementation in a trusted extension package."""
    return _impl(function)


class StrategyHooks:
    """Hooks of an AMM strategy file. Only ``compute_swap`` is ever called while quoting."""

    @_spec(firstresult=True)
    def compute_swap(
        self, side: int, input_amount: int, reserve_x: int, reserve_y: int, storage: Storage
    ) -> int:
        """Quote a trade: the output amount this pool gives for ``input_amount``.

        All amounts are integers at 1e9 scale. ``side`` 0: the trader pays Y and receives X;
        1: the trader pays X and receives Y. Must be pure: ``storage`` is read-only here and
        the engine calls this many times per step to search for trade sizes. Return 0 to
        refuse the trade. Without this hook the pool is constant-product with the fees in
        storage slots 0 and 1. Stops at the first non-None result.
        """
        raise NotImplementedError

    @_spec
    def after_swap(self, payload: AfterSwap, storage: Storage) -> None:
        """React to a trade that executed on this pool; ``storage`` is writable.

        If the hook raises, storage is left as it was before the call.
        """

    @_spec
    def epoch_boundary(self, payload: EpochBoundary, storage: Storage) -> None:
        """React to the end of an epoch, after capital was reallocated; ``storage`` is writable.

        If the hook raises, storage is left as it was before the call.
        """


class ExtensionHooks:
    """Hooks of trusted extension packages."""

    @_spec
    def arena_register_markets(self, register: Callable[[Any], None]) -> None:
        """Add markets: call ``register(market)`` once for each :class:`arena.market.Market`."""

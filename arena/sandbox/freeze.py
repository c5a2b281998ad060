"""Freezing a strategy's module globals once its module body has run.

``compute_swap`` must be pure and a strategy's only memory is its 1024 bytes of storage. Fresh
globals per simulation stop state leaking *between* simulations; freezing stops it leaking
between *calls*: lists become tuples, dicts read-only mappings, sets frozensets — also inside
other containers, in functions' default values and in the variables their closures captured.
Objects that carry state and cannot be frozen (generators, iterators, bound methods of a list)
are refused with a plain message. ``global`` and ``nonlocal`` do not compile, so no function
can rebind a global or a captured variable afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from types import FunctionType, MappingProxyType
from typing import Any, Final

__all__ = ["FreezeError", "freeze_globals"]

_IMMUTABLE: Final = frozenset(
    {type(None), bool, int, float, complex, str, bytes, range, slice, type(Ellipsis)}
)


class FreezeError(Exception):
    """A module global holds something that cannot be made read-only.

    :param name: the global it was found under.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def freeze_globals(
    namespace: MutableMapping[str, Any],
    is_guest_code: Callable[[FunctionType], bool],
    provided: frozenset[int],
) -> None:
    """Replace every global the strategy defined by a frozen copy, in place.

    :param is_guest_code: tells the strategy's own functions from anything else.
    :param provided: identities of the objects arena provides (left as they are).
    :raises FreezeError: for a global that holds state which cannot be frozen.
    """
    freezer = _Freezer(is_guest_code, provided)
    for name in [n for n in namespace if not n.startswith("_")]:
        freezer.name = name
        namespace[name] = freezer.freeze(namespace[name])


class _Freezer:
    """Frozen copies of values, each made once (shared and self-referring values stay so)."""

    def __init__(
        self, is_guest_code: Callable[[FunctionType], bool], provided: frozenset[int]
    ) -> None:
        self.is_guest_code = is_guest_code
        self.provided = provided
        self.name = ""
        # id -> (original, frozen copy); holding the original keeps its id from being reused
        self.done: dict[int, tuple[Any, Any]] = {}
        self.in_progress: set[int] = set()

    def freeze(self, value: Any) -> Any:
        kind = type(value)
        if kind in _IMMUTABLE or id(value) in self.provided:
            return value
        key = id(value)
        if key in self.done:
            return self.done[key][1]
        if key in self.in_progress:
            raise FreezeError(self.name, f"{self.name} contains itself and cannot be frozen")
        self.in_progress.add(key)
        frozen = self._freeze_new(value)
        self.in_progress.discard(key)
        self.done[key] = (value, frozen)
        return frozen

    def _freeze_new(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(self.freeze(item) for item in value)
        if isinstance(value, dict | MappingProxyType):
            return MappingProxyType({k: self.freeze(v) for k, v in value.items()})
        if isinstance(value, set | frozenset):
            return frozenset(self.freeze(item) for item in value)
        if isinstance(value, FunctionType) and self.is_guest_code(value):
            self.done[id(value)] = (value, value)  # it may refer to itself through a closure
            self._freeze_function(value)
            return value
        raise FreezeError(
            self.name,
            f"{self.name} holds a value of type {type(value).__name__}, which keeps state "
            "between calls; module globals may hold numbers, strings, lists, tuples, dicts, "
            "sets and functions (they become read-only once the module has run)",
        )

    def _freeze_function(self, function: FunctionType) -> None:
        if function.__defaults__:
            function.__defaults__ = tuple(self.freeze(v) for v in function.__defaults__)
        if function.__kwdefaults__:
            defaults = function.__kwdefaults__.items()
            function.__kwdefaults__ = {k: self.freeze(v) for k, v in defaults}
        for cell in function.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # not assigned yet
                continue
            cell.cell_contents = self.freeze(contents)

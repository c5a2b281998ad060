"""The names a strategy can use without importing anything.

Builtins that walk an iterable in C (``sum``, ``min``, ``sorted``, ``list`` …) would bypass the
per-item ticks of loops, so they are wrapped: a sized argument is paid for up front, one unit per
item, and anything else is walked through a counting generator. ``math`` is a frozen namespace
of plain functions, never the module (a module leads to its loader, its file and ``sys``).

Builtins that give strategies no capability they need and some they must not have are left out,
and :data:`UNAVAILABLE` says why in plain words; the compiler rejects their names outright.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from types import MappingProxyType
from typing import Any, Final, TypeVar

from arena.sandbox.arith import guarded_pow
from arena.sandbox.budget import METER, tick
from arena.storage import Slots

__all__ = [
    "MATH",
    "PROVIDED",
    "PROVIDED_IDS",
    "UNAVAILABLE",
    "FrozenNamespace",
    "metered",
]

T = TypeVar("T")

_SIZED: Final = frozenset(
    {list, tuple, dict, set, frozenset, str, bytes, range, MappingProxyType, Slots}
    | {type({}.keys()), type({}.values()), type({}.items())}
)


class FrozenNamespace:
    """A read-only bag of provided functions and constants, such as ``math``.

    The members are plain instance attributes, so reading one is a C-level lookup.

    :param name: what strategy code calls it.
    :param members: its attributes (the attribute guard lets strategy code read these only).
    """

    def __init__(self, name: str, members: dict[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "names", frozenset(members))
        for member, value in members.items():
            object.__setattr__(self, member, value)

    def __getattr__(self, attribute: str) -> Any:  # only called for what is not a member
        raise AttributeError(f"{self._name}.{attribute} is not available")

    def __setattr__(self, attribute: str, value: object) -> None:
        raise AttributeError(f"{self._name} is read-only")

    def __repr__(self) -> str:
        return str(self._name)


MATH: Final = FrozenNamespace(
    "math",
    {
        name: getattr(math, name)
        for name in (
            "sqrt",
            "isqrt",
            "exp",
            "expm1",
            "log",
            "log1p",
            "log2",
            "log10",
            "pow",
            "floor",
            "ceil",
            "trunc",
            "fabs",
            "copysign",
            "fmod",
            "hypot",
            "gcd",
            "lcm",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "atan2",
            "sinh",
            "cosh",
            "tanh",
            "erf",
            "erfc",
            "isfinite",
            "isinf",
            "isnan",
            "isclose",
            "ldexp",
            "frexp",
            "pi",
            "e",
            "inf",
            "nan",
            "tau",
        )
    },
)


def metered(iterable: Iterable[T]) -> Iterable[T]:
    """``iterable``, paid for: sized containers up front, anything else item by item."""
    if type(iterable) in _SIZED:
        try:
            size = len(iterable)  # type: ignore[arg-type]
        except OverflowError:  # a range longer than any machine could walk
            size = METER.limit + 1
        METER.charge(size, f"walking {size:,} items")
        return iterable
    return _counted(iterable)


def _counted(iterable: Iterable[T]) -> Iterator[T]:
    for item in iterable:
        tick(1)
        yield item


def _walks_first(function: Callable[..., T]) -> Callable[..., T]:
    """Wrap a builtin whose first argument, if any, is an iterable it walks (``sum``, ``list``)."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        if args:
            return function(metered(args[0]), *args[1:], **kwargs)
        return function(**kwargs)

    wrapper.__name__ = wrapper.__qualname__ = function.__name__
    return wrapper


def _walks_single(function: Callable[..., T]) -> Callable[..., T]:
    """Wrap ``min``/``max``: they walk their argument only when given exactly one."""

    def wrapper(*args: Any, **kwargs: Any) -> T:
        if len(args) == 1:
            return function(metered(args[0]), **kwargs)
        return function(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = function.__name__
    return wrapper


_CONTAINER_TYPES: Final = (list, tuple, dict, set, frozenset)
_CONTAINERS: Final = {t: _walks_first(t) for t in _CONTAINER_TYPES}
#: The wrapper standing for each container type, mapped back to the type for ``isinstance``.
_TYPE_OF_WRAPPER: Final[dict[Any, type]] = {w: kind for kind, w in _CONTAINERS.items()}


def _isinstance(value: object, kinds: Any) -> bool:
    """``isinstance`` that accepts the wrapped ``list``, ``dict`` … as the types they stand for."""
    real: Any = (
        tuple(_TYPE_OF_WRAPPER.get(k, k) for k in kinds)
        if type(kinds) is tuple
        else _TYPE_OF_WRAPPER.get(kinds, kinds)
    )
    return isinstance(value, real)


_EXCEPTIONS: Final = (
    ArithmeticError,
    AssertionError,
    Exception,
    IndexError,
    KeyError,
    LookupError,
    NotImplementedError,
    OverflowError,
    RecursionError,
    RuntimeError,
    TypeError,
    ValueError,
    ZeroDivisionError,
)

#: What a strategy's ``__builtins__`` holds (``math`` included: strategies never import it).
PROVIDED: Final[MappingProxyType[str, Any]] = MappingProxyType(
    {
        "math": MATH,
        **{
            f.__name__: f
            for f in (
                abs,
                bool,
                divmod,
                float,
                int,
                len,
                range,
                repr,
                round,
                str,
                chr,
                ord,
                enumerate,
                zip,
                reversed,
                slice,
            )
        },
        **{t.__name__: wrapper for t, wrapper in _CONTAINERS.items()},
        **{f.__name__: _walks_first(f) for f in (sum, any, all, sorted)},
        **{f.__name__: _walks_single(f) for f in (min, max)},
        "isinstance": _isinstance,
        "pow": guarded_pow,
        **{e.__name__: e for e in _EXCEPTIONS},
    }
)
#: Identities of every provided object (module globals may hold these and stay frozen).
PROVIDED_IDS: Final = frozenset(id(v) for v in PROVIDED.values())

_NO_CODE = "strategies cannot run code given as text"
_NO_FILES = "strategies cannot read or write files"
_NO_INTROSPECTION = "strategies cannot inspect objects or namespaces; use the names you defined"
#: Builtins that are refused by name, with the reason shown to the author.
UNAVAILABLE: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "eval": _NO_CODE,
        "exec": _NO_CODE,
        "compile": _NO_CODE,
        "open": _NO_FILES,
        "input": "strategies cannot read input",
        "getattr": _NO_INTROSPECTION + " (write obj.name)",
        "setattr": "strategies cannot set attributes; keep state in storage",
        "delattr": "strategies cannot delete attributes",
        "hasattr": _NO_INTROSPECTION,
        "vars": _NO_INTROSPECTION,
        "dir": _NO_INTROSPECTION,
        "globals": _NO_INTROSPECTION,
        "locals": _NO_INTROSPECTION,
        "type": _NO_INTROSPECTION + " (use isinstance(x, int))",
        "object": "strategies cannot define classes or objects",
        **dict.fromkeys(
            ("super", "classmethod", "staticmethod", "property"), "strategies cannot define classes"
        ),
        "id": "object addresses differ from run to run",
        "hash": "hashes differ from run to run",
        "iter": "iterate with for loops and comprehensions",
        "next": "iterate with for loops and comprehensions",
        "memoryview": "use storage.u64/i64/f64 to read storage",
        "bytearray": "use storage for bytes that change",
        "breakpoint": "debug with print() or the sequential executor",
        "help": "see the README",
        "exit": "return from the hook instead",
        "quit": "return from the hook instead",
        "BaseException": "catch Exception (or a narrower error) instead",
        "KeyboardInterrupt": "catch Exception (or a narrower error) instead",
        "SystemExit": "catch Exception (or a narrower error) instead",
        "GeneratorExit": "catch Exception (or a narrower error) instead",
    }
)

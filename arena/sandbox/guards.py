"""The guard functions restricted code calls for attribute, item, iteration and write access.

Attribute access works from an allowlist per exact type (the record fields and storage views in
:data:`UNGUARDED_ATTRIBUTES` are read directly, see there): the read-only record types the engine
passes (named tuples: their fields and ``to_bytes``), storage and its slot views, the provided
``math`` namespace, and a few methods of numbers, strings, lists and dicts. Everything else —
``format``, frames, generators' internals, functions' and types' attributes — is refused, and
underscore names never compile at all. Items can be read from containers, records and storage;
items can be written only into storage and the strategy's own lists and dicts (module-level
data is frozen after the module body runs, see :mod:`arena.sandbox.freeze`). Storage slots,
what hooks index most, are read and written in C when the index and value are well-typed.

Guards do not charge the work budget themselves: each guarded access is a node of a block that
was paid for when it started (see :mod:`arena.sandbox.pricing`). Unpacking charges one unit per
item, since it walks its value in C.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import MappingProxyType
from typing import Any, Final

from arena.payloads import AfterSwap, EpochBoundary, SwapRequest
from arena.sandbox.provided import MATH, FrozenNamespace, metered
from arena.storage import Slots, Storage

__all__ = [
    "UNGUARDED_ATTRIBUTES",
    "allow_attributes",
    "guarded_getattr",
    "guarded_getitem",
    "guarded_getiter",
    "guarded_iter_unpack_sequence",
    "guarded_setitem",
    "guarded_unpack_sequence",
    "guarded_write",
]

_READ_ONLY_CONTAINER = (
    "module-level lists and dicts are read-only once the module has run "
    "(they become tuples and read-only mappings); keep changing state in storage"
)

_ATTRIBUTES: dict[type, frozenset[str]] = {
    Storage: frozenset({"u64", "i64", "f64", "to_bytes", "writable"}),
    int: frozenset({"bit_length", "real", "imag", "numerator", "denominator"}),
    bool: frozenset(),
    float: frozenset({"is_integer", "real", "imag"}),
    str: frozenset(
        {
            "startswith",
            "endswith",
            "lower",
            "upper",
            "strip",
            "lstrip",
            "rstrip",
            "split",
            "find",
            "count",
            "isdigit",
            "isalpha",
            "isspace",
        }
    ),
    list: frozenset(
        {"append", "pop", "insert", "remove", "index", "count", "sort", "reverse", "copy", "clear"}
    ),
    dict: frozenset({"get", "keys", "values", "items", "pop", "setdefault", "copy", "clear"}),
    tuple: frozenset({"count", "index"}),
    MappingProxyType: frozenset({"get", "keys", "values", "items"}),
    FrozenNamespace: MATH.names,
}
_SUBSCRIPTABLE: set[type] = {
    list,
    tuple,
    dict,
    str,
    bytes,
    range,
    MappingProxyType,
    Storage,
    Slots,
}
_WRITABLE: Final = frozenset({list, dict, Storage, Slots})

#: Attributes strategy code reads without a guard call (the compiler leaves ``x.name`` as it is):
#: the fields of arena's records and storage's slot views, what hooks read most. No other type a
#: strategy can reach has an attribute of one of these names (a test walks every class loaded),
#: so ``x.name`` is one of these or an AttributeError.
UNGUARDED_ATTRIBUTES: Final = frozenset(
    {"u64", "i64", "f64", *AfterSwap._fields, *EpochBoundary._fields, *SwapRequest._fields}
)


def allow_attributes(kind: type, names: Iterable[str]) -> None:
    """Let strategy code read ``names`` on objects of exactly ``kind`` (for market plugins)."""
    _ATTRIBUTES[kind] = frozenset(names)
    if issubclass(kind, tuple):  # records can be indexed like the tuples they are
        _SUBSCRIPTABLE.add(kind)


def _learn(kind: type) -> frozenset[str]:
    """Named tuples (the engine's payload records) expose their fields and ``to_bytes``."""
    fields = getattr(kind, "_fields", None)
    if issubclass(kind, tuple) and isinstance(fields, tuple):
        allow_attributes(kind, (*fields, *(["to_bytes"] if hasattr(kind, "to_bytes") else [])))
        return _ATTRIBUTES[kind]
    return frozenset()


def guarded_getattr(obj: Any, name: str) -> Any:
    """``obj.name`` in strategy code (``_getattr_``)."""
    allowed = _ATTRIBUTES.get(type(obj))
    if allowed is None:
        allowed = _learn(type(obj))
    if type(name) is str and name in allowed:
        return getattr(obj, name)
    raise AttributeError(_attribute_refusal(obj, name))


def _attribute_refusal(obj: Any, name: str) -> str:
    kind = type(obj).__name__
    if isinstance(obj, FrozenNamespace):
        return f"{obj!r}.{name} is not available in strategies"
    if hasattr(obj, "_fields"):
        fields = ", ".join(obj._fields)
        return f"{kind} records have no attribute '{name}' (their fields are {fields})"
    if isinstance(obj, tuple | MappingProxyType) and name in _ATTRIBUTES[list] | _ATTRIBUTES[dict]:
        return f"'{kind}' has no method {name}(): {_READ_ONLY_CONTAINER}"
    if name in ("format", "format_map"):
        return "str.format is not available in strategies; use f-strings"
    return f"'{kind}' object has no attribute '{name}' available to strategies"


def guarded_getitem(obj: Any, index: Any) -> Any:
    """``obj[index]`` in strategy code (``_getitem_``)."""
    kind = type(obj)
    if kind is Slots:  # hooks read slots most: straight from the memoryview
        try:
            return obj.view[index]
        except (IndexError, TypeError):
            pass  # Slots explains the mistake
    if kind in _SUBSCRIPTABLE or _learn(kind):
        return obj[index]
    raise TypeError(f"'{type(obj).__name__}' objects cannot be indexed in strategies")


def guarded_setitem(value: Any, obj: Any, key: Any) -> None:
    """``obj[key] = value`` in strategy code (``_setitem_``; the value first, as Python evaluates
    it first). A well-typed value for a writable slot goes straight into the memoryview."""
    if (
        type(obj) is Slots
        and obj.writable
        and type(value) is obj.exact
        and type(key) is int
        and key >= 0  # the memoryview would take -1 for the last slot
    ):
        try:
            obj.view[key] = value
            return
        except (IndexError, ValueError, OverflowError):
            pass  # Slots explains the mistake
    guarded_write(obj)[key] = value


def guarded_getiter(obj: Any) -> Any:
    """``_getiter_``, which RestrictedPython hands to ``_iter_unpack_sequence_``: the iterable
    itself (items pay through ``_tick_``; the policy drops the call from plain loops)."""
    return obj


def guarded_write(obj: Any) -> Any:
    """The target of ``obj[key] = value`` or ``del obj[key]`` (``_write_``)."""
    if type(obj) in _WRITABLE:
        return obj
    kind = type(obj).__name__
    if hasattr(obj, "_fields"):
        raise TypeError(f"{kind} records are read-only")
    if isinstance(obj, tuple | MappingProxyType):
        raise TypeError(_READ_ONLY_CONTAINER)
    raise TypeError(f"'{kind}' objects cannot be changed in strategies")


def guarded_unpack_sequence(value: Any, spec: dict[str, Any], getiter: Any = None) -> list[Any]:
    """``a, b = value`` (``_unpack_sequence_``): one unit per item, nested targets too."""
    items = list(metered(value))
    if len(items) < spec["min_len"]:
        return items
    for index, child in spec["childs"]:
        items[index] = guarded_unpack_sequence(items[index], child)
    return items


def guarded_iter_unpack_sequence(
    value: Any, spec: dict[str, Any], getiter: Any = None
) -> Iterator[list[Any]]:
    """``for a, b in value`` (``_iter_unpack_sequence_``)."""
    for item in value:
        yield guarded_unpack_sequence(item, spec)

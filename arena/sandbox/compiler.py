"""Compile a strategy file with RestrictedPython and give each simulation a fresh namespace."""

from __future__ import annotations

import math
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from arena.errors import StrategyLoadError

__all__ = ["CompiledStrategy", "compile_strategy"]

_BUILTINS: dict[str, Any] = {
    **safe_builtins,
    "min": min,
    "max": max,
    "sum": sum,
    "abs": abs,
    "range": range,
    "len": len,
    "list": list,
    "dict": dict,
    "enumerate": enumerate,
}


def _namespace() -> dict[str, Any]:
    return {
        "__builtins__": _BUILTINS,
        "__name__": "strategy",
        "__metaclass__": type,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "math": math,
    }


class CompiledStrategy:
    """A strategy's restricted bytecode; :meth:`instantiate` runs it in a fresh namespace.

    :param code: the compiled module code.
    :param filename: where the source came from, for messages.
    """

    def __init__(self, code: CodeType, filename: str) -> None:
        self.code = code
        self.filename = filename

    def instantiate(self) -> dict[str, Any]:
        """Execute the module body in new globals, so no state survives between simulations."""
        namespace = _namespace()
        exec(self.code, namespace)
        return namespace


def compile_strategy(source: str, filename: str) -> CompiledStrategy:
    """Compile ``source`` under arena's restrictions.

    :raises StrategyLoadError: with the file and line of the first problem.
    """
    result = compile_restricted_exec(source, filename=filename)
    if result.errors:
        raise StrategyLoadError(result.errors[0], filename)
    assert result.code is not None
    return CompiledStrategy(result.code, filename)

"""Compile a strategy file under arena's policy and give each simulation a fresh namespace.

Compiling never runs the author's code (the parent process only compiles). Running happens in
:meth:`CompiledStrategy.instantiate`, inside a worker: the module body executes in new globals
with its own work budget, then the globals are frozen, so nothing survives from one simulation to
the next and nothing but storage survives from one call to the next.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from types import CodeType
from typing import Any, Final

from RestrictedPython import compile_restricted_exec

from arena.errors import StrategyLoadError
from arena.sandbox.arith import guarded_inplacevar, guarded_lshift, guarded_mul, guarded_pow
from arena.sandbox.budget import METER, MODULE_BUDGET, BudgetExceeded, tick
from arena.sandbox.diagnostics import GUEST_MODULE, describe_error, guest_line
from arena.sandbox.freeze import FreezeError, freeze_globals
from arena.sandbox.guards import (
    guarded_getattr,
    guarded_getitem,
    guarded_getiter,
    guarded_iter_unpack_sequence,
    guarded_setitem,
    guarded_unpack_sequence,
    guarded_write,
)
from arena.sandbox.policy import LINE_MESSAGE, ArenaPolicy, hint_for, undefined_names
from arena.sandbox.printing import PrintSink
from arena.sandbox.provided import PROVIDED, PROVIDED_IDS

__all__ = ["CompiledStrategy", "RestrictionError", "compile_strategy", "guest_output"]

_BUILTINS: Final[dict[str, Any]] = dict(PROVIDED)
_GUARDS: Final[dict[str, Any]] = {
    "_tick_": tick,
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_getiter_": guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": guarded_write,
    "_setitem_": guarded_setitem,
    "_inplacevar_": guarded_inplacevar,
    "_pow_": guarded_pow,
    "_lshift_": guarded_lshift,
    "_mul_": guarded_mul,
    "_min2_": min,
    "_max2_": max,
}


class RestrictionError(StrategyLoadError):
    """A file that does not compile under arena's rules, with a suggested fix.

    :param hint: how to fix it, in plain words (``None`` when there is nothing to add).
    """

    def __init__(
        self, message: str, filename: str, lineno: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, filename, lineno)
        self.hint = hint


class CompiledStrategy:
    """A strategy's restricted bytecode; :meth:`instantiate` runs it in a fresh namespace.

    :param code: the compiled module code.
    :param filename: where the source came from, for messages.
    :param module_lines: the line of each module-level assignment, for messages.
    """

    def __init__(self, code: CodeType, filename: str, module_lines: dict[str, int]) -> None:
        self.code = code
        self.filename = filename
        self.module_lines = module_lines

    def instantiate(self, owner: str | None = None) -> dict[str, Any]:
        """Run the module body in new globals and freeze them.

        :param owner: the label a worker reports if it is stopped while running this code.
        :raises StrategyLoadError: if the module body raises, exceeds its budget of
            :data:`~arena.sandbox.budget.MODULE_BUDGET` units, or leaves state that cannot be
            frozen.
        """
        label = owner or self.filename
        namespace: dict[str, Any] = {
            "__builtins__": _BUILTINS,
            "__name__": GUEST_MODULE,
            "_owner_": label,
            "_print_": PrintSink().collector,
            **_GUARDS,
        }
        METER.start(MODULE_BUDGET)
        try:
            exec(self.code, namespace)
        except BudgetExceeded as error:
            raise StrategyLoadError(
                f"the module's top-level code used more than {MODULE_BUDGET:,} work units",
                self.filename,
                guest_line(error),
            ) from None
        except Exception as error:
            raise StrategyLoadError(
                f"running the module failed: {describe_error(error)}",
                self.filename,
                guest_line(error),
            ) from None
        try:
            freeze_globals(namespace, lambda f: f.__globals__ is namespace, PROVIDED_IDS)
        except FreezeError as error:
            raise StrategyLoadError(
                str(error), self.filename, self.module_lines.get(error.name)
            ) from None
        return namespace


def guest_output(namespace: dict[str, Any]) -> str:
    """What the strategy instance of ``namespace`` printed so far (capped)."""
    collector = namespace["_print_"]
    sink: PrintSink = collector.__self__
    return sink.text


def compile_strategy(source: str, filename: str) -> CompiledStrategy:
    """Compile ``source`` under arena's restrictions (nothing of it runs).

    :raises RestrictionError: with the file, the line and a hint for the first problem.
    """
    try:
        return _compile(source, filename)
    except (RecursionError, MemoryError):  # Python's parser and compiler recurse per level
        raise RestrictionError(
            "the code is nested too deeply to compile",
            filename,
            None,
            "split long expressions and deep nesting into several statements",
        ) from None


def _compile(source: str, filename: str) -> CompiledStrategy:
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        raise RestrictionError(
            f"SyntaxError: {error.msg}", filename, error.lineno, hint_for("SyntaxError")
        ) from None
    module_lines = _assignment_lines(tree)
    result = compile_restricted_exec(tree, filename=filename, policy=ArenaPolicy)
    if result.errors:
        line, message = _first_problem(result.errors)
        raise RestrictionError(message, filename, line, hint_for(message))
    missing = undefined_names(source, filename, PROVIDED)
    if missing:
        name, line = missing[0]
        raise RestrictionError(
            f"name {name!r} is not defined", filename, line or None, hint_for("import")
        )
    assert result.code is not None
    return CompiledStrategy(result.code, filename, module_lines)


def _first_problem(errors: Sequence[str]) -> tuple[int | None, str]:
    """The earliest of RestrictedPython's ``Line N: message`` errors."""
    parsed: list[tuple[int | None, str]] = []
    for text in errors:
        match = LINE_MESSAGE.match(text)
        if match is None:
            parsed.append((None, text))
        else:
            number, message = match.groups()
            parsed.append((int(number) if number.isdigit() else None, message))
    return min(parsed, key=lambda p: p[0] if p[0] is not None else 1 << 30)


def _assignment_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in tree.body:
        for target in node.targets if isinstance(node, ast.Assign) else []:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    lines.setdefault(name.id, node.lineno)
        if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            lines.setdefault(node.target.id, node.lineno)
    return lines

"""arena's compile policy: what strategy code may not say, and how it reports its own work.

:class:`ArenaPolicy` extends RestrictedPython's transformer (which already refuses names and
attributes starting with ``_``, ``exec``/``eval`` calls, ``try/except*`` and ``nonlocal``, and
routes attribute, item and iteration access through guards). It adds arena's rules:

* no imports (``math``, ``min``, ``max`` … are provided), no ``global``, no classes, no ``with``,
  no generators, no decorators, no ``*args``/``**kwargs`` in calls, no attribute assignment;
* no bare ``except`` or ``except BaseException`` (they would swallow the budget stop);
* the names of dangerous builtins (``open``, ``getattr``, ``type`` …) are refused with the reason;

and instruments the code for the work budget (:mod:`arena.sandbox.budget`): ``_tick_(units)``
opens every function, lambda and module body, loop iteration and comprehension item, with the
block's price (:mod:`arena.sandbox.pricing`); ``**``, ``<<`` and ``*`` of a literal sequence
call their guards (:mod:`arena.sandbox.arith`).

Three accesses hooks make all the time cost one guard call or none: ``obj[key] = value`` is one
call of ``_setitem_``; record fields and storage views
(:data:`~arena.sandbox.guards.UNGUARDED_ATTRIBUTES`) and members of ``math`` (where no
strategy name shadows it) are read directly. Loops iterate their iterable directly (no
``_getiter_`` call: their items pay through ``_tick_``).

Each refusal is recorded as ``Line N: message`` (RestrictedPython's format), and :func:`hint_for`
gives a fix in plain words.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Collection
from typing import Any, Final, cast

from RestrictedPython import RestrictingNodeTransformer

from arena.sandbox.arith import guarded_lshift, guarded_pow
from arena.sandbox.guards import UNGUARDED_ATTRIBUTES
from arena.sandbox.pricing import price
from arena.sandbox.provided import PROVIDED, UNAVAILABLE, FrozenNamespace

__all__ = ["ArenaPolicy", "hint_for", "undefined_names"]

_PROVIDED_HINT = (
    "strategies cannot import anything; math (math.sqrt, math.log, …), min, max, abs, sum, "
    "round, range, len, int, float, list, dict and a few more are always available"
)
#: RestrictedPython's ``Line N: message`` (syntax errors too).
LINE_MESSAGE: Final = re.compile(r"^Line (\d+|None): (.*)$", re.DOTALL)
_SWALLOWING: Final = frozenset(
    {"BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit"}
)
_SEQUENCE_LITERALS: Final = (ast.List, ast.Tuple, ast.ListComp, ast.JoinedStr)
#: min/max called with two or more items go straight to the builtins under these names.
_PAIRWISE: Final = {"min": "_min2_", "max": "_max2_"}

# Fixes for refusals, matched against the message (RestrictedPython's own included).
_HINTS: Final = (
    ("import", _PROVIDED_HINT),
    ('starts with "_"', 'rename it without the leading "_" (such names are arena\'s)'),
    (
        "global",
        "functions cannot change module variables; keep state in storage "
        "(storage.u64[i] = ... in after_swap)",
    ),
    ("Nonlocal", "keep state in storage, or return values from inner functions"),
    ("except", "write `except Exception:` or name the errors you expect"),
    ("finally block", "return after the try statement instead"),
    ("class", "use functions, tuples and dicts"),
    ("attributes cannot be assigned", "keep state in storage, or in a dict: d['key'] = value"),
    ("Augmented assignment", "write storage.u64[i] = storage.u64[i] + x instead of += on items"),
    ("Eval calls", "strategies cannot run code given as text"),
    ("Exec calls", "strategies cannot run code given as text"),
    ("Match statements", "use if/elif/else"),
    ("with statements", "call what you need directly"),
    ("decorators", "call the function you would decorate with directly"),
    ("*args", "pass the arguments one by one"),
    ("is not available", "see the README's list of what strategies can use"),
    ("yield", "build a list and return it"),
    ("bits", "keep numbers within 4096 bits"),
    ("SyntaxError", "fix the Python syntax at that line"),
)


def hint_for(message: str) -> str | None:
    """A one-line fix for a compile refusal, when one is known."""
    for needle, hint in _HINTS:
        if needle in message:
            return hint
    return None


def _call(name: str, args: list[ast.expr], at: ast.AST) -> ast.Call:
    """``name(*args)``, placed where ``at`` is (for tracebacks)."""
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, at))


def _calls(node: ast.expr, name: str) -> bool:
    """Whether ``node`` is a call of the function named ``name``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _statement(name: str, units: int, line: int) -> ast.Expr:
    """The statement ``name(units)`` on ``line``."""
    call = ast.Call(func=ast.Name(name, ast.Load()), args=[ast.Constant(units)], keywords=[])
    expression = ast.Expr(call, lineno=line, col_offset=0, end_lineno=line, end_col_offset=0)
    return ast.fix_missing_locations(expression)


class ArenaPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with arena's rules and budget instrumentation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Names the module binds somewhere (min and max are only rewritten if not rebound).
        self.rebound: frozenset[str] = frozenset()
        #: The price of one item of each ``for`` clause of the comprehensions seen.
        self.item_units: dict[ast.comprehension, int] = {}

    # -- refused outright -----------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> Any:
        names = [alias.name for alias in node.names]
        if names == ["math"]:
            self.error(
                node,
                "imports are not available in strategies: math is already there, "
                "delete `import math`",
            )
        else:
            listed = ", ".join(names)
            self.error(node, f"imports are not available in strategies (import {listed})")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, f"imports are not available in strategies (from {node.module} import …)")
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        self.error(node, "global statements are not available in strategies")
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        self.error(node, "Nonlocal statements are not available in strategies")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "class definitions are not available in strategies")
        return node

    def visit_With(self, node: ast.With) -> Any:
        self.error(node, "with statements are not available in strategies")
        return node

    def visit_Yield(self, node: ast.Yield) -> Any:
        self.error(node, "generators (yield) are not available in strategies")
        return node

    def visit_YieldFrom(self, node: ast.YieldFrom) -> Any:
        self.error(node, "generators (yield) are not available in strategies")
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        caught = node.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if caught is None:
            self.error(
                node,
                "a bare `except:` is not allowed: it would also catch arena's "
                "stop when the work budget runs out",
            )
        elif any(isinstance(n, ast.Name) and n.id in _SWALLOWING for n in names):
            self.error(
                node,
                "`except BaseException` is not allowed: it would also catch "
                "arena's stop when the work budget runs out",
            )
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node: ast.Try) -> Any:
        for escape in _finally_escapes(node.finalbody):
            keyword = type(escape).__name__.lower()
            self.error(
                escape,
                f"`{keyword}` inside a finally block is not allowed: it would "
                "swallow arena's stop when the work budget runs out",
            )
        return super().visit_Try(node)

    def visit_Call(self, node: ast.Call) -> Any:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            self.error(node, "calls with *args or **kwargs are not available in strategies")
        node = cast(ast.Call, super().visit_Call(node))
        # min(a, b) and max(a, b) need no metering (they walk no iterable): call the builtins.
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in _PAIRWISE and name not in self.rebound and len(node.args) >= 2:
            node.func = ast.copy_location(ast.Name(_PAIRWISE[name], ast.Load()), node.func)
        return node

    def visit_Assign(self, node: ast.Assign) -> Any:
        # `obj[key] = value` becomes one guard call, `_setitem_(value, obj, key)`, instead of
        # `_write_(obj)[key] = value` (the value is still evaluated first).
        result = super().visit_Assign(node)
        if not isinstance(result, ast.Assign) or len(result.targets) != 1:
            return result
        target = result.targets[0]
        if not isinstance(target, ast.Subscript) or not _calls(target.value, "_write_"):
            return result
        written = cast(ast.Call, target.value).args[0]
        call = _call("_setitem_", [result.value, written, target.slice], node)
        return ast.copy_location(ast.Expr(call), node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if not isinstance(node.ctx, ast.Load):
            self.error(node, "attributes cannot be assigned or deleted in strategies")
            return super().visit_Attribute(node)
        if node.attr in UNGUARDED_ATTRIBUTES:
            return self.node_contents_visit(node)  # payload.sim_step, storage.u64: read directly
        namespace = PROVIDED.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if (
            isinstance(namespace, FrozenNamespace)
            and node.attr in namespace.names
            and node.value.id not in self.rebound  # type: ignore[attr-defined]
        ):
            return node  # math.sqrt: a fixed object's allowed attribute needs no guard at run time
        return super().visit_Attribute(node)

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in UNAVAILABLE:
            self.error(node, f"{node.id} is not available in strategies: {UNAVAILABLE[node.id]}")
        return super().visit_Name(node)

    # -- instrumented for the work budget -------------------------------------------------

    def visit_Module(self, node: ast.Module) -> Any:
        self.rebound = _bound_names(node)
        units = price(node.body)
        node = cast(ast.Module, super().visit_Module(node))
        node.body.insert(0, _statement("_tick_", units, 1))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        if node.decorator_list:
            self.error(node, "decorators are not available in strategies")
        units = 1 + price(node.body)
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        node.body.insert(0, _statement("_tick_", units, node.lineno))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        units = 1 + price([node.body])
        node = cast(ast.Lambda, super().visit_Lambda(node))
        entered = ast.IfExp(
            test=_call("_tick_", [ast.Constant(units)], node),
            body=node.body,
            orelse=ast.Constant(None),
        )
        node.body = ast.fix_missing_locations(ast.copy_location(entered, node.body))
        return node

    def visit_For(self, node: ast.For) -> Any:
        units = price([node.target, *node.body])
        node = cast(ast.For, super().visit_For(node))
        node.iter = _unwrapped_iter(node.iter)
        node.body.insert(0, _statement("_tick_", units, node.body[0].lineno))
        return node

    def visit_While(self, node: ast.While) -> Any:
        units = price([node.test, *node.body])
        node = cast(ast.While, super().visit_While(node))
        node.body.insert(0, _statement("_tick_", units, node.body[0].lineno))
        return node

    def _price_items(self, generators: list[ast.comprehension], *items: ast.expr) -> None:
        """Price one item of each ``for`` of a comprehension (the last one makes the result)."""
        for generator, following in zip(generators, [*generators[1:], None], strict=True):
            made = [following.iter] if following is not None else list(items)
            self.item_units[generator] = price([generator.target, *generator.ifs, *made])

    def visit_ListComp(self, node: ast.ListComp) -> Any:
        self._price_items(node.generators, node.elt)
        return super().visit_ListComp(node)

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        self._price_items(node.generators, node.elt)
        return super().visit_SetComp(node)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        self._price_items(node.generators, node.elt)
        return super().visit_GeneratorExp(node)

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        self._price_items(node.generators, node.key, node.value)
        return super().visit_DictComp(node)

    def visit_comprehension(self, node: ast.comprehension) -> Any:
        units = 1 + self.item_units.get(node, 0)
        node = cast(ast.comprehension, super().visit_comprehension(node))
        node.iter = _unwrapped_iter(node.iter)
        node.ifs.insert(0, _call("_tick_", [ast.Constant(units)], node.iter))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = cast(ast.BinOp, super().visit_BinOp(node))
        if isinstance(node.op, ast.Pow | ast.LShift):
            guard = guarded_pow if isinstance(node.op, ast.Pow) else guarded_lshift
            if isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant):
                try:  # constants: refuse a huge result now, let Python fold a small one
                    guard(node.left.value, node.right.value)
                except OverflowError as error:
                    self.error(node, str(error))
                except (TypeError, ValueError, ZeroDivisionError):
                    pass
                return node
            name = "_pow_" if isinstance(node.op, ast.Pow) else "_lshift_"
            return _call(name, [node.left, node.right], node)
        if isinstance(node.op, ast.Mult) and any(
            isinstance(side, _SEQUENCE_LITERALS)
            or (isinstance(side, ast.Constant) and isinstance(side.value, str | bytes))
            for side in (node.left, node.right)
        ):
            return _call("_mul_", [node.left, node.right], node)
        return node


def _unwrapped_iter(iterable: ast.expr) -> ast.expr:
    """A loop's iterable without RestrictedPython's ``_getiter_(...)``: arena's is the identity
    (the items pay through ``_tick_``), so the call would cost every loop for nothing."""
    if _calls(iterable, "_getiter_"):
        return cast(ast.Call, iterable).args[0]
    return iterable


def _finally_escapes(body: list[ast.stmt]) -> list[ast.stmt]:
    """``return``, ``break`` and ``continue`` that would leave this finally block.

    Leaving a finally block that way drops the exception in flight: the budget stop included.
    """
    found: list[ast.stmt] = []
    pending: list[tuple[ast.AST, bool]] = [(statement, False) for statement in body]
    while pending:
        node, in_loop = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            continue  # its returns leave the inner function, not the finally block
        if isinstance(node, ast.Return) or (
            isinstance(node, ast.Break | ast.Continue) and not in_loop
        ):
            found.append(node)
        loop = isinstance(node, ast.For | ast.While)
        pending += [(child, in_loop or loop) for child in ast.iter_child_nodes(node)]
    return sorted(found, key=lambda n: n.lineno)


def _bound_names(tree: ast.AST) -> frozenset[str]:
    """Every name the code binds anywhere (assignments, functions, arguments, handlers)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return frozenset(names)


def undefined_names(source: str, filename: str, known: Collection[str]) -> list[tuple[str, int]]:
    """Names the code reads as globals that neither it nor arena defines, with their lines.

    Run on source that compiled; ``known`` are the names arena provides.
    """
    table = symtable.symtable(source, filename, "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    missing: set[str] = set()
    pending = [table]
    while pending:
        scope = pending.pop()
        pending.extend(scope.get_children())
        for symbol in scope.get_symbols():
            global_use = scope is table or symbol.is_global()
            if global_use and symbol.is_referenced() and symbol.get_name() not in defined:
                missing.add(symbol.get_name())
    missing -= set(known) | {"print", "printed"}
    lines = _first_loads(ast.parse(source, filename), missing)
    return sorted(((name, lines.get(name, 0)) for name in missing), key=lambda p: (p[1], p[0]))


def _first_loads(tree: ast.AST, names: set[str]) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            lines[node.id] = min(lines.get(node.id, node.lineno), node.lineno)
    return lines

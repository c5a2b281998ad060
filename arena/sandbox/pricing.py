"""Prices of blocks of strategy code, in work units: the syntax nodes they can run.

A block's price counts every node that runs at most once each time the block runs: all of its
straight-line code, both branches of an ``if`` included (so the price is an upper bound). Code
that can run many times — loop bodies, comprehension items, nested functions and lambdas — is
left out: it pays for itself each time it runs. Operator and context nodes (``+``, ``Load``) are
not counted; they are part of the node that uses them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Final

__all__ = ["price"]

_FREE: Final = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
_COMPREHENSIONS: Final = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def price(nodes: Iterable[ast.AST | None]) -> int:
    """Units for running ``nodes`` once (``None`` entries, e.g. a missing default, are free)."""
    return sum(_price(node) for node in nodes if node is not None)


def _price(node: ast.AST) -> int:
    if isinstance(node, _FREE):
        return 0
    if isinstance(node, ast.FunctionDef):
        # Defining a function runs its decorators and default values, not its body.
        return 1 + price(node.args.defaults) + price(node.args.kw_defaults)
    if isinstance(node, ast.Lambda):
        return 1 + price(node.args.defaults) + price(node.args.kw_defaults)
    if isinstance(node, ast.For):
        return 1 + _price(node.iter) + price(node.orelse)
    if isinstance(node, ast.While):
        return 1 + _price(node.test) + price(node.orelse)
    if isinstance(node, _COMPREHENSIONS):
        return 1 + _price(node.generators[0].iter)
    return 1 + price(ast.iter_child_nodes(node))

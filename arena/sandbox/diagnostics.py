"""Errors raised by strategy code, described in one line with the line of the strategy to blame."""

from __future__ import annotations

from typing import Final

from arena.sandbox.budget import BudgetExceeded

__all__ = ["GUEST_MODULE", "describe_error", "guest_line"]

#: ``__name__`` of every strategy namespace: how a frame of strategy code is recognised.
GUEST_MODULE: Final = "strategy"
#: Longest error text kept (a strategy's message must not bloat every results table).
MAX_MESSAGE: Final = 300


def guest_line(error: BaseException) -> int | None:
    """The line of strategy code where ``error`` arose (the innermost strategy frame)."""
    line = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_globals.get("__name__") == GUEST_MODULE:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def describe_error(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero``, in words a strategy author can act on."""
    if isinstance(error, BudgetExceeded):
        text = f"work budget exceeded: {error}"
    elif isinstance(error, MemoryError):
        text = "MemoryError: it needed more memory than a worker may use"
    else:
        detail = str(error)
        if len(detail) > MAX_MESSAGE:
            detail = detail[:MAX_MESSAGE] + "…"
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return text

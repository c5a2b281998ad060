"""Running untrusted strategy code: restricted compilation, guards, a work budget, workers.

Layers, from the inside out (the README's security section says what each one stops):

* :mod:`~arena.sandbox.policy` — what strategy source may say, checked when it is compiled,
  and the instrumentation that makes the code pay for its work (:mod:`~arena.sandbox.pricing`);
* :mod:`~arena.sandbox.guards`, :mod:`~arena.sandbox.arith`, :mod:`~arena.sandbox.provided`,
  :mod:`~arena.sandbox.printing` — what compiled code may touch and call at run time;
* :mod:`~arena.sandbox.budget` — a deterministic number of work units per call;
* :mod:`~arena.sandbox.freeze` — no state between calls or simulations except storage;
* :mod:`~arena.sandbox.compiler` — the above put together: compile once, a fresh namespace per
  simulation; :mod:`~arena.sandbox.diagnostics` says what went wrong and where;
* :mod:`~arena.sandbox.process` with :mod:`~arena.sandbox.worker`,
  :mod:`~arena.sandbox.protocol` and :mod:`~arena.sandbox.marker` — worker processes with
  resource limits, the real boundary.
"""

from arena.sandbox.budget import (
    DEFAULT_BUDGET,
    METER,
    MODULE_BUDGET,
    BudgetExceeded,
    Meter,
)
from arena.sandbox.compiler import (
    CompiledStrategy,
    RestrictionError,
    compile_strategy,
    guest_output,
)
from arena.sandbox.diagnostics import describe_error, guest_line

__all__ = [
    "DEFAULT_BUDGET",
    "GUEST_ERRORS",
    "METER",
    "MODULE_BUDGET",
    "BudgetExceeded",
    "CompiledStrategy",
    "Meter",
    "RestrictionError",
    "compile_strategy",
    "describe_error",
    "guest_line",
    "guest_output",
]

#: What a call into strategy code may raise that the engine turns into a counted error.
GUEST_ERRORS: tuple[type[BaseException], ...] = (Exception, BudgetExceeded)

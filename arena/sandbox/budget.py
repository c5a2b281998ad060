"""The deterministic work budget: strategy code pays in units that are counted, not timed.

A unit is one node of the strategy's syntax tree that runs: ``a + b * c`` is five units,
``storage.u64[0]`` four. The compiler (:mod:`arena.sandbox.policy`) makes the code pay as it
goes, in blocks priced when it is compiled:

* entering a function, a lambda or the module body costs its straight-line code,
* each loop iteration costs the loop's body and each comprehension item its expression and
  conditions, nested loops and functions paying for themselves (each block starts with a
  ``_tick_(units)`` call),
* each item a provided builtin walks in C (``sum``, ``sorted``, ``list`` …), each item unpacked
  and each item of a repeated literal sequence costs one unit (the guards charge it).

Straight-line code is paid for whether or not every branch runs, so a price is an upper bound,
and one that is the same on every machine. The engine gives every hook call a fresh allowance
with :meth:`Meter.start` (or, in the hot loop, by setting ``limit`` directly) and reads what the
call spent from ``count``. Past the limit the meter raises :class:`BudgetExceeded`, a
``BaseException``, so ``except Exception`` in strategy code cannot swallow it (bare ``except``
and ``except BaseException`` do not compile); every later payment raises again, so a ``finally``
block cannot keep working either.

What units do not measure is the time of one C-level operation on a big value (multiplying huge
integers, searching a huge list); the guards keep such values from being made cheaply, and the
worker process's CPU and memory limits are the backstop.

One worker runs one call at a time, so one process-wide :data:`METER` serves every strategy.
"""

from __future__ import annotations

from typing import Final, NoReturn

__all__ = ["DEFAULT_BUDGET", "METER", "MODULE_BUDGET", "BudgetExceeded", "Meter", "tick"]

#: Units one hook call may spend: the reference engine's 100,000 compute units, with a unit of
#: about the same size (one syntax node is one to a few BPF instructions). An honest
#: constant-product ``compute_swap`` spends about 60-100.
DEFAULT_BUDGET: Final = 100_000
#: Units the module body (constants, tables) may spend, once per simulation.
MODULE_BUDGET: Final = 1_000_000


class BudgetExceeded(BaseException):
    """Strategy code spent more units than its budget (the engine counts it as an error).

    Derived from ``BaseException`` so that ``except Exception`` in strategy code cannot catch it.
    """


class Meter:
    """Counts the units spent by strategy code and enforces the current call's limit.

    :param budget: units per hook call.
    """

    __slots__ = ("budget", "count", "limit")

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self.count = 0
        self.limit = budget

    def start(self, budget: int | None = None) -> int:
        """Open a new call with ``budget`` units (the default budget if ``None``).

        :returns: the count at the start, to subtract from :attr:`count` afterwards.
        """
        start = self.count
        self.limit = start + (self.budget if budget is None else budget)
        return start

    def charge(self, units: int, what: str = "") -> None:
        """Spend ``units`` at once (for work done in C on the strategy's behalf).

        A charge that does not fit is refused before the work is done, and books only what
        was left of the allowance.
        """
        if self.count + units > self.limit:
            self.count = self.limit + 1
            self.exceeded(what)
        self.count += units

    def exceeded(self, what: str = "") -> NoReturn:
        """Raise :class:`BudgetExceeded` with a plain message."""
        detail = f" ({what})" if what else ""
        raise BudgetExceeded(
            f"used more than its budget of {self.budget:,} work units in one call{detail}"
        )


#: The meter of this process.
METER: Final = Meter()


def tick(units: int) -> bool:
    """Pay for a block of strategy code as it starts (``_tick_`` in strategy code).

    Returns True so that it can sit in a comprehension's conditions and a lambda's test.
    """
    meter = METER
    count = meter.count + units  # one read of the count: this runs for every block
    meter.count = count
    if count > meter.limit:
        meter.exceeded()
    return True

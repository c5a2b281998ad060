"""``arena validate``: what is wrong with a strategy file, in plain words, with a fix for each.

Checks, in order (a failed one stops those that depend on it):

1. **load** (parent, static): the file compiles under the sandbox's rules, ``NAME`` and
   ``MODEL_USED`` are set, hooks are spelled and shaped right, market constants are valid;
2. **module**: the module body runs within its budget and leaves only freezable globals;
3. for AMM strategies with ``compute_swap``, on the reference engine's starting state
   (reserves 100 X / 10,000 Y, zero storage) and in the integer 1e-9 domain the strategy sees:
   **quotes** (10 Y in and 1 X in get a positive output), **monotonic** (strictly more output for
   more input, sizes 0.1 … 200, both sides), **concave** (an extra 0.001 token of input never buys
   more than one nano more than the 0.001 before it);
4. **random states** (AMM): 32 states from the reference's splitmix64 recipe, each a
   ``compute_swap`` then ``after_swap`` (and ``epoch_boundary``): no call may raise or exceed
   its budget (a quote that is not an int in 0..2**64-1 only warns: random storage may hold
   bytes the strategy itself never writes);
5. **determinism** and **simulation** (full profile): the same short simulation run twice gives
   identical results, and runs without errors;
6. **cost**: work units per call of each hook, against the budget.

Strategy code runs only in an isolated worker (:mod:`arena.sandbox.process`), unless the caller
asks for ``trusted=True`` (the sequential executor: in this process, for debugging). Reports of
the same source are cached for the life of the process.

Modules: :mod:`~arena.validate.report` (findings, reports, fixes and their plain text);
:mod:`~arena.validate.behaviour` (checks 2-4 and 6, calling the hooks directly, and
:func:`check_behaviour`, which runs checks 2-6 in a worker); :mod:`~arena.validate.simulation`
(check 5); :mod:`~arena.validate.run` (check 1, dispatching to workers, caching).
"""

from arena.validate.behaviour import check_behaviour, mix, random_state
from arena.validate.report import Finding, Report, ValidationFailed, render
from arena.validate.run import validate_files, validate_sources

__all__ = [
    "Finding",
    "Report",
    "ValidationFailed",
    "check_behaviour",
    "mix",
    "random_state",
    "render",
    "validate_files",
    "validate_sources",
]

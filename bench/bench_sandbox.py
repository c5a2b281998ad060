"""What the sandbox costs an honest strategy: calls per second sandboxed vs plain.

    python bench/bench_sandbox.py                          # built-in compute_swap strategies
    python bench/bench_sandbox.py submissions/mine.py --calls 200000

Three figures per strategy, each the best of five rounds:

* direct calls of ``compute_swap`` compiled as plain Python (ordinary ``compile``, the real
  builtins) and under the sandbox (restricted compile, guards, work budget, a fresh allowance
  per call as the engine gives it);
* the engine's per-call path (``arena.amm.requests.serve`` answering quote requests, in 250
  simulations) with plain and with sandboxed functions, which adds the engine's own
  per-call work to both;
* the work units an average call costs.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from arena.amm.host import PoolInstance, StrategyHost
from arena.amm.program import StrategyProgram
from arena.amm.requests import QUOTE, serve
from arena.plugins import StrategySource, bind_hooks, load_strategy
from arena.sandbox import METER
from arena.storage import Storage

SIMULATIONS = 250
ROUNDS = 5


def plain_compute_swap(source: StrategySource) -> Callable[..., Any]:
    """The strategy's compute_swap compiled as ordinary Python (``math`` given as the module)."""
    namespace: dict[str, Any] = {"math": math}
    exec(compile(source.source, source.origin, "exec"), namespace)
    return bind_hooks(namespace, source.origin)["compute_swap"]


def sandboxed_compute_swap(source: StrategySource) -> Callable[..., Any]:
    """The strategy's compute_swap as the engine gets it."""
    compute = StrategyProgram(source).instance().compute_swap
    assert compute is not None
    return compute


def direct_rate(compute: Callable[..., Any], calls: int, metered: bool) -> float:
    """Calls per second of ``compute`` on a spread of trade sizes (best of a few rounds)."""
    storage = Storage().readonly()
    sizes = [10**7 * (1 + k % 97) for k in range(calls)]
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        if metered:
            meter, budget = METER, METER.budget
            for size in sizes:
                meter.limit = meter.count + budget
                compute(size & 1, size, 100 * 10**9, 10_000 * 10**9, storage)
        else:
            for size in sizes:
                compute(size & 1, size, 100 * 10**9, 10_000 * 10**9, storage)
        best = min(best, time.perf_counter() - started)
    return calls / best


def quote_rate(compute: Callable[..., Any], calls: int) -> float:
    """Calls per second through the engine's per-call path, over 250 simulations."""
    instances = [PoolInstance(Storage(), compute_swap=compute) for _ in range(SIMULATIONS)]
    host = StrategyHost(instances)
    answer = np.zeros(1, dtype=np.uint64).data
    repeats = max(1, calls // SIMULATIONS)
    requests = [
        [
            (QUOTE, 0, k & 1, sim * 10**9, 0, 100 * 10**9, 10_000 * 10**9, k, 0.0)
            for k in range(repeats)
        ]
        for sim in range(1, SIMULATIONS + 1)
    ]
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for sim, pool in enumerate(host.simulations):
            serve(iter(requests[sim]), sim, [pool], answer, _no_record)
        best = min(best, time.perf_counter() - started)
    return repeats * SIMULATIONS / best


def _no_record(*fields: Any) -> None:
    raise AssertionError("only quotes are asked for")


def units_per_call(compute: Callable[..., Any]) -> float:
    storage = Storage().readonly()
    start = METER.start()
    for size in range(1, 101):
        METER.limit = METER.count + METER.budget
        compute(size & 1, size * 10**8, 100 * 10**9, 10_000 * 10**9, storage)
    return (METER.count - start) / 100


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "strategies",
        nargs="*",
        default=["normalizer", "flow_share", "submissions/starter_compute_swap.py"],
    )
    parser.add_argument("--calls", type=int, default=100_000, help="calls per round")
    args = parser.parse_args()
    header = (
        f"{'strategy':34} {'direct: plain':>14} {'sandboxed':>10} {'ratio':>6}   "
        f"{'engine loop: plain':>18} {'sandboxed':>10} {'ratio':>6}   {'units/call':>10}"
    )
    print(header)
    print("-" * len(header))
    for spec in args.strategies:
        source = load_strategy(spec)
        plain, sandboxed = plain_compute_swap(source), sandboxed_compute_swap(source)
        direct_plain = direct_rate(plain, args.calls, metered=False)
        direct_sandboxed = direct_rate(sandboxed, args.calls, metered=True)
        loop_plain = quote_rate(plain, args.calls)
        loop_sandboxed = quote_rate(sandboxed, args.calls)
        print(
            f"{source.name[:34]:34} {direct_plain:>14,.0f} {direct_sandboxed:>10,.0f} "
            f"{direct_plain / direct_sandboxed:>5.2f}x   {loop_plain:>18,.0f} "
            f"{loop_sandboxed:>10,.0f} {loop_plain / loop_sandboxed:>5.2f}x   "
            f"{units_per_call(sandboxed):>10,.0f}"
        )
    print(
        f"\ncalls per second (best of {ROUNDS}); ratio = plain / sandboxed; units/call: work "
        f"units per compute_swap call (budget {METER.budget:,})"
    )


if __name__ == "__main__":
    main()

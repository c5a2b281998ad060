"""Share of the run's time spent inside strategy code, for dynamic-fee strategies (target:
at least half: the engine is not the bottleneck).

Runs in this process (sequential executor, same engine code as the workers) with every hook
of the strategies wrapped in a timer; the wrapper's own cost counts as engine time.

    python bench/bench_strategy_share.py --simulations 50 --steps 10000
"""

import time
from collections.abc import Callable
from typing import Any

from common import Measurement, arguments, peak_rss_mib, print_table

from arena import (
    ArenaConfig,
    PropAmmConfig,
    RunPlan,
    SeedSchedule,
    SequentialExecutor,
    load_strategies,
    run,
)
from arena.amm import program

WORKLOADS = [
    (
        "arena · vol-adaptive in the fixed-fee field",
        "arena",
        ArenaConfig,
        ["cp20", "cp30", "cp40", "cp50", "cp70", "cp90", "vol_adaptive"],
    ),
    ("prop-amm · flow-share controller (compute_swap)", "prop-amm", PropAmmConfig, ["flow_share"]),
]


def timed(function: Callable[..., Any], clock: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args)
        finally:
            clock[0] += time.perf_counter() - started

    return wrapper


def main() -> None:
    args = arguments(__doc__ or "")
    clock = [0.0]
    original = program.StrategyProgram.instance

    def instance(self: program.StrategyProgram, *a: Any) -> Any:
        bound = original(self, *a)
        for hook in ("compute_swap", "after_swap", "epoch_boundary"):
            function = getattr(bound, hook)
            if function is not None:
                setattr(bound, hook, timed(function, clock))
        return bound

    program.StrategyProgram.instance = instance  # type: ignore[method-assign]
    rows = []
    for label, ruleset, config_type, names in WORKLOADS:
        for sims in args.simulations:
            plan = RunPlan(
                "amm",
                ruleset,
                config_type(steps=args.steps),
                tuple(load_strategies(names)),
                SeedSchedule(sims),
            )
            plan.market_plugin().prepare()
            clock[0] = 0.0
            started = time.perf_counter()
            result = run(plan, SequentialExecutor(), batch_size=sims)
            seconds = time.perf_counter() - started
            assert result.complete
            rows.append(
                Measurement(label, sims, args.steps, 1, seconds, peak_rss_mib(), clock[0] / seconds)
            )
    print_table(rows)


if __name__ == "__main__":
    main()

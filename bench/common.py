"""Shared helpers of the benchmarks: run a plan, measure it, print a row.

Reference figures are the ones measured for the public prop-amm engine (native, release) on a
2-core x86-64 machine like ours: 1000 simulations x 10,000 steps of its 500 bps starter take
37.8 s with 1 worker and 16.8 s with 2 (``shared/reference/prop-amm-mechanics.md`` §6), i.e.
37.8 core-seconds; the public multi-strategy engine needs 100-150 us per step with 6 strategies.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arena import RunPlan, SeedSchedule, load_strategies, make_executor, run

REFERENCE_SECONDS = {1: 37.8, 2: 16.8}  # 1000 sims x 10k steps, by worker count
REFERENCE_SIM_STEPS = 1000 * 10_000


@dataclass
class Measurement:
    """One timed run."""

    label: str
    simulations: int
    steps: int
    workers: int
    seconds: float
    peak_rss_mib: float
    strategy_share: float | None = None

    @property
    def ms_per_simulation(self) -> float:
        return 1000 * self.seconds / self.simulations

    def reference_ratio(self) -> float:
        """Our time over the reference's, scaled to the same work and worker count."""
        reference = REFERENCE_SECONDS.get(self.workers, REFERENCE_SECONDS[1] / self.workers)
        scaled = reference * self.simulations * self.steps / REFERENCE_SIM_STEPS
        return self.seconds / scaled


def peak_rss_mib() -> float:
    """Largest resident set of this process and of any finished child (workers), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def measure(
    label: str,
    market_ruleset: tuple[str, str],
    config: Any,
    strategies: list[str],
    simulations: int,
    workers: int,
    executor: str = "local",
) -> Measurement:
    """Run a plan once (after a warm-up that compiles kernels) and time it."""
    market, ruleset = market_ruleset
    plan = RunPlan(
        market, ruleset, config, tuple(load_strategies(strategies)), SeedSchedule(simulations)
    )
    plan.market_plugin().prepare()
    pool = make_executor(executor, workers)
    try:
        started = time.perf_counter()
        result = run(plan, pool)
        seconds = time.perf_counter() - started
    finally:
        pool.shutdown()
    assert result.complete, result.failures
    return Measurement(label, simulations, config.steps, workers, seconds, peak_rss_mib())


def print_table(rows: list[Measurement]) -> None:
    """The benchmark's figures, one row per run."""
    header = (
        f"{'workload':44} {'sims':>5} {'steps':>6} {'workers':>7} {'wall s':>8} {'ms/sim':>8} "
        f"{'sims/s':>8} {'peak MiB':>9} {'strategy %':>10} {'vs ref':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        share = f"{100 * r.strategy_share:.0f}" if r.strategy_share is not None else "-"
        print(
            f"{r.label:44} {r.simulations:5d} {r.steps:6d} {r.workers:7d} {r.seconds:8.2f} "
            f"{r.ms_per_simulation:8.1f} {r.simulations / r.seconds:8.1f} {r.peak_rss_mib:9.0f} "
            f"{share:>10} {r.reference_ratio():6.2f}x"
        )
    print("vs ref: our wall time / the reference engine's for the same simulations and workers")


def arguments(
    description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """Common command-line options: --simulations (list), --steps, --workers (list)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--simulations", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    if extra:
        extra(parser)
    return parser.parse_args()


def main(
    description: str, label: str, ruleset: str, config_type: Any, strategies: list[str]
) -> None:
    """Time one workload for every --simulations and --workers given, and print the table."""
    args = arguments(description)
    print_table(
        [
            measure(
                label, ("amm", ruleset), config_type(steps=args.steps), strategies, sims, workers
            )
            for sims in args.simulations
            for workers in args.workers
        ]
    )

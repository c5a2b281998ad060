"""Many simulations: the seed schedule, batches for workers, and ordered results.

A run is a :class:`RunPlan` (market, ruleset, options, strategies, seeds). The runner cuts it
into :class:`Task` batches, each a contiguous range of simulations of one match, hands them
to an executor, and puts the returned rows back in simulation order, so the output never
depends on the executor, the number of workers or the batch size.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from arena.errors import ConfigError
from arena.executors import Executor, LocalExecutor
from arena.market import Market, SimulationOutput
from arena.plugins import StrategySource, markets, prepare_markets

__all__ = ["RunPlan", "RunResult", "SeedSchedule", "Task", "run", "run_task", "trace"]

_U64: Final = 2**64
MAX_BATCH: Final = 250


@dataclass(frozen=True)
class SeedSchedule:
    """Simulation ``i`` uses seed ``(start + i * stride) mod 2**64``, as the reference engine.

    A schedule can instead list its seeds (:meth:`of`), e.g. seeds derived from a
    competition's secret root; ``start`` and ``stride`` are then unused.
    """

    count: int
    start: int = 0
    stride: int = 1
    explicit: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ConfigError("the number of simulations must be at least 1")
        if not 0 <= self.start < _U64:
            raise ConfigError("--seed-start must be between 0 and 2**64-1")
        if self.stride % _U64 == 0:
            raise ConfigError("--seed-stride must not be 0 (every simulation would be the same)")
        if self.explicit and (
            len(self.explicit) != self.count or not all(0 <= s < _U64 for s in self.explicit)
        ):
            raise ConfigError("explicit seeds must number `count`, each between 0 and 2**64-1")

    @classmethod
    def of(cls, seeds: Sequence[int]) -> SeedSchedule:
        """A schedule running exactly ``seeds``, in this order."""
        return cls(len(seeds), explicit=tuple(seeds))

    def describe(self) -> str:
        """The schedule in a few words, for people."""
        if self.explicit:
            return f"{self.count} listed seeds"
        return f"seeds {self.start} + i·{self.stride}"

    def seeds(self) -> list[int]:
        """All seeds, in simulation order."""
        if self.explicit:
            return list(self.explicit)
        return [(self.start + i * self.stride) % _U64 for i in range(self.count)]


@dataclass(frozen=True)
class RunPlan:
    """Everything that determines a run's results."""

    market: str
    ruleset: str
    config: Any
    strategies: tuple[StrategySource, ...]
    schedule: SeedSchedule

    def market_plugin(self) -> Market:
        """The market this plan runs."""
        return get_market(self.market)


@dataclass(frozen=True)
class Task:
    """A batch of consecutive simulations of one match, run by one worker."""

    market: str
    ruleset: str
    config: Any
    strategies: tuple[StrategySource, ...]
    match: int
    first_sim: int
    seeds: tuple[int, ...]
    trace: bool = False


def get_market(name: str) -> Market:
    """The registered market called ``name``."""
    found = markets()
    if name not in found:
        raise ConfigError(f"no market called {name!r} (available: {', '.join(sorted(found))})")
    return found[name]


def run_task(task: Task) -> SimulationOutput:
    """Run a batch (inside a worker): simulation numbers become the run's, matches are tagged."""
    ruleset = get_market(task.market).ruleset(task.ruleset)
    output = ruleset.simulate(task.strategies, task.config, task.seeds, trace=task.trace)
    for table in (output.results, *output.tables.values()):
        if "sim" in table.columns:
            table["sim"] += task.first_sim
        table.insert(0, "match", task.match)
    return output


@dataclass
class RunResult:
    """What a run produced.

    ``complete`` is False when the run was interrupted or batches failed; ``results`` then
    holds the simulations that finished.
    """

    plan: RunPlan
    results: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    seconds: float = 0.0
    complete: bool = True
    failures: list[str] = field(default_factory=list)


def plan_tasks(plan: RunPlan, workers: int, batch_size: int | None = None) -> list[Task]:
    """Cut a plan into batches: about two per worker, at most :data:`MAX_BATCH` simulations."""
    ruleset = plan.market_plugin().ruleset(plan.ruleset)
    matches = ruleset.matches(len(plan.strategies))
    seeds = plan.schedule.seeds()
    total_batches = max(1, 2 * workers)
    size = batch_size or max(
        1, min(MAX_BATCH, math.ceil(len(seeds) * len(matches) / total_batches))
    )
    tasks = []
    for match, members in enumerate(matches):
        strategies = tuple(plan.strategies[i] for i in members)
        for first in range(0, len(seeds), size):
            tasks.append(
                Task(
                    plan.market,
                    plan.ruleset,
                    plan.config,
                    strategies,
                    match,
                    first,
                    tuple(seeds[first : first + size]),
                )
            )
    return tasks


def run(
    plan: RunPlan,
    executor: Executor,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int | None = None,
) -> RunResult:
    """Run every simulation of ``plan`` and collect the results in simulation order.

    :param progress: called with (simulations done, simulations in all) as batches finish.
    :param batch_size: simulations per batch (default: about two batches per worker).

    Ctrl-C stops the run: batches not yet started are dropped and the result holds what
    finished, with ``complete`` False.
    """
    tasks = plan_tasks(plan, executor.workers, batch_size)
    total = sum(len(t.seeds) for t in tasks)
    prepare_markets()  # before any worker starts (workers load what it compiled)
    started = time.perf_counter()
    outputs: list[tuple[Task, SimulationOutput]] = []
    failures: list[str] = []
    complete = True
    futures: dict[Future[SimulationOutput], Task] = {}
    try:
        for task in tasks:
            futures[executor.submit(run_task, task)] = task
        done = 0
        for future in executor.as_completed(futures):
            task = futures[future]
            try:
                outputs.append((task, future.result()))
            except Exception as error:
                complete = False
                failures.append(_describe_failure(task, error))
            done += len(task.seeds)
            if progress is not None:
                progress(done, total)
    except KeyboardInterrupt:
        complete = False
        executor.shutdown(cancel=True)
        outputs.extend(
            (task, f.result())
            for f, task in futures.items()
            if f.done()
            and not f.cancelled()
            and f.exception() is None
            and all(task is not t for t, _ in outputs)
        )
    return RunResult(
        plan=plan,
        results=_ordered(o.results for _, o in outputs),
        tables=_merge_tables([o for _, o in outputs]),
        seconds=time.perf_counter() - started,
        complete=complete and len(outputs) == len(tasks),
        failures=failures,
    )


def trace(plan: RunPlan, sim: int, executor: Executor | None = None) -> pd.DataFrame:
    """Step-by-step record of one simulation of ``plan`` (the first match, for solo pairings).

    Columns: ``step, pool, strategy, role, cumulative_edge, spot, fair``. The simulation runs
    in a worker like any other (default: one isolated local worker).

    :raises ConfigError: if ``sim`` is not a simulation of the plan.
    """
    if not 0 <= sim < plan.schedule.count:
        raise ConfigError(f"simulation {sim} is not in the plan (0..{plan.schedule.count - 1})")
    ruleset = plan.market_plugin().ruleset(plan.ruleset)
    members = ruleset.matches(len(plan.strategies))[0]
    strategies = tuple(plan.strategies[i] for i in members)
    seed = plan.schedule.seeds()[sim]
    task = Task(plan.market, plan.ruleset, plan.config, strategies, 0, sim, (seed,), trace=True)
    own = executor is None
    executor = executor or LocalExecutor(1)  # its worker imports while the markets are prepared
    try:
        prepare_markets()
        output = executor.submit(run_task, task).result()
    finally:
        if own:
            executor.shutdown()
    table = output.tables["trace"]
    return table.drop(columns=["match"]).reset_index(drop=True)


def _describe_failure(task: Task, error: BaseException) -> str:
    names = ", ".join(s.label for s in task.strategies)
    last = task.first_sim + len(task.seeds) - 1
    return f"simulations {task.first_sim}-{last} with {names}: {error}"


def _ordered(tables: Any) -> pd.DataFrame:
    frames = [t for t in tables if len(t)]
    if not frames:
        return pd.DataFrame()
    keys = [k for k in ("match", "sim", "pool") if k in frames[0].columns]
    return (
        pd.concat(frames, ignore_index=True).sort_values(keys, kind="stable").reset_index(drop=True)
    )


def _merge_tables(outputs: Sequence[SimulationOutput]) -> dict[str, pd.DataFrame]:
    names = sorted({name for output in outputs for name in output.tables})
    return {name: _ordered(o.tables[name] for o in outputs if name in o.tables) for name in names}

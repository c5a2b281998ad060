"""The hostile corpus: every attack is refused or contained, with a clear message, and nothing
else is affected — not the other strategies' results, not the parent process."""

import contextlib
import os
from concurrent.futures import Future, as_completed
from pathlib import Path

import pandas as pd
import pytest

from arena.amm.propamm import PropAmmConfig
from arena.errors import StrategyLoadError
from arena.executors import SequentialExecutor
from arena.plugins import load_strategies, load_strategy
from arena.runner import RunPlan, RunResult, SeedSchedule, run
from arena.sandbox.process import Limits, SandboxPool
from tests.sandbox.corpus import HONEST, HOSTILE, OUTCOMES, marked_line

RUNTIME = [name for name, outcome in OUTCOMES.items() if outcome.stage != "load"]
LOAD = [name for name, outcome in OUTCOMES.items() if outcome.stage == "load"]
#: A small budget keeps the strategies that burn all of it quick to run.
LIMITS = Limits(budget=20_000, wall_seconds=120.0)
CONFIG = PropAmmConfig(steps=10)


class SandboxExecutor:
    """The runner's executor protocol over a :class:`SandboxPool` with chosen limits."""

    def __init__(self, workers: int, limits: Limits) -> None:
        self.workers = workers
        self._pool = SandboxPool(workers, limits)

    def submit(self, fn, *args) -> Future:
        return self._pool.submit(fn, *args)

    def as_completed(self, futures):
        return as_completed(list(futures))

    def shutdown(self, cancel: bool = False) -> None:
        self._pool.shutdown(cancel)


def sandboxed_run(specs: list[str], limits: Limits = LIMITS) -> RunResult:
    plan = RunPlan("amm", "prop-amm", CONFIG, tuple(load_strategies(specs)), SeedSchedule(2))
    executor = SandboxExecutor(2, limits)
    try:
        return run(plan, executor)
    finally:
        executor.shutdown()


def open_descriptors() -> dict[int, str]:
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the handle os.listdir itself used
            found[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
    return found


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_the_corpus_is_complete() -> None:
    files = {path.stem for path in HOSTILE.glob("*.py")}
    assert files == set(OUTCOMES)
    assert len(files) >= 40
    assert all(marked_line(n) for n, o in OUTCOMES.items() if o.stage == "module")


@pytest.mark.parametrize("name", LOAD)
def test_refused_when_loaded_without_running_anything(name: str) -> None:
    with pytest.raises(StrategyLoadError) as refused:
        load_strategy(str(HOSTILE / f"{name}.py"))
    assert OUTCOMES[name].text in refused.value.message
    assert refused.value.lineno == marked_line(name)


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_run_full_of_hostile_strategies_is_contained() -> None:
    honest = str(HONEST)
    # The honest strategy alone, in this process: the results every run must reproduce.
    alone = run(
        RunPlan("amm", "prop-amm", CONFIG, tuple(load_strategies([honest])), SeedSchedule(2)),
        SequentialExecutor(),
    ).results
    sandboxed_run([honest])  # warms up this process (imports, caches) before measuring it
    descriptors, memory = open_descriptors(), resident_bytes()

    specs = [str(HOSTILE / f"{name}.py") for name in RUNTIME] + [honest]
    result = sandboxed_run(specs)

    assert open_descriptors() == descriptors
    assert resident_bytes() - memory < 64 * 2**20
    table = result.results
    rows = {label: group for label, group in table[table["role"] == "strategy"].groupby("strategy")}
    labels = {load_strategy(spec).origin: load_strategy(spec).label for spec in specs}
    honest_edges = alone[alone["role"] == "strategy"]["edge"].to_numpy()
    pd.testing.assert_frame_equal(
        rows["Honest CP"].reset_index(drop=True),
        alone[alone["role"] == "strategy"]
        .assign(match=rows["Honest CP"]["match"].iloc[0])
        .reset_index(drop=True),
        check_like=True,
    )
    for name in RUNTIME:
        outcome, path = OUTCOMES[name], str(HOSTILE / f"{name}.py")
        label, line = labels[path], marked_line(name)
        if outcome.stage == "module":
            failure = next(f for f in result.failures if f" with {label}:" in f)
            assert outcome.text in failure and f"{path}:{line}" in failure, failure
            assert label not in rows
            continue
        own = rows[label]
        if outcome.stage == "clean":
            assert (own["errors"] == 0).all(), name
        else:
            assert (own["errors"] > 0).all(), name
            first = own["first_error"].iloc[0]
            assert first.startswith(f"{outcome.hook} at step"), (name, first)
            assert outcome.text in first, (name, first)
            if line is not None:
                assert f", line {line}:" in first, (name, first)
        if outcome.same_as_honest:
            assert own["edge"].tolist() == honest_edges.tolist(), name
    # Every batch but the two whose module body fails finished.
    assert len(result.failures) == sum(OUTCOMES[n].stage == "module" for n in RUNTIME)

"""Runs give the same results whatever the executor, the number of workers or batch size."""

import pandas as pd
import pytest

from arena.amm.arena_ruleset import ArenaConfig
from arena.amm.propamm import PropAmmConfig
from arena.errors import ConfigError
from arena.executors import LocalExecutor, SequentialExecutor
from arena.plugins import load_strategies
from arena.runner import RunPlan, SeedSchedule, run


def plan(ruleset, config, names, count=6, start=3, stride=5):
    return RunPlan(
        "amm", ruleset, config, tuple(load_strategies(names)), SeedSchedule(count, start, stride)
    )


def results(plan, executor, batch_size):
    result = run(plan, executor, batch_size=batch_size)
    assert result.complete
    return result


@pytest.mark.parametrize("batch_size", [1, 4])
def test_prop_amm_results_do_not_depend_on_batching(batch_size) -> None:
    p = plan("prop-amm", PropAmmConfig(steps=150), ["starter", "cp30"])
    reference = results(p, SequentialExecutor(), 6).results
    other = results(p, SequentialExecutor(), batch_size).results
    pd.testing.assert_frame_equal(reference, other)


def test_local_workers_give_the_sequential_results() -> None:
    p = plan("arena", ArenaConfig(steps=120, epoch_len=50), ["cp20", "cp50", "normalizer"], count=5)
    sequential = results(p, SequentialExecutor(), 5)
    executor = LocalExecutor(2)
    try:
        local = results(p, executor, 2)
    finally:
        executor.shutdown()
    pd.testing.assert_frame_equal(sequential.results, local.results)
    pd.testing.assert_frame_equal(sequential.tables["epochs"], local.tables["epochs"])


def test_seed_schedule_follows_the_reference() -> None:
    assert SeedSchedule(3, 10, 7).seeds() == [10, 17, 24]
    assert SeedSchedule(2, 2**64 - 1, 2).seeds() == [2**64 - 1, 1]
    with pytest.raises(ConfigError):
        SeedSchedule(3, 0, 2**64)
    with pytest.raises(ConfigError):
        SeedSchedule(0)


def test_results_hold_one_row_per_simulation_and_pool() -> None:
    p = plan("arena", ArenaConfig(steps=60, epoch_len=20), ["cp20", "cp90"], count=3)
    result = results(p, SequentialExecutor(), 3)
    table = result.results
    assert len(table) == 3 * 3
    assert table.groupby("sim")["pool"].apply(list).tolist() == [[0, 1, 2]] * 3
    assert set(table["role"]) == {"strategy", "baseline"}
    assert (table["edge"] - table["arb_edge"] - table["retail_edge"]).abs().max() < 1e-9
    epochs = result.tables["epochs"]
    assert sorted(epochs["epoch"].unique()) == [0, 1, 2]


def test_ctrl_c_stops_promptly_and_keeps_what_finished() -> None:
    """Interrupted after the first batch: queued batches are dropped, running ones stopped."""
    p = plan(
        "prop-amm", PropAmmConfig(steps=3000), ["submissions/starter_compute_swap.py"], count=8
    )
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        raise KeyboardInterrupt

    executor = LocalExecutor(2)
    result = run(p, executor, progress, batch_size=2)
    assert not result.complete
    assert len(seen) == 1
    finished = sorted(result.results["sim"].unique())
    assert 2 <= len(finished) < 8
    # Batches are atomic: a simulation is either fully reported (both pools) or absent.
    assert (result.results.groupby("sim").size() == 2).all()

"""Executors: the same results on every backend, including a Dask cluster."""

import pandas as pd
import pytest

from arena.amm.arena_ruleset import ArenaConfig
from arena.errors import ConfigError
from arena.executors import DaskExecutor, SequentialExecutor, make_executor
from arena.plugins import load_strategies
from arena.runner import RunPlan, SeedSchedule, run


def plan() -> RunPlan:
    strategies = tuple(load_strategies(["cp20", "undercut", "normalizer"]))
    return RunPlan(
        "amm", "arena", ArenaConfig(steps=80, epoch_len=40), strategies, SeedSchedule(4, 11, 3)
    )


def test_dask_cluster_gives_the_sequential_results() -> None:
    distributed = pytest.importorskip("distributed")
    reference = run(plan(), SequentialExecutor(), batch_size=4)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = DaskExecutor(client)
        result = run(plan(), executor, batch_size=2)
        executor.shutdown()
    assert result.complete, result.failures
    pd.testing.assert_frame_equal(reference.results, result.results)
    pd.testing.assert_frame_equal(reference.tables["epochs"], result.tables["epochs"])


def test_unknown_executor_and_missing_scheduler_are_plain_errors() -> None:
    with pytest.raises(ConfigError, match="unknown executor"):
        make_executor("threads")
    with pytest.raises(ConfigError, match="--scheduler"):
        make_executor("dask")


def test_sequential_executor_reports_task_errors_through_the_future() -> None:
    future = SequentialExecutor().submit(lambda: 1 // 0)
    assert isinstance(future.exception(), ZeroDivisionError)


def test_workers_run_with_a_cold_kernel_cache(tmp_path) -> None:
    """Workers may not write files: the parent compiles every kernel they need, first.

    A fresh numba cache (as on a new machine) with a run that uses every kernel: compiled
    pools, compute_swap pools and hooks, in both rulesets.
    """
    import os
    import subprocess
    import sys

    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    for ruleset, names in (
        ("arena", ["cp20", "flow_share", "vol_adaptive"]),
        ("prop-amm", ["starter", "normalizer"]),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "arena",
                "run",
                "-q",
                "--ruleset",
                ruleset,
                "-n",
                "4",
                "--steps",
                "200",
                "-w",
                "2",
                *names,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "failed" not in done.stderr

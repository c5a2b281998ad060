"""Worker processes: a bare start, limits, and deaths that are attributed and contained."""

from io import BytesIO
from pathlib import Path

import pytest

from arena.amm.arena_ruleset import ArenaConfig
from arena.amm.propamm import PropAmmConfig
from arena.plugins import load_strategies
from arena.runner import RunPlan, SeedSchedule, plan_tasks, run, run_task
from arena.sandbox.process import Limits, SandboxPool, WorkerFailed, network_isolation
from arena.sandbox.protocol import (
    ProtocolError,
    RemoteError,
    decode_reply,
    encode_error,
    encode_reply,
    read_frame,
)
from arena.sandbox.worker import worker_facts
from tests.sandbox.corpus import HONEST
from tests.sandbox.test_hostile import SandboxExecutor

HEADER = 'NAME = "{name}"\nMODEL_USED = "None"\n\n\n'
RUNAWAY = HEADER.format(name="Runaway") + (
    "def compute_swap(side, input_amount, reserve_x, reserve_y, storage):\n"
    "    while True:\n"
    "        pass\n"
)
#: A budget no call reaches: the process limits are what stops these strategies.
UNBOUNDED = 10**15


def strategy_file(tmp_path: Path, text: str, name: str = "runaway.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_workers_start_bare_and_limited() -> None:
    limits = Limits(memory_bytes=3 * 2**30)
    pool = SandboxPool(2, limits)
    try:
        facts = [pool.submit(worker_facts).result() for _ in range(2)]
    finally:
        pool.shutdown()
    first = facts[0]
    assert set(first["environment"]) <= {
        "PYTHONHASHSEED",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "LC_CTYPE",
        "PYTHONPATH",  # only if the parent has them (see the next test)
        "NUMBA_CACHE_DIR",
    }
    for fd, target in first["descriptors"].items():
        # stdin/stdout/stderr pipes and the owner note (an unnamed temporary file) only
        assert target.startswith("pipe:") or target.endswith("(deleted)"), (fd, target)
    assert first["limits"]["AS"] == 3 * 2**30
    assert first["limits"]["FSIZE"] == 0 and first["limits"]["CORE"] == 0
    assert first["limits"]["NOFILE"] <= 64
    assert first["cwd"] == "/"
    assert first["hash_seed"] == facts[1]["hash_seed"]  # the same in every worker
    if network_isolation():
        assert first["network"] == "Network is unreachable"


def runaway_run(
    tmp_path: Path,
    limits: Limits,
    specs_extra: list[str],
    ruleset: str = "prop-amm",
    pool_workers: int = 1,
    simulations: int = 2,
    batch_size: int | None = 1,
):
    specs = [strategy_file(tmp_path, RUNAWAY), *specs_extra]
    config = PropAmmConfig(steps=5) if ruleset == "prop-amm" else ArenaConfig(steps=5, epoch_len=5)
    plan = RunPlan("amm", ruleset, config, tuple(load_strategies(specs)), SeedSchedule(simulations))
    executor = SandboxExecutor(pool_workers, limits)
    try:
        return run(plan, executor, batch_size=batch_size)
    finally:
        executor.shutdown()


def test_a_worker_that_cannot_start_says_so_and_is_replaced_for_the_next_task() -> None:
    # 64 MiB of address space is too little to import arena: every worker dies starting.
    pool = SandboxPool(1, Limits(memory_bytes=64 * 2**20), on_death="stop")
    try:
        errors = [pool.submit(worker_facts).exception() for _ in range(2)]
    finally:
        pool.shutdown()
    for error in errors:  # not "the run stopped": no task's code killed a worker
        assert isinstance(error, WorkerFailed) and not error.blamed
        assert str(error).startswith("the worker did not start"), error


def test_past_the_wall_clock_the_strategy_is_named_and_its_other_batches_skipped(tmp_path) -> None:
    limits = Limits(budget=UNBOUNDED, wall_seconds=1.0)
    result = runaway_run(tmp_path, limits, [str(HONEST)])
    assert not result.complete
    first, second = result.failures
    assert "strategy 'Runaway' was running its code when the worker ran longer than 1 s" in first
    assert "not run: strategy 'Runaway' made a worker die earlier in this run" in second
    honest = result.results[result.results["strategy"] == "Honest CP"]
    assert len(honest) == 2 and (honest["errors"] == 0).all()


def test_workers_import_arena_from_where_the_parent_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout run with PYTHONPATH (bench/compare.py does) is what its workers run too."""
    checkout = str(Path(__file__).parents[2])  # this checkout: the same arena as installed
    monkeypatch.setenv("PYTHONPATH", checkout)
    pool = SandboxPool(1, Limits())
    try:
        facts = pool.submit(worker_facts).result()
    finally:
        pool.shutdown()
    assert "PYTHONPATH" in facts["environment"]


def test_past_its_cpu_time_the_strategy_is_named(tmp_path: Path) -> None:
    limits = Limits(budget=UNBOUNDED, cpu_seconds=1, wall_seconds=60.0)
    result = runaway_run(tmp_path, limits, [], simulations=1)
    (failure,) = result.failures
    assert "strategy 'Runaway' was running its code when the worker used more than 1 s" in failure


def test_the_culprit_is_found_among_strategies_sharing_a_batch(tmp_path: Path) -> None:
    limits = Limits(budget=UNBOUNDED, wall_seconds=2.0)
    result = runaway_run(tmp_path, limits, [str(HONEST), "cp30"], ruleset="arena", simulations=1)
    (failure,) = result.failures
    assert "with Runaway, Honest CP, CP 30 bps:" in failure
    assert "strategy 'Runaway' was running its code" in failure


def test_the_stop_policy_refuses_everything_after_a_death(tmp_path: Path) -> None:
    pool = SandboxPool(1, Limits(budget=UNBOUNDED, wall_seconds=1.0), on_death="stop")
    plan = RunPlan(
        "amm",
        "prop-amm",
        PropAmmConfig(steps=5),
        tuple(load_strategies([strategy_file(tmp_path, RUNAWAY), str(HONEST)])),
        SeedSchedule(1),
    )
    tasks = plan_tasks(plan, 1)
    futures = [pool.submit(run_task, task) for task in tasks]
    try:
        errors = [f.exception() for f in futures]
    finally:
        pool.shutdown()
    assert isinstance(errors[0], WorkerFailed) and errors[0].blamed
    assert "not run: the run stopped after a worker died" in str(errors[1])


def test_replies_are_checked_never_trusted() -> None:
    with pytest.raises(ProtocolError):
        decode_reply(b"\x05\x00\x00\x00\x00\x00\x00\x00{nope")
    header = b'{"ok": true, "tables": ["results"], "sizes": [9]}'
    with pytest.raises(ProtocolError):
        decode_reply(len(header).to_bytes(8, "little") + header + b"not arrow")
    with pytest.raises(RemoteError, match="it broke"):
        decode_reply(encode_error("it broke"))
    assert decode_reply(encode_reply({"a": [1, 2]})) == {"a": [1, 2]}
    oversized = (2**40).to_bytes(8, "little")
    with pytest.raises(ProtocolError):
        read_frame(BytesIO(oversized))


@pytest.mark.slow
def test_a_worker_stuck_in_one_long_operation_is_killed_and_the_last_strategy_named(
    tmp_path: Path,
) -> None:
    squaring = HEADER.format(name="Squarer") + (
        "def compute_swap(side, input_amount, reserve_x, reserve_y, storage):\n"
        "    x = 3 ** 2000\n"
        "    for i in range(40):\n"
        "        x = x * x\n"
        "    return 0\n"
    )
    limits = Limits(budget=UNBOUNDED, wall_seconds=3.0, grace_seconds=0.2)
    plan = RunPlan(
        "amm",
        "prop-amm",
        PropAmmConfig(steps=5),
        tuple(load_strategies([strategy_file(tmp_path, squaring)])),
        SeedSchedule(1),
    )
    executor = SandboxExecutor(1, limits)
    try:
        result = run(plan, executor)
    finally:
        executor.shutdown()
    (failure,) = result.failures
    assert "Squarer" in failure  # as the one running, or as the one strategy of the batch

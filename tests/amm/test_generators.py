"""The compiled generators let go of every array they were given once they finish.

numba never finalizes a generator that compiled code created (see :mod:`arena.amm.bundle`): an
engine that handed its bundle of arrays to a sub-generator kept the bundle, and every array in
it, alive forever (1.3 GB after 500 arena simulations in one worker).
"""

import sys

import numpy as np
import pytest

from arena.amm.arena_engine import FEE_SLOTS_POOL, FIXED_POOL, SCRIPTED_POOL, arena_requests
from arena.amm.propamm_engine import prop_amm_requests
from arena.amm.requests import QUOTE

SIMS, STEPS, ORDERS = 2, 20, 2
#: Both paths of the arena engine: constant-product pools only (with hooks), and with a pool
#: quoted by strategy code.
ARENA_FIELDS = pytest.mark.parametrize(
    "kinds",
    [[FEE_SLOTS_POOL, FEE_SLOTS_POOL, FIXED_POOL], [SCRIPTED_POOL, FEE_SLOTS_POOL, FIXED_POOL]],
    ids=["after_swap hooks", "a compute_swap pool"],
)


def orders() -> list[np.ndarray]:
    """Prices near 100 and two retail orders a step: every pool trades, every hook runs."""
    rng = np.random.default_rng(7)
    prices = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (SIMS, STEPS)), axis=1))
    counts = np.full((SIMS, STEPS), ORDERS, dtype=np.int64)
    sizes = rng.uniform(1.0, 50.0, (SIMS, STEPS, ORDERS))
    is_buy = rng.random((SIMS, STEPS, ORDERS)) < 0.5
    return [prices, counts, sizes, is_buy]


def consume(requests, answer: np.ndarray) -> list[int]:  # type: ignore[no-untyped-def]
    """Run a generator to its end, answering its quotes; the step of each request it made."""
    steps = []
    for kind, _, _, amount, _, _, _, step, _ in requests:
        if kind == QUOTE:
            answer[0] = amount // 200  # a plausible quote in nanos; its value does not matter
        steps.append(step)
    return steps


def arena_arrays(kinds: list[int]) -> list[np.ndarray]:
    pools = len(kinds)
    kinds_array = np.array(kinds, dtype=np.int64)
    slots = np.array([[[q for q in range(pools) if q != j][:2] for j in range(pools)]] * SIMS)
    return [
        *orders(),
        np.full((SIMS, pools), 100.0),
        np.full((SIMS, pools), 10_000.0),
        np.full((SIMS, pools, 2), 3_000_000, dtype=np.uint64),
        np.zeros((SIMS, pools, 128), dtype=np.uint64),
        kinds_array,
        kinds_array != FIXED_POOL,
        np.ascontiguousarray(slots, dtype=np.int64),
        np.zeros((SIMS, pools, 4)),
        np.zeros(1, dtype=np.uint64),
        np.zeros(2),
        np.zeros((SIMS, STEPS, 2, pools)),
    ]


@ARENA_FIELDS
def test_arena_generator_releases_its_arrays(kinds: list[int]) -> None:
    arrays = arena_arrays(kinds)
    answer = arrays[12]
    before = [sys.getrefcount(a) for a in arrays]
    served = sum(
        len(consume(arena_requests(sim, 0, STEPS, 0, 0.0, *arrays), answer))
        for _ in range(3)
        for sim in range(SIMS)
    )
    assert served > 0  # the generators paused for strategy code
    assert [sys.getrefcount(a) for a in arrays] == before


@pytest.mark.parametrize("scripted", [False, True], ids=["after_swap hook", "compute_swap"])
def test_prop_amm_generator_releases_its_arrays(scripted: bool) -> None:
    prices, counts, sizes, is_buy = orders()
    arrays = [
        prices,
        np.ones((SIMS, STEPS)),
        counts,
        sizes,
        is_buy,
        np.tile([100.0, 10_000.0, 100.0, 10_000.0], (SIMS, 1)),
        np.full((SIMS, 4), 3_000_000, dtype=np.uint64),
        np.zeros((SIMS, 128), dtype=np.uint64),
        np.full(SIMS, 0.997),
        np.zeros((SIMS, 6)),
        np.zeros(1, dtype=np.uint64),
        np.zeros(1),
        np.zeros((SIMS, STEPS, 4)),
    ]
    answer = arrays[10]
    before = [sys.getrefcount(a) for a in arrays]
    served = sum(
        len(consume(prop_amm_requests(sim, *arrays, 0, 0.0, scripted, True), answer))
        for _ in range(3)
        for sim in range(SIMS)
    )
    assert served > 0
    assert [sys.getrefcount(a) for a in arrays] == before


@ARENA_FIELDS
def test_a_step_without_a_valid_fair_price_trades_nothing(kinds: list[int]) -> None:
    arrays = arena_arrays(kinds)
    prices, answer, trace = arrays[0], arrays[12], arrays[14]
    skipped = [3, 4, 9]
    prices[:, skipped] = [np.nan, 0.0, np.inf]
    asked = {
        step
        for sim in range(SIMS)
        for step in consume(arena_requests(sim, 0, STEPS, 0, 0.0, *arrays), answer)
    }
    assert asked and not asked & set(skipped)  # no quote, no report on those steps
    for t in skipped:  # edges and spots as after the step before
        np.testing.assert_array_equal(trace[:, t], trace[:, t - 1])
    assert not np.array_equal(trace[:, 2], trace[:, 1])  # a valid step does trade

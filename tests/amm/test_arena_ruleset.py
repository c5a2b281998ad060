"""The arena ruleset's contract, seen from the strategies' side, and its fixes of the public
engine's defects (shared/reference/multi-strategy-engine.md §6)."""

import math

import numpy as np
import pytest

from arena.amm.arena_ruleset import ArenaConfig, competitor_slots, simulate_arena
from arena.amm.host import PoolInstance, StrategyHost
from arena.amm.market import AMM_MARKET
from arena.amm.program import StrategyProgram
from arena.plugins import load_strategies
from arena.storage import Storage

WAD_PER_BPS = 10**14


class RecordingProgram:
    """A constant-product strategy (fees in storage) whose hooks record every payload.

    ``calls[k]`` lists what the instance of simulation k received, in order.
    """

    def __init__(self, fee_bps: float) -> None:
        self.fee_bps = fee_bps
        self.calls: list[list[tuple[str, object]]] = []

    def host(self, count: int, memory: np.ndarray) -> StrategyHost:
        return StrategyHost([self.instance() for _ in range(count)], memory)

    def instance(self) -> PoolInstance:
        storage = Storage()
        storage.u64[0] = storage.u64[1] = int(self.fee_bps * WAD_PER_BPS)
        log: list[tuple[str, object]] = []
        self.calls.append(log)
        return PoolInstance(
            storage,
            after_swap=lambda payload, storage: log.append(("swap", payload)),
            epoch_boundary=lambda payload, storage: log.append(("epoch", payload)),
        )


def run(programs, sims=3, **config):
    return simulate_arena(programs, list(range(sims)), ArenaConfig(**config))


def swaps(program, sim):
    return [p for kind, p in program.calls[sim] if kind == "swap"]


def epochs(program, sim):
    return [p for kind, p in program.calls[sim] if kind == "epoch"]


def test_every_after_swap_counts_all_pools_and_names_its_own() -> None:
    """The public engine sent N on arbitrage callbacks and N+1 on retail ones (defect B7)."""
    programs = [RecordingProgram(20), RecordingProgram(30), RecordingProgram(60)]
    run(programs, steps=400, epoch_len=100)
    kinds = set()
    for index, program in enumerate(programs):
        for sim in range(3):
            for payload in swaps(program, sim):
                assert payload.n_strategies == 4
                assert payload.strategy_index == index
                assert payload.epoch_number == payload.sim_step // 100
                assert payload.epoch_step == payload.sim_step % 100
                assert len(payload.competing_spot_prices) == 3
                assert all(math.isfinite(p) and p > 0 for p in payload.competing_spot_prices)
                kinds.add("arb" if payload.flow_captured == 0 else "retail")
    assert kinds == {"arb", "retail"}


def test_the_cheaper_pool_gets_more_of_each_order() -> None:
    """Routing follows fees, not reserves (the public engine split pro rata, B4)."""
    cheap, dear = RecordingProgram(10), RecordingProgram(90)
    run([cheap, dear], sims=2, steps=400)
    share = {
        name: np.mean(
            [p.flow_captured for s in range(2) for p in swaps(program, s) if p.flow_captured > 0]
        )
        for name, program in (("cheap", cheap), ("dear", dear))
    }
    assert share["cheap"] > 2 * share["dear"]


def test_epoch_hook_fires_after_every_epoch_including_the_last() -> None:
    """The public engine skipped the hook after the final epoch (B10); a partial one counts too."""
    programs = [RecordingProgram(20), RecordingProgram(50)]
    result = run(programs, sims=2, steps=250, epoch_len=100)
    for program in programs:
        for sim in range(2):
            assert [p.epoch_number for p in epochs(program, sim)] == [0, 1, 2]
    assert sorted(result.epochs["epoch"].unique()) == [0, 1, 2]


def test_epoch_payloads_carry_floored_weights_that_sum_to_one() -> None:
    programs = [RecordingProgram(f) for f in (10, 20, 40, 80, 160)]
    run(programs, sims=2, steps=600, epoch_len=150, min_weight=0.05)
    for sim in range(2):
        for epoch in range(4):
            weights = [epochs(p, sim)[epoch].capital_weight for p in programs]
            assert math.isclose(sum(weights), 1.0, rel_tol=1e-12)
            assert min(weights) >= 0.05 - 1e-12


def test_rebalancing_keeps_each_spot_and_the_total_value_at_fair() -> None:
    """The public engine valued capital at each pool's own spot and reset sizes (B9)."""
    programs = [RecordingProgram(15), RecordingProgram(45), RecordingProgram(90)]
    run(programs, sims=1, steps=100, epoch_len=100)
    # The last trade of each pool before the boundary gives its spot; the boundary payload
    # gives its new reserves.
    spots = []
    for program in programs:
        last_swap = swaps(program, 0)[-1]
        boundary = epochs(program, 0)[0]
        spots.append(
            (
                last_swap.reserve_y / last_swap.reserve_x,
                boundary.new_reserve_y / boundary.new_reserve_x,
            )
        )
    for before, after in spots:
        assert math.isclose(before, after, rel_tol=1e-6)


def test_a_fifty_percent_fee_pool_gets_no_flow() -> None:
    """In the public engine a ~50% fee won outright and took the capital (B6)."""
    greedy = RecordingProgram(5000)
    result = run([RecordingProgram(20), greedy], sims=4, steps=1000)
    assert not any(p.flow_captured > 0 for s in range(4) for p in swaps(greedy, s))
    assert result.retail_edge[:, 1].sum() == 0.0 and result.arb_edge[:, 1].sum() == 0.0


def test_a_fifty_percent_fee_pool_does_not_win_with_the_defaults(tmp_path) -> None:
    """A pool that never trades scores 0; with the default field and steps, others beat it."""
    greedy = tmp_path / "greedy.py"
    greedy.write_text('NAME = "Fifty percent"\nMODEL_USED = "None"\nFEE_BPS = 5000\n')
    names = [*AMM_MARKET.default_strategies, str(greedy)]
    programs = [StrategyProgram(s) for s in load_strategies(names)]
    result = simulate_arena(programs, list(range(8)), ArenaConfig())
    mean = result.edge[:, : len(programs)].mean(axis=0)
    assert mean[-1] == 0.0
    assert mean.max() > 0.0 and int(mean.argmax()) != len(programs) - 1


def test_competitor_slots_keep_the_normalizer_and_the_richest_others() -> None:
    assert competitor_slots(1, 4, np.array([0.3, 0.3, 0.4])) == [0, 2, 3]
    weights = np.arange(12) / 66.0  # strategy 11 richest, 0 poorest
    slots = competitor_slots(5, 13, weights)
    assert slots[-1] == 12 and len(slots) == 8
    assert slots[:-1] == [4, 6, 7, 8, 9, 10, 11]


def test_an_impossible_capital_floor_is_refused() -> None:
    with pytest.raises(ValueError, match="floor"):
        run([RecordingProgram(20)] * 3, steps=10, min_weight=0.4)

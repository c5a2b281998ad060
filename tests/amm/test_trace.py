"""The step-by-step observer agrees with shorter runs of the same simulations."""

import numpy as np
import pytest

from arena.amm.arena_ruleset import ArenaConfig, simulate_arena
from arena.amm.program import StrategyProgram
from arena.amm.propamm import PropAmmConfig, simulate_prop_amm
from arena.plugins import load_strategies

SEEDS = [0, 5]
STEPS = 30
CHECKED = (0, 6, 13, 29)  # around the epoch ends of epoch_len=7, and the last step


class Recorder:
    def __init__(self) -> None:
        self.steps: list[int] = []
        self.edges: list[np.ndarray] = []
        self.spots: list[np.ndarray] = []

    def __call__(self, step, fair, edge, spot) -> None:
        self.steps.append(step)
        self.edges.append(edge.copy())
        self.spots.append(spot.copy())


def programs(names):
    return [StrategyProgram(s) for s in load_strategies(names)]


def test_arena_trace_matches_shorter_runs() -> None:
    field = ["cp30", "vol_adaptive", "submissions/starter_compute_swap.py"]
    recorder = Recorder()
    simulate_arena(programs(field), SEEDS, ArenaConfig(steps=STEPS, epoch_len=7), recorder)
    assert recorder.steps == list(range(STEPS))
    for t in CHECKED:
        short = simulate_arena(programs(field), SEEDS, ArenaConfig(steps=t + 1, epoch_len=7))
        np.testing.assert_array_equal(recorder.edges[t], short.edge)
    spots = np.array(recorder.spots)
    assert spots.shape == (STEPS, len(SEEDS), len(field) + 1)
    assert np.all(np.isfinite(spots) & (spots > 0))


@pytest.mark.parametrize("name", ["vol_adaptive", "starter"])
def test_prop_amm_trace_matches_shorter_runs(name) -> None:
    recorder = Recorder()
    simulate_prop_amm(programs([name])[0], SEEDS, PropAmmConfig(steps=STEPS), recorder)
    assert recorder.steps == list(range(STEPS))
    for t in CHECKED:
        short = simulate_prop_amm(programs([name])[0], SEEDS, PropAmmConfig(steps=t + 1))
        np.testing.assert_array_equal(recorder.edges[t][:, 0], short.strategy.total)
        np.testing.assert_array_equal(recorder.edges[t][:, 1], short.normalizer.total)
    assert np.all(np.isfinite(np.array(recorder.spots)))

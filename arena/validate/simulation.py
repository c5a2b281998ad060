"""In the worker: a short simulation, run twice (check 5 of :mod:`arena.validate`)."""

from __future__ import annotations

import dataclasses
from typing import Final

from arena.plugins import StrategySource
from arena.runner import get_market
from arena.validate.report import Finding

#: The short simulation: the reference's parity seeds, fewer and shorter.
SIMULATION_SEEDS: Final = tuple(9001 + 7 * i for i in range(8))
SIMULATION_STEPS: Final = 100


def _simulation_checks(source: StrategySource, market: str, ruleset: str | None) -> list[Finding]:
    """A short simulation, twice: identical results, and no errors."""
    chosen = get_market(market).ruleset(ruleset)
    config = chosen.config_type()
    if any(f.name == "steps" for f in dataclasses.fields(config)):
        config = dataclasses.replace(config, steps=SIMULATION_STEPS)
    first, second = (chosen.simulate([source], config, SIMULATION_SEEDS).results for _ in range(2))
    findings = []
    if not first.equals(second):
        findings.append(
            Finding(
                "determinism",
                "fail",
                "the same simulations run twice gave different results",
                "avoid what changes from run to run: iteration order of sets of strings, "
                "repr() of functions",
            )
        )
    else:
        findings.append(Finding("determinism", "pass", "the same simulations run twice agree"))
    own = first[first["role"] == "strategy"]
    errors = int(own["errors"].sum())
    size = f"{len(SIMULATION_SEEDS)} simulations × {SIMULATION_STEPS} steps ({chosen.name} ruleset)"
    if errors:
        first_error = own[own["errors"] > 0].iloc[0]["first_error"]
        findings.append(
            Finding(
                "simulation",
                "fail",
                f"{errors:,} errors in {size}; the first: {first_error}",
                "the engine counts a failing call as a quote of 0 or an unchanged storage: fix the "
                "error at the line named",
            )
        )
    else:
        findings.append(
            Finding("simulation", "pass", f"{size}: no errors, mean edge {own['edge'].mean():+.3f}")
        )
    return findings

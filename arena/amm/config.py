"""Options of the AMM rulesets: the ones they share, each ruleset's, and how an option is declared.

Kept apart from the engines so that reading or checking options never loads compiled code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ArenaConfig", "MarketConfig", "PropAmmConfig", "option"]


def option(default: Any, text: str) -> Any:
    """A config field with a help text shown by the command line."""
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True)
class MarketConfig:
    """Options every AMM ruleset has (the public challenge's defaults)."""

    steps: int = option(10_000, "steps per simulation")
    initial_price: float = option(100.0, "fair price at the start (Y per X)")
    initial_x: float = option(100.0, "each strategy pool's initial X reserve")
    initial_y: float = option(10_000.0, "each strategy pool's initial Y reserve")
    min_arb_profit: float = option(0.01, "smallest profit (Y) an arbitrageur trades for")

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if not (self.initial_price > 0 and self.initial_x > 0 and self.initial_y > 0):
            raise ValueError("initial price and reserves must be positive")


@dataclass(frozen=True)
class PropAmmConfig(MarketConfig):
    """Settings of the ``prop-amm`` ruleset: the shared ones, with the reference's defaults."""


@dataclass(frozen=True)
class ArenaConfig(MarketConfig):
    """Settings of the ``arena`` ruleset: the shared ones, and epochs and capital."""

    steps: int = option(5_000, "steps per simulation")
    epoch_len: int = option(1_000, "steps per epoch; capital is reallocated after each")
    loss_penalty: float = option(2.0, "λ in score = edge − λ·max(0, −edge)")
    temperature: float = option(1.0, "softmax temperature of capital weights (in Y of score)")
    min_weight: float = option(0.02, "floor of every strategy's capital weight")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.epoch_len < 1:
            raise ValueError("epoch-len must be at least 1")
        if not self.temperature > 0:
            raise ValueError("temperature must be positive")
        if not 0 <= self.min_weight <= 1 or self.loss_penalty < 0:
            raise ValueError("min-weight must be in 0..1 and loss-penalty non-negative")

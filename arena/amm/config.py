"""Options of the AMM rulesets: the ones they share, and how an option is declared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MarketConfig", "option"]


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

"""arena: a harness where market-making strategies compete.

Load strategy files, run them over many simulated markets, and score them::

    import arena

    strategies = arena.load_strategies(["starter", "submissions/mine.py"])
    plan = arena.RunPlan("amm", "prop-amm", arena.PropAmmConfig(steps=2000),
                         tuple(strategies), arena.SeedSchedule(100))
    result = arena.run(plan, arena.SequentialExecutor())
    print(arena.summarize(result.results))
"""

import importlib as _importlib
from importlib import metadata as _metadata
from typing import TYPE_CHECKING, Any

from arena.amm.config import ArenaConfig, PropAmmConfig
from arena.errors import ArenaError, ConfigError, StrategyLoadError
from arena.executors import DaskExecutor, Executor, LocalExecutor, SequentialExecutor, make_executor
from arena.market import Market, Ruleset, SimulationOutput
from arena.payloads import AfterSwap, EpochBoundary, PropAmmAfterSwap, SwapRequest
from arena.plugins import StrategySource, load_strategies, load_strategy, markets
from arena.runner import RunPlan, RunResult, SeedSchedule, run, trace
from arena.storage import Storage, StorageError

if TYPE_CHECKING:
    from arena.competition import Competition
    from arena.leaderboard import Leaderboard
    from arena.metrics import summarize
    from arena.receipts import Receipt, read_receipt
    from arena.report import write_report
    from arena.verification import verify

# Scoring, receipts and reports pull in scipy and matplotlib; worker processes, which import
# this package too, never need them, so these names load on first use.
_LAZY = {
    "Competition": "arena.competition",
    "Leaderboard": "arena.leaderboard",
    "Receipt": "arena.receipts",
    "read_receipt": "arena.receipts",
    "summarize": "arena.metrics",
    "verify": "arena.verification",
    "write_report": "arena.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'arena' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


try:
    __version__ = _metadata.version("arena")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "AfterSwap",
    "ArenaConfig",
    "ArenaError",
    "Competition",
    "ConfigError",
    "DaskExecutor",
    "EpochBoundary",
    "Executor",
    "Leaderboard",
    "LocalExecutor",
    "Market",
    "PropAmmAfterSwap",
    "PropAmmConfig",
    "Receipt",
    "Ruleset",
    "RunPlan",
    "RunResult",
    "SeedSchedule",
    "SequentialExecutor",
    "SimulationOutput",
    "Storage",
    "StorageError",
    "StrategyLoadError",
    "StrategySource",
    "SwapRequest",
    "__version__",
    "load_strategies",
    "load_strategy",
    "make_executor",
    "markets",
    "read_receipt",
    "run",
    "summarize",
    "trace",
    "verify",
    "write_report",
]

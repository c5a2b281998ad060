"""arena: a harness where market-making strategies compete.

Load strategy files, run them over many simulated markets, and score them::

    import arena

    strategies = arena.load_strategies(["starter", "submissions/mine.py"])
    plan = arena.RunPlan("amm", "prop-amm", arena.PropAmmConfig(steps=2000),
                         tuple(strategies), arena.SeedSchedule(100))
    result = arena.run(plan, arena.SequentialExecutor())
    print(arena.summarize(result.results))
"""

from importlib.metadata import PackageNotFoundError, version

from arena.amm.propamm import PropAmmConfig
from arena.errors import ArenaError, ConfigError, StrategyLoadError
from arena.executors import DaskExecutor, Executor, LocalExecutor, SequentialExecutor, make_executor
from arena.market import Market, Ruleset, SimulationOutput
from arena.metrics import summarize
from arena.payloads import AfterSwap, EpochBoundary, PropAmmAfterSwap, SwapRequest
from arena.plugins import StrategySource, load_strategies, load_strategy, markets
from arena.runner import RunPlan, RunResult, SeedSchedule, run
from arena.storage import Storage, StorageError

try:
    __version__ = version("arena")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "AfterSwap",
    "ArenaError",
    "ConfigError",
    "DaskExecutor",
    "EpochBoundary",
    "Executor",
    "LocalExecutor",
    "Market",
    "PropAmmAfterSwap",
    "PropAmmConfig",
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
    "run",
    "summarize",
]

"""A competition: what its leaderboard scores every submission on, and its secret seeds.

The owner fixes the market, the ruleset and its configuration, the *field* (the opponents a
submission meets in one market, for rulesets where strategies race together) and the number
of simulations, and draws a secret **seed root** of 32 random bytes. Until the owner reveals
the root, only its commitment ``sha256(root)`` is public (it is in every receipt). Simulation
``i`` (0, 1, …, n−1) of every submission runs on the seed::

    seed_i = int.from_bytes(sha256(root + i.to_bytes(8, "little")).digest()[:8], "little")

so authors cannot choose or predict their seeds, every submission meets the same markets
(common random numbers), and after the reveal anyone can recompute the seeds and check that
they are the committed ones.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from arena.errors import ArenaError, ConfigError, StrategyLoadError
from arena.market import config_from_options, describe_config
from arena.plugins import StrategySource, inspect_source, load_strategy
from arena.runner import RunPlan, SeedSchedule, get_market
from arena.validate import validate_files

__all__ = [
    "SEED_DERIVATION",
    "STRATEGY_FILE",
    "Competition",
    "FieldStrategy",
    "commitment",
    "derive_seeds",
    "load_submission",
    "new_root",
    "parse_root",
]

ROOT_BYTES: Final = 32
#: The seed rule, as written into every receipt.
SEED_DERIVATION: Final = (
    'seed_i = int.from_bytes(sha256(root + i.to_bytes(8, "little"))[:8], "little")'
)
#: The name a submission's source has in its folder, in plans and in messages.
STRATEGY_FILE: Final = "strategy.py"


def new_root() -> bytes:
    """A fresh secret seed root."""
    return secrets.token_bytes(ROOT_BYTES)


def parse_root(text: str) -> bytes:
    """A seed root from its hexadecimal form.

    :raises ConfigError: unless ``text`` is 64 hexadecimal digits.
    """
    try:
        root = bytes.fromhex(text.strip())
    except ValueError:
        root = b""
    if len(root) != ROOT_BYTES:
        raise ConfigError(f"a seed root is {2 * ROOT_BYTES} hexadecimal digits")
    return root


def commitment(root: bytes) -> str:
    """The public commitment to a seed root: its sha256, in hex."""
    return hashlib.sha256(root).hexdigest()


def derive_seeds(root: bytes, indices: Iterable[int]) -> list[int]:
    """The u64 seeds of the simulations ``indices`` (see the module's docstring)."""
    return [
        int.from_bytes(hashlib.sha256(root + i.to_bytes(8, "little")).digest()[:8], "little")
        for i in indices
    ]


@dataclass(frozen=True)
class FieldStrategy:
    """An opponent every submission meets: its file name in submission folders, and text."""

    file: str
    name: str
    source: str

    @property
    def sha256(self) -> str:
        """Hex digest of the source text (UTF-8)."""
        return hashlib.sha256(self.source.encode()).hexdigest()


@dataclass(frozen=True)
class Competition:
    """The public definition of a competition (the seed root itself is never part of it)."""

    title: str
    market: str
    ruleset: str
    config: Mapping[str, Any]
    simulations: int
    field: tuple[FieldStrategy, ...]
    seed_commitment: str

    @classmethod
    def create(
        cls,
        *,
        title: str,
        market: str,
        ruleset: str | None,
        config: Any,
        simulations: int,
        field: Iterable[str],
        root: bytes,
    ) -> Competition:
        """Define a competition; ``field`` names strategies as ``arena run`` does.

        :raises ArenaError: for an unknown market or ruleset, a field strategy that does not
            load, repeated field names, or a field the ruleset cannot race.
        """
        plugin = get_market(market)
        chosen = plugin.ruleset(ruleset)
        specs = list(field)
        loaded = [load_strategy(spec, plugin.hooks) for spec in specs]
        for strategy in loaded:
            plugin.check_strategy(strategy)
        names = [s.name for s in loaded]
        if len(set(names)) != len(names):
            raise ConfigError("the field's strategies must have different NAMEs")
        if chosen.pairing == "solo" and loaded:
            raise ConfigError(
                f"the {chosen.name} ruleset races each submission alone against the market's "
                "baseline: it takes no field"
            )
        if 1 + len(loaded) > chosen.max_strategies:
            raise ConfigError(
                f"the {chosen.name} ruleset races at most {chosen.max_strategies} strategies"
            )
        if simulations < 1:
            raise ConfigError("a competition needs at least 1 simulation")
        return cls(
            title=title,
            market=plugin.name,
            ruleset=chosen.name,
            config=describe_config(config),
            simulations=simulations,
            field=tuple(
                FieldStrategy(_field_file(i, spec), s.name, s.source)
                for i, (spec, s) in enumerate(zip(specs, loaded, strict=True))
            ),
            seed_commitment=commitment(root),
        )

    def public(self) -> dict[str, Any]:
        """The definition as JSON-ready data, with the field's hashes but not its sources."""
        return {
            "title": self.title,
            "market": self.market,
            "ruleset": self.ruleset,
            "config": dict(self.config),
            "simulations": self.simulations,
            "field": [{"file": f.file, "name": f.name, "sha256": f.sha256} for f in self.field],
            "seeds": {"commitment": self.seed_commitment, "derivation": SEED_DERIVATION},
        }

    @classmethod
    def from_public(cls, data: Mapping[str, Any], sources: Mapping[str, str]) -> Competition:
        """Rebuild a definition from :meth:`public` data and the field's sources by file name.

        :raises ArenaError: if ``data`` is not such a definition or a source is missing.
        """
        try:
            field = tuple(
                FieldStrategy(str(entry["file"]), str(entry["name"]), sources[entry["file"]])
                for entry in data["field"]
            )
            return cls(
                title=str(data["title"]),
                market=str(data["market"]),
                ruleset=str(data["ruleset"]),
                config=dict(data["config"]),
                simulations=int(data["simulations"]),
                field=field,
                seed_commitment=str(data["seeds"]["commitment"]),
            )
        except KeyError as missing:
            raise ArenaError(f"the competition definition lacks {missing}") from None
        except (TypeError, ValueError):
            raise ArenaError("the competition definition is malformed") from None

    def opens(self, root: bytes) -> bool:
        """Whether ``root`` is the seed root this competition committed to."""
        return commitment(root) == self.seed_commitment

    def schedule(self, root: bytes, indices: Iterable[int] | None = None) -> SeedSchedule:
        """The seeds of simulations ``indices`` (default: all of them), in that order."""
        chosen = range(self.simulations) if indices is None else indices
        return SeedSchedule.of(derive_seeds(root, chosen))

    def plan(self, source: str, schedule: SeedSchedule) -> RunPlan:
        """The run scoring a submission's ``source``: the submission first, then the field.

        Strategies are named by their file names in a submission folder, so results never
        depend on where the files were read from.
        """
        plugin = get_market(self.market)
        ruleset = plugin.ruleset(self.ruleset)
        strategies = [inspect_source(source, STRATEGY_FILE, hooks=plugin.hooks)]
        strategies += [inspect_source(f.source, f.file, hooks=plugin.hooks) for f in self.field]
        config = config_from_options(ruleset.config_type, self.config)
        return RunPlan(self.market, self.ruleset, config, tuple(strategies), schedule)


def load_submission(path: str, competition: Competition, trusted: bool = False) -> StrategySource:
    """Validate a file submitted to ``competition`` and load it.

    This is where ``arena submit`` checks a file before scoring it: the full checks of
    ``arena validate`` (its code runs in an isolated worker unless ``trusted``), then that
    its NAME is not one of the field's.

    :raises ArenaError: for a file that fails validation or whose NAME a field strategy has.
    """
    (report,) = validate_files(
        [path], market=competition.market, ruleset=competition.ruleset, trusted=trusted
    )
    if not report.ok:
        failed = [f"{f.check}: {f.message}" for f in report.findings if f.status == "fail"]
        problems = "; ".join(failed)
        raise StrategyLoadError(
            f"failed validation ({problems}); `arena validate {path}` says how to fix it", path
        )
    strategy = load_strategy(path, get_market(competition.market).hooks)
    if strategy.name in {f.name for f in competition.field}:
        raise StrategyLoadError(
            f"NAME {strategy.name!r} is taken by a strategy of the competition's field; "
            "choose another",
            path,
        )
    return strategy


def _field_file(index: int, spec: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", spec.rsplit("/", 1)[-1].removesuffix(".py"))
    return f"field/{index:02d}_{stem or 'strategy'}.py"

"""In the parent: loading (check 1 of :mod:`arena.validate`), dispatching to workers, caching."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence
from typing import Final

from arena.errors import StrategyLoadError
from arena.executors import SequentialExecutor
from arena.plugins import StrategySource, load_strategy, prepare_markets
from arena.runner import get_market
from arena.sandbox import RestrictionError
from arena.sandbox.process import Limits, SandboxPool, WorkerFailed
from arena.validate.behaviour import Profile, check_behaviour
from arena.validate.report import Finding, Report, _load_hint

#: Limits of a validation worker: one file's checks take seconds, not hours.
VALIDATION_LIMITS: Final = Limits(cpu_seconds=120, wall_seconds=180.0)

_CacheKey = tuple[str, str, str | None, str]
_CACHE: dict[_CacheKey, Report] = {}


def _has_code(source: StrategySource) -> bool:
    """Whether the file has anything to run beyond literal constants and its docstring."""
    for node in ast.parse(source.source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            try:
                ast.literal_eval(node.value)
                continue
            except ValueError:
                pass
        return True
    return False


def _static_report(source: StrategySource) -> Report:
    hooks = ", ".join(sorted(source.hooks)) or "none (a constant-product pool, fees in storage)"
    return Report(
        source.origin,
        source.name,
        source.model_used,
        source.sha256,
        [Finding("load", "pass", f"compiles; NAME and MODEL_USED are set; hooks: {hooks}")],
    )


def validate_sources(
    sources: Sequence[StrategySource],
    *,
    market: str = "amm",
    ruleset: str | None = None,
    profile: Profile = "full",
    trusted: bool = False,
    workers: int = 2,
) -> list[Report]:
    """Validate loaded strategies; their code runs in isolated workers unless ``trusted``."""
    reports: dict[int, Report] = {}
    pending: list[tuple[int, StrategySource, _CacheKey]] = []
    for index, source in enumerate(sources):
        key: _CacheKey = (source.sha256, market, ruleset, profile)
        if key in _CACHE:
            reports[index] = dataclasses.replace(_CACHE[key], origin=source.origin)
        elif profile == "quick" and not _has_code(source):
            reports[index] = _static_report(source)
            reports[index].findings.append(Finding("module", "pass", "only constants to run"))
        else:
            pending.append((index, source, key))
    executor: SandboxPool | SequentialExecutor = SequentialExecutor()
    if pending and not trusted:
        executor = SandboxPool(min(workers, len(pending)), VALIDATION_LIMITS)
    try:
        if isinstance(executor, SandboxPool):
            prepare_markets()  # while the workers import; they load what it compiled
        futures = [
            (index, source, key, executor.submit(check_behaviour, source, market, ruleset, profile))
            for index, source, key in pending
        ]
        for index, source, key, future in futures:
            report = _static_report(source)
            try:
                outcome = future.result()
                report.findings += [Finding(**f) for f in outcome["findings"]]
                report.printed = str(outcome["printed"])
            except WorkerFailed as error:
                report.findings.append(
                    Finding(
                        "sandbox",
                        "fail",
                        f"the worker failed: {error}",
                        "see the checks above and the README's limits",
                    )
                )
            reports[index] = _CACHE[key] = report
    finally:
        executor.shutdown()
    return [reports[i] for i in range(len(sources))]


def validate_files(
    specs: Sequence[str],
    *,
    market: str = "amm",
    ruleset: str | None = None,
    profile: Profile = "full",
    trusted: bool = False,
    workers: int = 2,
) -> list[Report]:
    """Load and validate strategy files (paths or names), one report each, in order."""
    plugin = get_market(market)
    loaded: list[StrategySource] = []
    reports: list[Report | None] = []
    for spec in specs:
        try:
            source = load_strategy(spec, plugin.hooks)
            plugin.check_strategy(source)
        except StrategyLoadError as error:
            hint = error.hint if isinstance(error, RestrictionError) else _load_hint(error.message)
            failed = Finding("load", "fail", error.message, hint, error.lineno)
            reports.append(Report(spec, findings=[failed]))
            continue
        loaded.append(source)
        reports.append(None)
    checked = iter(
        validate_sources(
            loaded,
            market=market,
            ruleset=ruleset,
            profile=profile,
            trusted=trusted,
            workers=workers,
        )
    )
    return [r if r is not None else next(checked) for r in reports]

"""``arena run`` and ``arena strategies``: race strategies and show the ranking."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from arena.cli._common import (
    _config,
    _executor_options,
    _fmt,
    _friendly,
    _market,
    _market_options,
    _plus_minus,
    _ruleset_options,
    _started_executor,
    console,
    errors,
)
from arena.errors import ConfigError
from arena.executors import Executor
from arena.metrics import CONFIDENCE, summarize
from arena.plugins import StrategySource, builtin_strategy_names, load_strategies
from arena.runner import RunPlan, RunResult, SeedSchedule, run
from arena.validate import ValidationFailed, validate_sources


@click.command("run")
@click.argument("strategies", nargs=-1, metavar="[STRATEGY]...")
@_market_options
@click.option(
    "-n",
    "--simulations",
    type=click.IntRange(min=1),
    help="Number of simulations [ruleset default].",
)
@click.option(
    "--seed-start",
    type=click.IntRange(0, 2**64 - 1),
    default=0,
    show_default=True,
    help="Seed of simulation 0.",
)
@click.option(
    "--seed-stride",
    type=click.IntRange(1, 2**64 - 1),
    default=1,
    show_default=True,
    help="Seed increment between simulations (simulation i uses start + i*stride).",
)
@_executor_options
@click.option("--batch-size", type=click.IntRange(min=1), help="Simulations per worker batch.")
@click.option(
    "--per-sim",
    "per_sim",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one row per simulation and pool (.csv or .parquet).",
)
@click.option(
    "--epochs",
    "epochs_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write each strategy's capital weight, edge and score per epoch and simulation "
    "(.csv or .parquet; rulesets with epochs).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the ranked summary as JSON.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the ranked summary as CSV.",
)
@click.option(
    "--no-validate",
    is_flag=True,
    help="Skip the quick validation of strategy files before the run (built-in strategies "
    "are never re-validated).",
)
@_ruleset_options
@_friendly
def run_command(
    strategies: tuple[str, ...],
    market_name: str,
    ruleset: str | None,
    simulations: int | None,
    seed_start: int,
    seed_stride: int,
    workers: int | None,
    executor: str,
    scheduler: str | None,
    batch_size: int | None,
    per_sim: Path | None,
    epochs_path: Path | None,
    json_path: Path | None,
    csv_path: Path | None,
    quiet: bool,
    no_validate: bool,
    **options: Any,
) -> None:
    """Race strategies over many simulated markets and rank them.

    STRATEGY is a strategy file (path/to/file.py), the name of a built-in strategy (see
    `arena strategies`) or of an installed one. Without any, the market's built-in set runs.

    \b
    Examples:
      arena run
      arena run --ruleset prop-amm starter submissions/mine.py
      arena run --ruleset prop-amm -n 1000 --steps 10000 --per-sim sims.parquet starter
    """
    market = _market(market_name)
    chosen = market.ruleset(ruleset)
    loaded = load_strategies(strategies or market.default_strategies, market.hooks)
    for strategy in loaded:
        market.check_strategy(strategy)
    given = {k: v for k, v in options.items() if v is not None}
    config = _config(chosen.config_type, given, chosen.name)
    if chosen.pairing == "all" and len(loaded) > chosen.max_strategies:
        raise ConfigError(
            f"the {chosen.name} ruleset takes at most {chosen.max_strategies} strategies"
        )
    plan = RunPlan(
        market=market.name,
        ruleset=chosen.name,
        config=config,
        strategies=tuple(loaded),
        schedule=SeedSchedule(simulations or chosen.default_simulations, seed_start, seed_stride),
    )
    for path in (per_sim, epochs_path, json_path, csv_path):
        if path is not None and not path.parent.exists():
            raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist")
    for option, path in (("--per-sim", per_sim), ("--epochs", epochs_path)):
        if path is not None and path.suffix not in (".csv", ".parquet"):
            raise ConfigError(f"{option} takes a .csv or .parquet file name")
    if epochs_path is not None and "epochs" not in chosen.tables:
        raise ConfigError(
            f"the {chosen.name} ruleset has no epochs (--epochs applies to rulesets with epochs)"
        )
    with _started_executor(executor, workers, scheduler) as pool:
        # Validation (arena.validate, issue 4): every distinct file in a sandbox, once per
        # session; the run's workers start meanwhile.
        if not no_validate:
            _validate_before_run(loaded, market.name, trusted=executor == "sequential")
        result = _run_with_progress(plan, pool, batch_size, quiet)
    summary = summarize(result.results)
    _print_summary(plan, result, summary)
    if per_sim is not None and not result.results.empty:
        _write_table(result.results, per_sim)
    if epochs_path is not None and "epochs" in result.tables:
        _write_table(result.tables["epochs"], epochs_path)
    if json_path is not None:
        json_path.write_text(
            json.dumps(_summary_records(summary), indent=2, allow_nan=False) + "\n"
        )
    if csv_path is not None:
        summary.to_csv(csv_path, index=False)
    if not result.complete:
        sys.exit(1)


@click.command("strategies")
@_friendly
def strategies_command() -> None:
    """List the built-in strategies (usable by name in `arena run`)."""
    table = Table("name", "NAME", "kind", box=None)
    for name in builtin_strategy_names():
        (strategy,) = load_strategies([name])
        kind = "compute_swap" if "compute_swap" in strategy.hooks else "constant product"
        table.add_row(name, strategy.name, kind)
    console.print(table)


def _validate_before_run(loaded: list[StrategySource], market: str, trusted: bool) -> None:
    """Quick validation of the strategies of a run (cached per source for this process).

    Built-in strategies are left out: arena's tests validate every one of them.

    :raises ValidationFailed: naming each problem, if a file is not valid.
    """
    distinct = list({s.sha256: s for s in loaded if not s.builtin}.values())
    reports = validate_sources(distinct, market=market, profile="quick", trusted=trusted)
    failed = [r for r in reports if not r.ok]
    if failed:
        raise ValidationFailed(failed)


def _run_with_progress(
    plan: RunPlan, executor: Executor, batch_size: int | None, quiet: bool
) -> RunResult:
    columns = (
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=errors, transient=True, disable=quiet) as bar:
        task = bar.add_task("run", total=plan.schedule.count * _match_count(plan), rate="")

        def progress(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:.1f} sims/s" if elapsed > 0 else ""
            bar.update(task, completed=done, rate=rate)

        result = run(plan, executor, progress, batch_size)
    if not result.complete:
        done = result.results["sim"].nunique() if not result.results.empty else 0
        errors.print(f"[yellow]stopped early:[/] {done} simulations finished", highlight=False)
    for failure in result.failures:
        errors.print(f"[red]batch failed:[/] {failure}", highlight=False)
    return result


def _match_count(plan: RunPlan) -> int:
    return len(plan.market_plugin().ruleset(plan.ruleset).matches(len(plan.strategies)))


def _print_summary(plan: RunPlan, result: RunResult, summary: pd.DataFrame) -> None:
    if summary.empty:
        console.print("no simulation finished")
        return
    solo = plan.market_plugin().ruleset(plan.ruleset).pairing == "solo"
    level = f"{CONFIDENCE:.0%}"
    table = Table(title=f"{plan.market} · {plan.ruleset} ruleset", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Strategy")
    table.add_column(f"Mean edge ± {level} CI", justify="right")
    table.add_column("Std", justify="right")
    table.add_column("Sharpe", justify="right")
    if solo:
        table.add_column("Normalizer", justify="right")
    table.add_column(f"vs Normalizer ± {level} CI", justify="right")
    if "capital_share" in summary.columns:
        table.add_column("Final cap %", justify="right")
    costly = "units_per_call" in summary.columns
    if costly:
        table.add_column("Units/call", justify="right")
    table.add_column("Errors", justify="right")
    rank = 0
    for row in summary.to_dict(orient="records"):
        is_strategy = row["role"] == "strategy"
        if solo and not is_strategy:
            continue  # each strategy met its own normalizer: shown in the Normalizer column
        rank += is_strategy
        cells = [
            str(rank) if is_strategy else "",
            str(row["strategy"]) if is_strategy else f"[dim]{row['strategy']}[/]",
            _fmt(row["mean_edge"], sign=True) + _plus_minus(row["ci_low"], row["ci_high"]),
            _fmt(row["std"]),
            _fmt(row["sharpe"], 3),
        ]
        if solo:
            cells.append(_fmt(row.get("baseline_edge", math.nan), sign=True))
        vs = row.get("vs_baseline", math.nan)
        interval = _plus_minus(row.get("vs_ci_low", math.nan), row.get("vs_ci_high", math.nan))
        cells.append(_fmt(vs, sign=True) + interval if is_strategy else "")
        if "capital_share" in summary.columns:
            share = row.get("capital_share", math.nan)
            cells.append(_fmt(100 * share, 1) if is_strategy else "")
        if costly:
            cells.append(_fmt(row.get("units_per_call", math.nan), 0))
        cells.append(str(row["errors"]) if row["errors"] else "")
        table.add_row(*cells)
    console.print(table)
    steps = getattr(plan.config, "steps", None)
    sims = plan.schedule.count
    per_sim = result.seconds / max(sims * _match_count(plan), 1) * 1000
    console.print(
        f"{sims} simulations"
        + (f" × {steps} steps" if steps else "")
        + f", {plan.schedule.describe()}"
        + f" · {result.seconds:.2f} s wall ({per_sim:.1f} ms per simulation)",
        highlight=False,
    )
    _print_strategy_errors(result.results)


def _print_strategy_errors(results: pd.DataFrame) -> None:
    if "first_error" not in results.columns:
        return
    failing = results[results["errors"] > 0]
    for label, group in failing.groupby("strategy", sort=False):
        first = group.iloc[0]
        errors.print(
            f"[yellow]{label}[/]: {int(group['errors'].sum())} errors in {len(group)} simulations; "
            f"first, in simulation {first['sim']}: {first['first_error']}",
            highlight=False,
        )


def _summary_records(summary: pd.DataFrame) -> list[dict[str, Any]]:
    records = summary.to_dict(orient="records")
    return [
        {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in records
    ]


def _write_table(table: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)

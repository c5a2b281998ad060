"""The ``arena`` command."""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from arena import __version__
from arena.competition import Competition, load_submission, new_root, parse_root
from arena.errors import ArenaError, ConfigError
from arena.executors import EXECUTORS, make_executor
from arena.leaderboard import RANKINGS, Entry, Leaderboard, secret_path
from arena.market import Market, config_from_options
from arena.metrics import CONFIDENCE, summarize
from arena.plugins import StrategySource, builtin_strategy_names, load_strategies, markets
from arena.receipts import RECEIPT_FILE, competition_section, issue, read_receipt
from arena.report import load as load_report
from arena.report import write_report
from arena.runner import RunPlan, RunResult, SeedSchedule, run
from arena.validate import ValidationFailed, render, validate_files, validate_sources
from arena.verification import verify

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
# Piped output gets a fixed width instead of rich's 80 columns, so tables do not wrap.
console = Console(width=None if sys.stdout.isatty() else 120)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def _friendly(command: F) -> F:
    """Show arena's errors as one plain sentence and exit with status 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ArenaError as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="arena")
def main() -> None:
    """Race market-making strategies on simulated markets and rank them on edge and Sharpe.

    \b
    Quick start:
      arena run                         the built-in strategies on the default market
      arena run submissions/mine.py     your strategy against them
      arena strategies                  what is built in
    """


def _ruleset_options(command: F) -> F:
    """Add a ``--option`` for every field of every ruleset's configuration."""
    fields: dict[str, list[tuple[str, dataclasses.Field[Any]]]] = {}
    for market in markets().values():
        for ruleset in market.rulesets.values():
            for field in dataclasses.fields(ruleset.config_type):
                fields.setdefault(field.name, []).append((ruleset.name, field))
    for name, owners in sorted(fields.items(), reverse=True):
        defaults = "; ".join(f"{rs}: {f.default}" for rs, f in owners)
        text = owners[0][1].metadata.get("help", name.replace("_", " "))
        kind = type(owners[0][1].default)
        command = click.option(
            f"--{name.replace('_', '-')}",
            name,
            type=kind,
            default=None,
            help=f"{text} [{defaults}]",
        )(command)
    return command


@main.command("run")
@click.argument("strategies", nargs=-1, metavar="[STRATEGY]...")
@click.option(
    "--market", "market_name", default="amm", show_default=True, help="Market to simulate."
)
@click.option("--ruleset", help="Rules of the market (default: the market's own default).")
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
@click.option("-w", "--workers", type=click.IntRange(min=1), help="Worker processes [all cores].")
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="Where simulations run: isolated local processes, this process (trusted code "
    "only, for debugging), or a Dask cluster.",
)
@click.option(
    "--scheduler", metavar="ADDRESS", help="Dask scheduler address, with --executor dask."
)
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
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--no-validate",
    is_flag=True,
    help="Skip the quick validation of strategy files before the run.",
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
    # -- validation (arena.validate, issue 4): every distinct file, in a sandbox, once per session
    if not no_validate:
        _validate_before_run(loaded, market.name, trusted=executor == "sequential")
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
    result = _run_with_progress(plan, executor, workers, scheduler, batch_size, quiet)
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


@main.command("strategies")
@_friendly
def strategies_command() -> None:
    """List the built-in strategies (usable by name in `arena run`)."""
    table = Table("name", "NAME", "kind", box=None)
    for name in builtin_strategy_names():
        (strategy,) = load_strategies([name])
        kind = "compute_swap" if "compute_swap" in strategy.hooks else "constant product"
        table.add_row(name, strategy.name, kind)
    console.print(table)


@main.command("validate")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--market", "market_name", default="amm", show_default=True, help="Market the files are for."
)
@click.option("--ruleset", help="Ruleset of the short simulation (default: the market's own).")
@click.option("--quick", is_flag=True, help="Skip the short simulations (what `arena run` checks).")
@click.option(
    "--executor",
    type=click.Choice(["local", "sequential"]),
    default="local",
    show_default=True,
    help="Run the files' code in an isolated worker, or in this process (trusted code "
    "only, for debugging).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@_friendly
def validate_command(
    *,
    files: tuple[str, ...],
    market_name: str,
    ruleset: str | None,
    quick: bool,
    executor: str,
    as_json: bool,
) -> None:
    """Check strategy files and say, in plain words, what is wrong and how to fix it.

    FILE is a strategy file or the name of a built-in or installed strategy. Checks: the file
    compiles under the sandbox's rules (with line numbers); NAME, MODEL_USED and the hooks;
    compute_swap quotes, is monotonic and concave in the integer 1e-9 domain on both sides;
    every hook survives 32 random states; a short simulation runs without errors and gives the
    same results twice; the work units each call costs, against the budget.

    Exit status: 0 when every file is valid, 1 when one is not, 2 when arena could not check.

    \b
    Examples:
      arena validate submissions/mine.py
      arena validate --json submissions/*.py > report.json
    """
    _market(market_name)
    reports = validate_files(
        files,
        market=market_name,
        ruleset=ruleset,
        profile="quick" if quick else "full",
        trusted=executor == "sequential",
    )
    if as_json:
        click.echo(json.dumps([r.to_json() for r in reports], indent=2))
    else:
        for report in reports:
            console.print(render(report), highlight=False, markup=False)
    sys.exit(0 if all(r.ok for r in reports) else 1)


def _validate_before_run(loaded: list[StrategySource], market: str, trusted: bool) -> None:
    """Quick validation of the strategies of a run (cached per source for this process).

    :raises ValidationFailed: naming each problem, if a file is not valid.
    """
    distinct = list({s.sha256: s for s in loaded}.values())
    reports = validate_sources(distinct, market=market, profile="quick", trusted=trusted)
    failed = [r for r in reports if not r.ok]
    if failed:
        raise ValidationFailed(failed)


def _market(name: str) -> Market:
    found = markets()
    if name not in found:
        raise ConfigError(f"no market called {name!r} (available: {', '.join(sorted(found))})")
    return found[name]


def _config(config_type: type, options: dict[str, Any], ruleset: str) -> Any:
    known = {f.name for f in dataclasses.fields(config_type)}
    foreign = sorted(set(options) - known)
    if foreign:
        names = ", ".join(f"--{n.replace('_', '-')}" for n in foreign)
        raise ConfigError(f"{names} does not apply to the {ruleset} ruleset")
    return config_from_options(config_type, options)


def _run_with_progress(
    plan: RunPlan,
    executor_name: str,
    workers: int | None,
    scheduler: str | None,
    batch_size: int | None,
    quiet: bool,
) -> RunResult:
    executor = make_executor(executor_name, workers, scheduler)
    columns = (
        TextColumn("[bold]simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=errors, transient=True, disable=quiet) as bar:
            task = bar.add_task("run", total=plan.schedule.count * _match_count(plan), rate="")

            def progress(done: int, total: int) -> None:
                elapsed = bar.tasks[0].elapsed or 0.0
                rate = f"{done / elapsed:.1f} sims/s" if elapsed > 0 else ""
                bar.update(task, completed=done, rate=rate)

            result = run(plan, executor, progress, batch_size)
    finally:
        executor.shutdown()
    if not result.complete:
        done = result.results["sim"].nunique() if not result.results.empty else 0
        errors.print(f"[yellow]stopped early:[/] {done} simulations finished", highlight=False)
    for failure in result.failures:
        errors.print(f"[red]batch failed:[/] {failure}", highlight=False)
    return result


def _match_count(plan: RunPlan) -> int:
    return len(plan.market_plugin().ruleset(plan.ruleset).matches(len(plan.strategies)))


def _fmt(value: float, digits: int = 2, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _plus_minus(low: float, high: float) -> str:
    half = (high - low) / 2
    return "" if math.isnan(half) else f" ± {half:.2f}"


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


# -- competitions: the leaderboard, submissions, verification, reports ------------------------

DEFAULT_DB = Path("competition/leaderboard.db")
_MARKS = {
    "ok": "[green]✓[/]",
    "fail": "[bold red]✗[/]",
    "note": "[yellow]·[/]",
    "skip": "[yellow]?[/]",
}


def _db_option(command: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ARENA_LEADERBOARD",
        default=DEFAULT_DB,
        show_default=True,
        help="The leaderboard database (or set ARENA_LEADERBOARD); the secret seed root and "
        "the submission folders live beside it.",
    )(command)


def _executor_options(command: F) -> F:
    for option in reversed(
        (
            click.option(
                "--executor",
                type=click.Choice(EXECUTORS),
                default="local",
                show_default=True,
                help="Where simulations run (local: isolated worker processes).",
            ),
            click.option(
                "-w", "--workers", type=click.IntRange(min=1), help="Worker processes [all cores]."
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="Dask scheduler address, with --executor dask.",
            ),
            click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        )
    ):
        command = option(command)
    return command


def _inherited_db(ctx: click.Context, db: Path) -> Path:
    """A subcommand's ``--db``, or the group's when only that was given."""
    if ctx.get_parameter_source("db") is click.core.ParameterSource.DEFAULT and ctx.parent:
        parent_db: Path = ctx.parent.params["db"]
        return parent_db
    return db


@main.group("leaderboard", invoke_without_command=True)
@_db_option
@click.option(
    "--by",
    type=click.Choice(sorted(RANKINGS)),
    default="edge",
    show_default=True,
    help="Rank on mean edge or on Sharpe (mean/std across simulations).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the ranking as CSV.")
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="List every submission, not only the latest of each strategy.",
)
@click.pass_context
@_friendly
def leaderboard_command(
    ctx: click.Context, *, db: Path, by: str, as_json: bool, as_csv: bool, every: bool
) -> None:
    """Rank a competition's strategies; `init` and `reveal` are for its owner.

    The latest submission of each author's strategy (NAME) counts: resubmitting replaces
    your entry, so nobody keeps the luckiest of many tries on the same secret seeds.

    \b
    Examples:
      arena leaderboard init -n 200 --steps 5000   the owner sets up a competition (once)
      arena submit alice.py --author alice         the owner scores a file and records it
      arena leaderboard --by sharpe                anyone reads the ranking
      arena leaderboard --json > ranking.json      ... or publishes it
      arena leaderboard reveal                     the owner publishes the seeds (closes it)
    """
    if ctx.invoked_subcommand is not None:
        return
    if as_json and as_csv:
        raise ConfigError("choose one of --json and --csv")
    with Leaderboard.open(db) as board:
        competition = board.competition()
        entries = board.ranking(by, every)
        root = board.revealed_root()
    records = [dataclasses.asdict(entry) for entry in entries]
    if as_json:
        public = competition_section(competition)
        document = {
            "competition": public,
            "ranked_by": RANKINGS[by],
            "counts": "every submission" if every else "latest submission of each (author, NAME)",
            "seed_root": None if root is None else root.hex(),
            "entries": records,
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif as_csv:
        fields = list(Entry.__dataclass_fields__)
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    else:
        _print_leaderboard(competition, entries, by, every, root)


def _print_leaderboard(
    competition: Competition, entries: list[Entry], by: str, every: bool, root: bytes | None
) -> None:
    level = f"{CONFIDENCE:.0%}"
    table = Table(
        title=f"{competition.title} · {competition.ruleset} ruleset · "
        f"{competition.simulations} simulations",
        title_justify="left",
    )
    texts = ("Author", "Strategy", "Model", "Date (UTC)", "Receipt")
    numbers = (f"Edge ± {level} CI", "vs Normalizer", "Sharpe", "Sims")
    for name in ("#", *texts[:3], *numbers, *texts[3:]):
        table.add_column(name, justify="left" if name in texts else "right")
    for e in entries:
        table.add_row(
            str(e.rank),
            e.author,
            e.name,
            e.model_used,
            _fmt(_nan(e.mean_edge), sign=True) + _plus_minus(_nan(e.ci_low), _nan(e.ci_high)),
            _fmt(_nan(e.vs_baseline), sign=True),
            _fmt(_nan(e.sharpe), 3),
            str(e.simulations),
            e.submitted_at[:16].replace("T", " "),
            e.receipt_id[:12],
        )
    console.print(table if entries else "no submissions yet: `arena submit FILE --author NAME`")
    counted = "every submission" if every else "the latest submission of each author's strategy"
    seeds = (
        f"revealed: {root.hex()}"
        if root
        else f"secret, committed to sha256 {competition.seed_commitment[:16]}…"
    )
    console.print(
        f"Ranked by {'mean edge' if by == 'edge' else 'Sharpe'}; {counted} counts. Seeds {seeds}.",
        highlight=False,
        soft_wrap=True,  # paths and hashes stay whole, for copying
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


@leaderboard_command.command("init")
@_db_option
@click.option("--title", help="The competition's name [market · ruleset].")
@click.option(
    "--market", "market_name", default="amm", show_default=True, help="Market to simulate."
)
@click.option("--ruleset", help="Rules of the market (default: the market's own default).")
@click.option(
    "-n",
    "--simulations",
    type=click.IntRange(min=1),
    help="Simulations per submission [ruleset default].",
)
@click.option(
    "--field",
    multiple=True,
    metavar="STRATEGY",
    help="An opponent every submission meets in the same market (repeat it) "
    "[the market's built-in set, for rulesets that race strategies together].",
)
@click.option("--no-field", is_flag=True, help="Submissions meet only the market's baseline pool.")
@_ruleset_options
@click.pass_context
@_friendly
def leaderboard_init_command(
    ctx: click.Context,
    *,
    db: Path,
    title: str | None,
    market_name: str,
    ruleset: str | None,
    simulations: int | None,
    field: tuple[str, ...],
    no_field: bool,
    **options: Any,
) -> None:
    """Set up a competition and its leaderboard (the owner, once).

    Fixes what every submission is scored on: the market, ruleset and options, the field
    of opponents and the number of simulations. It also draws a secret seed root, kept in
    NAME.secret beside the database (never publish that file): the seeds of every
    submission derive from it, and each receipt carries its sha256 commitment until
    `arena leaderboard reveal` publishes it.

    \b
    Example:
      arena leaderboard init --title "Fee wars" -n 200 --steps 5000 --field cp30 --field cp50
    """
    db = _inherited_db(ctx, db)
    market = _market(market_name)
    chosen = market.ruleset(ruleset)
    given = {k: v for k, v in options.items() if v is not None}
    config = _config(chosen.config_type, given, chosen.name)
    if field and no_field:
        raise ConfigError("give --field or --no-field, not both")
    solo = chosen.pairing == "solo"
    specs = () if no_field or (solo and not field) else (field or market.default_strategies)
    root = new_root()
    competition = Competition.create(
        title=title or f"{market.name} · {chosen.name}",
        market=market.name,
        ruleset=chosen.name,
        config=config,
        simulations=simulations or chosen.default_simulations,
        field=specs,
        root=root,
    )
    Leaderboard.create(db, competition, root).close()
    names = ", ".join(f.name for f in competition.field) or "none (the baseline only)"
    console.print(
        f"Created the leaderboard {db} for [bold]{competition.title}[/]: {chosen.name} ruleset, "
        f"{competition.simulations} simulations, field: {names}.\n"
        f"Seed commitment (in every receipt): {competition.seed_commitment}\n"
        f"Secret seed root: {secret_path(db)} ([bold]keep it private[/]; "
        f"`arena leaderboard reveal --db {db}` publishes it when the competition closes)\n"
        f"Take submissions with: arena submit FILE --author NAME --db {db}",
        highlight=False,
        soft_wrap=True,
    )


@leaderboard_command.command("reveal")
@_db_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@_friendly
def leaderboard_reveal_command(ctx: click.Context, *, db: Path, yes: bool) -> None:
    """Publish the secret seed root: it closes the competition and lets anyone verify.

    \b
    Example:
      arena leaderboard reveal --yes
    """
    db = _inherited_db(ctx, db)
    with Leaderboard.open(db) as board:
        if board.revealed_root() is None and not yes:
            click.confirm(
                "Revealing the seeds closes the competition to submissions. Go on?", abort=True
            )
        root = board.reveal()
    console.print(
        f"Seed root: {root.hex()}\n"
        f"Anyone can now check a receipt: arena verify SUBMISSION_FOLDER --seed-root {root.hex()}",
        highlight=False,
        soft_wrap=True,
    )


@main.command("submit")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--author", required=True, help="Who submits (shown on the leaderboard).")
@_db_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where submission folders go [the database's folder/submissions].",
)
@_executor_options
@_friendly
def submit_command(
    *,
    file: Path,
    author: str,
    db: Path,
    out: Path | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Score a strategy file on a competition's secret seeds and put it on the leaderboard.

    The file is validated first. It then runs on the seeds, ruleset, options and field the
    leaderboard's owner fixed (the author chooses none of them). The result is a submission
    folder with a copy of the source, the per-simulation results and receipt.json, which
    anyone can check with `arena verify` once the seeds are revealed.

    \b
    Example:
      arena submit submissions/mine.py --author alice
    """
    with Leaderboard.open(db) as board:
        competition = board.competition()
        root = board.scoring_root()
    if not quiet:
        errors.print(f"validating {file} …", highlight=False)
    strategy = load_submission(str(file), competition, trusted=executor == "sequential")
    plan = competition.plan(strategy.source, competition.schedule(root))
    result = _run_with_progress(plan, executor, workers, scheduler, None, quiet)
    receipt = issue(competition, result, author, out or db.parent / "submissions")
    with Leaderboard.open(db) as board:
        board.record(receipt)
        entries = board.ranking()
    m = receipt.data["metrics"]
    rank = next((e.rank for e in entries if e.receipt_id == receipt.id), None)
    interval = _plus_minus(_nan(m["ci_low"]), _nan(m["ci_high"]))
    console.print(
        f"[bold]{strategy.name}[/] by {author}: mean edge "
        f"{_fmt(_nan(m['mean_edge']), sign=True)}{interval}, "
        f"vs normalizer {_fmt(_nan(m.get('vs_baseline')), sign=True)}, "
        f"Sharpe {_fmt(_nan(m['sharpe']), 3)}, {m['simulations']} simulations"
        + (f", {m['errors']} errors" if m["errors"] else "")
        + ".\n"
        + (f"Leaderboard: #{rank} of {len(entries)} by mean edge.\n" if rank else "")
        + f"Receipt {receipt.id[:12]}: {receipt.folder / RECEIPT_FILE}",
        highlight=False,
        soft_wrap=True,
    )


@main.command("verify")
@click.argument("receipt", type=click.Path(path_type=Path))
@click.option(
    "-k",
    "--simulations",
    type=click.IntRange(min=1),
    help="Re-run only this many simulations, chosen at random [all].",
)
@click.option(
    "--seed-root",
    metavar="HEX",
    help="The revealed seed root (what `arena leaderboard reveal` printed).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ARENA_LEADERBOARD",
    help="Also check the receipt is recorded on this leaderboard, and take the seed "
    f"root from it once revealed [{DEFAULT_DB}, if it is this receipt's "
    "competition].",
)
@click.option(
    "--ranking",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A published `arena leaderboard --json` file: check the receipt is ranked in "
    "it, and take the seed root from it once revealed.",
)
@_executor_options
@_friendly
def verify_command(
    *,
    receipt: Path,
    simulations: int | None,
    seed_root: str | None,
    db: Path | None,
    ranking: Path | None,
    executor: str,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Check a receipt: every hash, the metrics, and a re-run of its simulations.

    RECEIPT is a receipt.json or its submission folder. Exits with status 1 and says what
    does not match (an edited receipt, results file or source, another arena version,
    other seeds) unless everything checks out.

    \b
    Examples:
      arena verify alice-my-fees-0123abcd4567/ --ranking ranking.json
      arena verify alice-my-fees-0123abcd4567/receipt.json --seed-root 5be1… --simulations 20
    """
    root = parse_root(seed_root) if seed_root else None
    known, published_root = _published_ranking(ranking) if ranking else (None, None)
    loaded = read_receipt(receipt)
    board_path = db or (DEFAULT_DB if DEFAULT_DB.is_file() else None)
    if board_path is not None:
        with Leaderboard.open(board_path) as board:
            board_id = competition_section(board.competition())["id"]
            same = board_id == loaded.data["competition"].get("id")
            if same or db is not None:
                known = (known or set()) | board.receipt_ids()
            if same and root is None:
                root = board.revealed_root() or _owner_root(board)
    root = root or published_root
    found = verify(
        loaded,
        root,
        lambda plan: _run_with_progress(plan, executor, workers, scheduler, None, quiet),
        sample=simulations,
        known_ids=known,
    )
    for check in found.checks:
        console.print(
            f"{_MARKS[check.status]} {check.subject}: {check.message}",
            highlight=False,
            soft_wrap=True,
        )
    failures = sum(c.status == "fail" for c in found.checks)
    if found.verified:
        console.print(f"[bold green]verified[/]: receipt {loaded.id[:12]}", highlight=False)
    elif failures:
        plural = "es" if failures > 1 else ""
        console.print(f"[bold red]NOT verified[/]: {failures} mismatch{plural}")
    else:
        console.print("[yellow]not fully verified[/]: see the checks marked ?")
    sys.exit(0 if found.verified else 1)


def _published_ranking(path: Path) -> tuple[set[str], bytes | None]:
    """The receipt ids and the revealed seed root (if any) of a ranking JSON file."""
    try:
        document = json.loads(path.read_text())
        ids = {str(entry["receipt_id"]) for entry in document["entries"]}
        root = document["seed_root"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"{path} is not the output of `arena leaderboard --json`") from None
    return ids, None if root is None else parse_root(str(root))


def _owner_root(board: Leaderboard) -> bytes | None:
    try:
        return board.secret_root()
    except ConfigError:
        return None


@main.command("report")
@click.argument("source", metavar="RESULTS_OR_RECEIPT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML page to write.",
)
@click.option(
    "--png",
    "png_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every figure as a PNG file into this folder.",
)
@click.option(
    "--trace-seed",
    type=click.IntRange(0, 2**64 - 1),
    default=0,
    show_default=True,
    help="Public seed of the sample simulation drawn step by step (receipts).",
)
@click.option(
    "--no-trace",
    is_flag=True,
    help="Skip the step-by-step sample simulation (then no strategy code runs).",
)
@click.option(
    "--epochs",
    "epochs_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With a results file: the epochs file of the same run (`arena run --epochs`), "
    "for capital shares per epoch.",
)
@_friendly
def report_command(
    *,
    source: Path,
    output: Path,
    png_dir: Path | None,
    trace_seed: int,
    no_trace: bool,
    epochs_path: Path | None,
) -> None:
    """Draw results or a receipt as one self-contained HTML page (and PNGs).

    RESULTS_OR_RECEIPT is a results file of `arena run --per-sim` (.csv or .parquet), a
    receipt.json or a submission folder. The page shows the edge distribution of every
    strategy, its edge against the normalizer simulation by simulation, capital shares per
    epoch, edge by market regime, one run step by step (receipts), and the results table.

    \b
    Examples:
      arena run --per-sim sims.csv --epochs epochs.csv
      arena report sims.csv --epochs epochs.csv -o report.html
      arena report competition/submissions/alice-my-fees-0123abcd4567 --png figures/
    """
    if not output.parent.exists():
        raise ConfigError(f"cannot write {output}: folder {output.parent} does not exist")
    data = load_report(source, None if no_trace else trace_seed, epochs_path)
    drawn = write_report(data, output, png_dir)
    console.print(
        f"wrote {output}: {len(drawn)} figures ({', '.join(c.name for c in drawn)})"
        + (f"; PNGs in {png_dir}" if png_dir else ""),
        highlight=False,
        soft_wrap=True,
    )

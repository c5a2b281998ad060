"""Taking part in a competition: ``arena submit``, ``arena verify`` and ``arena report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from arena.cli._common import (
    DEFAULT_DB,
    _db_option,
    _executor_options,
    _fmt,
    _friendly,
    _nan,
    _plus_minus,
    _started_executor,
    console,
    errors,
)
from arena.cli.run import _run_with_progress
from arena.competition import load_submission, parse_root
from arena.errors import ConfigError
from arena.leaderboard import Leaderboard
from arena.receipts import RECEIPT_FILE, competition_section, issue, read_receipt
from arena.runner import RunPlan, RunResult
from arena.verification import verify

_MARKS = {
    "ok": "[green]✓[/]",
    "fail": "[bold red]✗[/]",
    "note": "[yellow]·[/]",
    "skip": "[yellow]?[/]",
}


@click.command("submit")
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
    with _started_executor(executor, workers, scheduler) as pool:  # starts while validating
        if not quiet:
            errors.print(f"validating {file} …", highlight=False)
        strategy = load_submission(str(file), competition, trusted=executor == "sequential")
        plan = competition.plan(strategy.source, competition.schedule(root))
        result = _run_with_progress(plan, pool, None, quiet)
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


@click.command("verify")
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

    def rerun(plan: RunPlan) -> RunResult:
        with _started_executor(executor, workers, scheduler) as pool:
            return _run_with_progress(plan, pool, None, quiet)

    found = verify(
        loaded,
        root,
        rerun,
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


@click.command("report")
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
    from arena.report import load as load_report  # matplotlib loads for this command only
    from arena.report import write_report

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

"""``arena leaderboard``: a competition's ranking, and ``init`` and ``reveal`` for its owner."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from arena.cli._common import (
    _config,
    _db_option,
    _fmt,
    _friendly,
    _market,
    _market_options,
    _nan,
    _plus_minus,
    _ruleset_options,
    console,
)
from arena.competition import Competition, new_root
from arena.errors import ConfigError
from arena.leaderboard import RANKINGS, Entry, Leaderboard, secret_path
from arena.metrics import CONFIDENCE
from arena.receipts import competition_section


def _inherited_db(ctx: click.Context, db: Path) -> Path:
    """A subcommand's ``--db``, or the group's when only that was given."""
    if ctx.get_parameter_source("db") is click.core.ParameterSource.DEFAULT and ctx.parent:
        parent_db: Path = ctx.parent.params["db"]
        return parent_db
    return db


@click.group("leaderboard", invoke_without_command=True)
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


@leaderboard_command.command("init")
@_db_option
@click.option("--title", help="The competition's name [market · ruleset].")
@_market_options
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

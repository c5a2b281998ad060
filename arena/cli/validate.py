"""``arena validate``: what is wrong with strategy files, in plain words."""

from __future__ import annotations

import json
import sys

import click

from arena.cli._common import _friendly, _market, console
from arena.validate import render, validate_files


@click.command("validate")
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

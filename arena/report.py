"""``arena report``: one self-contained HTML page of figures and the results table.

The page is drawn from a receipt (its submission folder) or from a results file of
``arena run --per-sim``. Figures are matplotlib (Agg) PNGs embedded as base64, so the page
needs nothing else; ``--png DIR`` also writes them as files:

1. **edge distribution** per strategy (box, every simulation as a dot, the mean as a diamond);
2. **paired difference** against the normalizer: each simulation's edge minus the
   normalizer's in the same simulation, with the mean and its confidence interval;
3. **capital share per epoch** (rulesets with epochs): mean capital weight after each epoch;
4. **edge by market regime**: mean edge within quantile bins of each sampled market parameter
   (for the AMM: volatility, retail flow, normalizer fee and liquidity);
5. **cumulative edge over one run** of a sample simulation and the prices it saw (receipts
   only: it re-runs the receipt's strategies on a public seed, never a secret scoring seed).

Only the market-independent result columns are assumed; a market's parameters are found as
the numeric columns that hold one value per simulation.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd
from matplotlib.figure import Figure

from arena.errors import ArenaError
from arena.market import STRATEGY_ROLE
from arena.metrics import CONFIDENCE, summarize
from arena.plots import (
    BINS,
    capital_share,
    colors_for,
    cumulative_edge,
    edge_distribution,
    label_of,
    order_of,
    paired_difference,
    regimes,
)
from arena.receipts import RECEIPT_FILE, Receipt, read_receipt
from arena.runner import SeedSchedule, trace
from arena.sandbox.process import WorkerFailed

__all__ = ["Chart", "ReportData", "charts", "load", "render_html", "sample_trace", "write_report"]

_DPI: Final = 110


@dataclass
class ReportData:
    """What a report shows: results, optional epochs and trace, and where they came from."""

    title: str
    results: pd.DataFrame
    epochs: pd.DataFrame | None = None
    receipt: Receipt | None = None
    trace: pd.DataFrame | None = None
    trace_seed: int | None = None


@dataclass(frozen=True)
class Chart:
    """One figure of the report."""

    name: str
    title: str
    caption: str
    figure: Figure

    @functools.cached_property
    def png(self) -> bytes:
        """The figure as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight")
        return buffer.getvalue()


def load(path: Path, trace_seed: int | None = 0, epochs: Path | None = None) -> ReportData:
    """Read a receipt (``receipt.json`` or its folder) or a ``.csv``/``.parquet`` results file.

    :param trace_seed: for a receipt, the public seed of the traced sample simulation
        (``None``: no trace, and none of the strategies' code runs).
    :param epochs: for a results file, the epochs file of the same run (``arena run --epochs``).
    :raises ArenaError: if ``path`` is neither.
    """
    if not path.exists():
        raise ArenaError(f"{path} does not exist")
    if path.is_dir() or path.name == RECEIPT_FILE:
        if epochs is not None:
            raise ArenaError("a receipt brings its own epochs: --epochs is for results files")
        receipt = read_receipt(path)
        return ReportData(
            title=f"{receipt.data['strategy']['name']} by {receipt.data['author']}",
            results=receipt.table("results"),
            epochs=receipt.table("epochs") if "epochs" in receipt.data["tables"] else None,
            receipt=receipt,
            trace=None if trace_seed is None else sample_trace(receipt, trace_seed),
            trace_seed=trace_seed,
        )
    results = _read_table_file(path, {"sim", "strategy", "role", "edge"})
    frames = None if epochs is None else _read_table_file(epochs, {"epoch", "strategy", "weight"})
    return ReportData(title=path.name, results=results, epochs=frames)


def _read_table_file(path: Path, needed: set[str]) -> pd.DataFrame:
    if path.suffix not in (".csv", ".parquet") or not path.is_file():
        raise ArenaError(f"{path} is not a receipt, a submission folder or a .csv/.parquet file")
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError) as error:
        raise ArenaError(f"{path} is not readable: {error}") from None
    missing = needed - set(table.columns)
    if missing:
        raise ArenaError(f"{path} lacks the columns {', '.join(sorted(missing))}")
    return table


def sample_trace(receipt: Receipt, seed: int) -> pd.DataFrame:
    """The receipt's strategies and config, run step by step on the public ``seed``.

    :raises ArenaError: if the simulation's worker fails.
    """
    plan = receipt.competition().plan(receipt.source(), SeedSchedule(1, seed))
    try:
        return trace(plan, 0)
    except WorkerFailed as error:
        raise ArenaError(f"the sample simulation failed ({error}); use --no-trace") from None


def _unless_empty(
    table: pd.DataFrame | None, draw: Callable[[pd.DataFrame], Figure | None]
) -> Figure | None:
    return None if table is None or table.empty else draw(table)


def charts(data: ReportData) -> list[Chart]:
    """The report's figures, in page order (those the data cannot show are left out)."""
    results = data.results
    colors = colors_for(order_of(results))
    found: list[tuple[str, str, str, Callable[[], Figure | None]]] = [
        (
            "edge_distribution",
            "Edge per simulation",
            "Each dot is one simulation; boxes span the middle half, whiskers 1.5 IQR.",
            lambda: edge_distribution(results, colors),
        ),
        (
            "paired_difference",
            "Edge against the normalizer, simulation by simulation",
            "Every strategy meets the same markets, so its edge minus the normalizer's in the same "
            "simulation removes most of the luck of the draw.",
            lambda: paired_difference(results, colors),
        ),
        (
            "capital_share",
            "Capital share per epoch",
            "Mean across simulations of each strategy's capital weight after every epoch.",
            lambda: _unless_empty(data.epochs, lambda epochs: capital_share(epochs, colors)),
        ),
        (
            "edge_by_regime",
            "Edge by market regime",
            f"Mean edge within up to {BINS} quantile bins of each parameter the simulations "
            "drew (points at the bin's median).",
            lambda: regimes(results, colors),
        ),
        (
            "cumulative_edge",
            "One run, step by step",
            f"Simulation with the public seed {data.trace_seed} (the scoring seeds stay secret): "
            "cumulative edge of every pool, and the fair price with each pool's spot price.",
            lambda: _unless_empty(data.trace, lambda steps: cumulative_edge(steps, colors)),
        ),
    ]
    drawn = [(name, title, caption, make()) for name, title, caption, make in found]
    return [Chart(name, title, caption, figure) for name, title, caption, figure in drawn if figure]


# -- the page ---------------------------------------------------------------------------------

_STYLE: Final = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 980px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th:nth-child(2), td:nth-child(2), .meta th, .meta td { text-align: left; }
tr.baseline td { color: #777; } tr.submission td { font-weight: 600; background: #f3f6fb; }
.meta th { color: #555; font-weight: normal; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; }
figcaption { color: #555; font-size: 0.9em; }
code { font-size: 0.9em; word-break: break-all; }
"""


def _number(value: Any, digits: int = 2, sign: bool = True) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _interval(mean: Any, low: Any, high: Any) -> str:
    text = _number(mean)
    if isinstance(low, float) and isinstance(high, float) and not math.isnan(high - low):
        text += f" ± {(high - low) / 2:.2f}"
    return text


def _summary_table(results: pd.DataFrame, submission: str | None) -> str:
    summary = summarize(results)
    has_share = "capital_share" in summary.columns
    head = [
        "#",
        "Strategy",
        f"Mean edge ± {CONFIDENCE:.0%} CI",
        "Std",
        "Sharpe",
        f"vs normalizer ± {CONFIDENCE:.0%} CI",
        *(["Final capital %"] if has_share else []),
        "Errors",
        "Simulations",
    ]
    rows = []
    rank = 0
    for row in summary.to_dict(orient="records"):
        is_strategy = row["role"] == STRATEGY_ROLE
        rank += is_strategy
        cells = [
            str(rank) if is_strategy else "",
            html.escape(label_of((row["strategy"], row["role"]))),
            _interval(row["mean_edge"], row["ci_low"], row["ci_high"]),
            _number(row["std"], sign=False),
            _number(row["sharpe"], 3),
            _interval(row.get("vs_baseline"), row.get("vs_ci_low"), row.get("vs_ci_high"))
            if is_strategy
            else "",
        ]
        if has_share:
            cells.append(_number(100 * row["capital_share"], 1, sign=False) if is_strategy else "")
        cells += [str(row["errors"] or ""), str(row["simulations"])]
        css = (
            ' class="baseline"'
            if not is_strategy
            else (' class="submission"' if row["strategy"] == submission else "")
        )
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def _facts(data: ReportData) -> list[tuple[str, str]]:
    results = data.results
    keys = [k for k in ("match", "sim") if k in results.columns]
    facts = [("simulations", str(results.groupby(keys).ngroups if keys else len(results)))]
    if data.receipt is None:
        return facts
    receipt = data.receipt.data
    competition = receipt["competition"]
    config = ", ".join(f"{k} {v}" for k, v in competition["config"].items())
    return [
        ("author", receipt["author"]),
        ("strategy", f"{receipt['strategy']['name']} (model: {receipt['strategy']['model_used']})"),
        (
            "competition",
            f"{competition['title']} · {competition['market']} · {competition['ruleset']} ruleset",
        ),
        *facts,
        ("config", config),
        ("arena", receipt["software"]["arena"]),
        ("receipt id", data.receipt.id),
        ("seed commitment", competition["seeds"]["commitment"]),
    ]


def render_html(data: ReportData, drawn: Sequence[Chart]) -> str:
    """The report page: facts, results table and every chart inline (no external files)."""
    facts = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>"
        if k in ("receipt id", "seed commitment", "config")
        else f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in _facts(data)
    )
    figures = "".join(
        f'<h2>{html.escape(c.title)}</h2><figure><img alt="{html.escape(c.title)}" '
        f'src="data:image/png;base64,{base64.b64encode(c.png).decode()}">'
        f"<figcaption>{html.escape(c.caption)}</figcaption></figure>"
        for c in drawn
    )
    title = html.escape(f"arena report: {data.title}")
    submission = None if data.receipt is None else data.receipt.data["strategy"]["name"]
    table = _summary_table(data.results, submission)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f'<table class="meta">{facts}</table><h2>Results</h2>{table}{figures}</body></html>\n'
    )


def write_report(
    data: ReportData, html_path: Path | None, png_dir: Path | None = None
) -> list[Chart]:
    """Write the HTML page and/or one PNG per chart (``<png_dir>/<chart name>.png``)."""
    drawn = charts(data)
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
        for chart in drawn:
            (png_dir / f"{chart.name}.png").write_bytes(chart.png)
    if html_path is not None:
        html_path.write_text(render_html(data, drawn), encoding="utf-8")
    return drawn

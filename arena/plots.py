"""The report's figures, each from a plain results (or epochs, or trace) table.

Every function returns a matplotlib :class:`~matplotlib.figure.Figure` built without pyplot
(no global state; the Agg canvas renders it) or ``None`` when the data cannot show it, and
takes an optional colour per (strategy, role) so a strategy keeps its colour across figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from arena.market import BASELINE_ROLE, STRATEGY_ROLE
from arena.metrics import CONFIDENCE, mean_interval

__all__ = [
    "BINS",
    "Colors",
    "capital_share",
    "colors_for",
    "cumulative_edge",
    "edge_by_regime",
    "edge_distribution",
    "label_of",
    "order_of",
    "paired_difference",
    "paired_differences",
    "regime_columns",
    "regimes",
]

#: Result columns that are not market parameters.
_OUTCOMES: Final = frozenset(
    {
        "match",
        "sim",
        "seed",
        "pool",
        "edge",
        "arb_edge",
        "retail_edge",
        "errors",
        "capital_share",
    }
)
#: Display names of known market parameters (others are shown by their column name).
_PARAMETER_NAMES: Final = {
    "sigma": "volatility σ (per step)",
    "arrival_rate": "retail orders per step",
    "mean_size": "retail order size (Y)",
    "norm_fee_bps": "normalizer fee (bps)",
    "norm_liquidity_mult": "normalizer liquidity (×)",
}
_BASELINE_COLOR: Final = "#7f7f7f"
_PALETTE: Final = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#393b79",
)
#: Quantile bins per market parameter in :func:`edge_by_regime`.
BINS: Final = 4


def order_of(results: pd.DataFrame) -> list[tuple[str, str]]:
    """(strategy, role) pairs: strategies by mean edge, best first, then the baseline."""
    means = results.groupby(["strategy", "role"], sort=False)["edge"].mean()
    keys = [(str(name), str(role)) for name, role in means.index]
    ranked = sorted(
        zip(keys, means.to_numpy(dtype=float), strict=True),
        key=lambda item: (item[0][1] != STRATEGY_ROLE, -item[1]),
    )
    return [key for key, _ in ranked]


def colors_for(order: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A colour per (strategy, role): the palette in ``order``, grey for the baseline."""
    strategies = [key for key in order if key[1] == STRATEGY_ROLE]
    colors = {key: _PALETTE[i % len(_PALETTE)] for i, key in enumerate(strategies)}
    return colors | {key: _BASELINE_COLOR for key in order if key[1] != STRATEGY_ROLE}


def _figure(height: float, width: float = 8.0) -> Figure:
    # A bare Figure, not pyplot: no global state, and the Agg canvas draws it.
    return Figure(figsize=(width, height), layout="constrained")


def _jitter(count: int, spread: float = 0.12) -> npt.NDArray[np.float64]:
    # Fixed generator: the same data give the same picture.
    return np.random.default_rng(0).uniform(-spread, spread, count)


Colors = Mapping[tuple[str, str], str]


def edge_distribution(results: pd.DataFrame, colors: Colors | None = None) -> Figure:
    """Box plot of per-simulation edge for each strategy and the baseline, best on top."""
    order = order_of(results)
    colors = colors or colors_for(order)
    figure = _figure(1.2 + 0.45 * len(order))
    axes = figure.add_subplot()
    groups = dict(iter(results.groupby(["strategy", "role"], sort=False)["edge"]))
    rows = list(reversed(order))  # matplotlib counts rows from the bottom
    values = [groups[key].to_numpy(dtype=float) for key in rows]
    axes.boxplot(
        values,
        orientation="horizontal",
        widths=0.6,
        showfliers=False,
        medianprops={"color": "black"},
    )
    for y, (key, edge) in enumerate(zip(rows, values, strict=True), start=1):
        axes.scatter(edge, y + _jitter(edge.size), s=9, color=colors[key], alpha=0.55, zorder=3)
        axes.scatter([edge.mean()], [y], marker="D", s=36, color="black", zorder=4)
    axes.set_yticks(range(1, len(rows) + 1), [label_of(key) for key in rows])
    axes.axvline(0.0, color="#bbbbbb", linewidth=0.8, zorder=0)
    axes.set_xlabel("edge per simulation (◆ mean)")
    return figure


def paired_differences(results: pd.DataFrame) -> pd.DataFrame:
    """Each strategy row's edge minus the baseline's edge in the same match and simulation.

    Columns: ``strategy, match, sim, difference`` (no rows without a baseline).
    """
    keys = [k for k in ("match", "sim") if k in results.columns]
    baseline = results[results["role"] == BASELINE_ROLE][[*keys, "edge"]]
    own = results[results["role"] == STRATEGY_ROLE][["strategy", *keys, "edge"]]
    paired = own.merge(baseline, on=keys, suffixes=("", "_baseline"))
    paired["difference"] = paired["edge"] - paired["edge_baseline"]
    return paired[["strategy", *keys, "difference"]]


def paired_difference(results: pd.DataFrame, colors: Colors | None = None) -> Figure | None:
    """Per-simulation edge minus the normalizer's, with each strategy's mean and CI."""
    paired = paired_differences(results)
    if paired.empty:
        return None
    order = [key for key in order_of(results) if key[1] == STRATEGY_ROLE]
    colors = colors or colors_for(order)
    figure = _figure(1.2 + 0.45 * len(order))
    axes = figure.add_subplot()
    rows = list(reversed(order))
    for y, key in enumerate(rows, start=1):
        values = paired.loc[paired["strategy"] == key[0], "difference"].to_numpy(dtype=float)
        axes.scatter(values, y + _jitter(values.size), s=9, color=colors[key], alpha=0.5)
        mean, low, high = mean_interval(values)
        if not math.isnan(low):
            axes.errorbar(
                [mean],
                [y],
                xerr=[[mean - low], [high - mean]],
                fmt="none",
                ecolor="black",
                elinewidth=2,
                capsize=5,
                zorder=4,
            )
        axes.scatter([mean], [y], marker="D", s=36, color="black", zorder=5)
    axes.set_yticks(range(1, len(rows) + 1), [key[0] for key in rows])
    axes.axvline(0.0, color="black", linewidth=1.0)
    axes.set_xlabel(f"edge − normalizer's edge, same simulation (◆ mean, bar {CONFIDENCE:.0%} CI)")
    return figure


def capital_share(epochs: pd.DataFrame, colors: Colors | None = None) -> Figure | None:
    """Mean capital weight of each strategy after every epoch (equal shares at the start)."""
    if "weight" not in epochs.columns:
        return None
    means = epochs.groupby(["strategy", "epoch"])["weight"].mean().unstack("strategy")
    final = means.iloc[-1].sort_values(ascending=False)
    order = [(str(name), STRATEGY_ROLE) for name in final.index]
    colors = colors or colors_for(order)
    figure = _figure(4.0)
    axes = figure.add_subplot()
    start = 100.0 / means.shape[1]
    x = np.concatenate([[0], means.index.to_numpy() + 1])
    for key in order:
        y = np.concatenate([[start], 100.0 * means[key[0]].to_numpy(dtype=float)])
        axes.plot(x, y, marker="o", markersize=3, color=colors[key], label=key[0])
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch (0: start)")
    axes.set_ylabel("capital share (%)")
    axes.set_ylim(bottom=0)
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def regime_columns(results: pd.DataFrame) -> list[str]:
    """The market parameters of the results: numeric columns with one value per simulation."""
    keys = [k for k in ("match", "sim") if k in results.columns]
    found = []
    for column in results.columns:
        if column in _OUTCOMES or not pd.api.types.is_numeric_dtype(results[column]):
            continue
        if results.groupby(keys)[column].nunique().max() == 1 and results[column].nunique() > 1:
            found.append(column)
    return found


def edge_by_regime(results: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean edge per (strategy, role) within quantile bins of ``column``.

    Columns: ``strategy, role, bin, center, mean_edge, simulations``; ``center`` is the median
    of ``column`` in the bin.
    """
    values = results[column].to_numpy(dtype=float)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, BINS + 1)))
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, max(len(edges) - 2, 0))
    frame = results.assign(bin=bins)
    grouped = frame.groupby(["strategy", "role", "bin"], sort=False)
    table = grouped.agg(
        center=(column, "median"), mean_edge=("edge", "mean"), simulations=("edge", "size")
    )
    return table.reset_index()


def regimes(results: pd.DataFrame, colors: Colors | None = None) -> Figure | None:
    """One panel per market parameter: mean edge of each strategy across its quantile bins."""
    columns = regime_columns(results)
    if not columns:
        return None
    order = order_of(results)
    colors = colors or colors_for(order)
    across = min(3, len(columns))
    down = math.ceil(len(columns) / across)
    figure = _figure(2.8 * down + 0.6, 3.6 * across)
    panels: list[Axes] = list(np.atleast_1d(figure.subplots(down, across, squeeze=False)).ravel())
    for axes, column in zip(panels, columns, strict=False):
        table = edge_by_regime(results, column).sort_values("bin")
        for key in order:
            line = table[(table["strategy"] == key[0]) & (table["role"] == key[1])]
            style = "--" if key[1] != STRATEGY_ROLE else "-"
            axes.plot(
                line["center"],
                line["mean_edge"],
                style,
                marker="o",
                markersize=3,
                color=colors[key],
                label=label_of(key),
            )
        axes.set_xlabel(_PARAMETER_NAMES.get(column, column.replace("_", " ")))
        axes.set_ylabel("mean edge")
    for axes in panels[len(columns) :]:
        axes.set_visible(False)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(
        handles, labels, fontsize="small", loc="outside lower center", ncol=min(4, len(labels))
    )
    return figure


def cumulative_edge(steps: pd.DataFrame, colors: Colors | None = None) -> Figure:
    """Cumulative edge of every pool over one simulation, above the fair and spot prices."""
    figure = _figure(6.0)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    pools = {
        (str(name), str(role)): group
        for (_, name, role), group in steps.groupby(["pool", "strategy", "role"], sort=True)
    }
    final = {key: float(group["cumulative_edge"].iloc[-1]) for key, group in pools.items()}
    order = sorted(pools, key=lambda key: (key[1] != STRATEGY_ROLE, -final[key]))
    colors = {**colors_for(order), **(colors or {})}
    for key in order:
        group = pools[key]
        style = "--" if key[1] != STRATEGY_ROLE else "-"
        color = colors[key]
        top.plot(
            group["step"],
            group["cumulative_edge"],
            style,
            color=color,
            linewidth=1.2,
            label=label_of(key),
        )
        bottom.plot(group["step"], group["spot"], style, color=color, linewidth=0.6, alpha=0.8)
    fair = steps.drop_duplicates("step")
    bottom.plot(fair["step"], fair["fair"], color="black", linewidth=1.2, label="fair price")
    top.axhline(0.0, color="#bbbbbb", linewidth=0.8)
    top.set_ylabel("cumulative edge")
    top.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.set_ylabel("price (Y per X)")
    bottom.set_xlabel("step")
    bottom.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def label_of(key: tuple[str, str]) -> str:
    """How a (strategy, role) is named in figures and tables."""
    return key[0] if key[1] == STRATEGY_ROLE else f"{key[0]} (baseline)"

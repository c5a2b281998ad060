"""Scores across simulations: mean edge with a confidence interval, Sharpe, paired differences.

Every strategy faces the same simulations (common random numbers), so a strategy is compared
with the market's baseline pool (the normalizer) *within* each simulation: the paired
difference removes most of the luck of the draw and gives much narrower intervals than the
two means would separately.

* mean edge and its confidence interval: Student's t interval for the mean over simulations;
* std: sample standard deviation (``ddof=1``) across simulations;
* Sharpe: mean / std across simulations (not annualised, not over time);
* vs baseline: mean of the per-simulation difference to the baseline pool of the same match,
  with its own t interval.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import stdtrit  # the t quantile, without loading all of scipy.stats

from arena.market import BASELINE_ROLE, STRATEGY_ROLE

__all__ = ["CONFIDENCE", "mean_interval", "summarize"]

CONFIDENCE: Final = 0.95


def mean_interval(
    values: npt.ArrayLike, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and the two ends of its Student's t confidence interval (NaN ends for n < 2)."""
    data = np.asarray(values, dtype=np.float64)
    mean = float(data.mean()) if data.size else math.nan
    if data.size < 2:
        return mean, math.nan, math.nan
    half = float(
        stdtrit(data.size - 1, 0.5 + confidence / 2) * data.std(ddof=1) / math.sqrt(data.size)
    )
    return mean, mean - half, mean + half


def summarize(results: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per strategy, ranked by mean edge, plus the baseline pool's row.

    Columns: ``strategy, role, simulations, mean_edge, ci_low, ci_high, std, sharpe,
    baseline_edge, vs_baseline, vs_ci_low, vs_ci_high, errors``, ``capital_share`` when the
    ruleset reports final capital shares, and ``units_per_call`` (the work budget a strategy's
    hook calls used on average) when its code ran.
    """
    if results.empty:
        return pd.DataFrame()
    baseline = results[results["role"] == BASELINE_ROLE].set_index(["match", "sim"])["edge"]
    rows = []
    for (label, role), group in results.groupby(["strategy", "role"], sort=False):
        edge = group["edge"].to_numpy(dtype=np.float64)
        mean, low, high = mean_interval(edge, confidence)
        std = float(edge.std(ddof=1)) if edge.size > 1 else math.nan
        row = {
            "strategy": label,
            "role": role,
            "simulations": int(edge.size),
            "mean_edge": mean,
            "ci_low": low,
            "ci_high": high,
            "std": std,
            "sharpe": mean / std if std > 0 else math.nan,
            "errors": int(group["errors"].sum()),
        }
        if role == STRATEGY_ROLE and len(baseline):
            paired = baseline.reindex(pd.MultiIndex.from_frame(group[["match", "sim"]]))
            difference = edge - paired.to_numpy(dtype=np.float64)
            row["baseline_edge"] = float(np.nanmean(paired.to_numpy(dtype=np.float64)))
            row["vs_baseline"], row["vs_ci_low"], row["vs_ci_high"] = mean_interval(
                difference[~np.isnan(difference)], confidence
            )
        if "capital_share" in group.columns:
            row["capital_share"] = float(group["capital_share"].mean())
        if "calls" in group.columns and group["calls"].sum() > 0:
            row["units_per_call"] = float(group["units"].sum() / group["calls"].sum())
        rows.append(row)
    table = pd.DataFrame(rows)
    is_strategy = table["role"] == STRATEGY_ROLE
    ranked = table[is_strategy].sort_values("mean_edge", ascending=False, kind="stable")
    return pd.concat([ranked, table[~is_strategy]], ignore_index=True)

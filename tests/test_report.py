"""The report draws the data it is given: figure arrays, pixels, and a self-contained page."""

import base64
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image
from matplotlib.collections import PathCollection

from arena.cli import main
from arena.plots import (
    capital_share,
    cumulative_edge,
    edge_by_regime,
    edge_distribution,
    paired_difference,
    paired_differences,
    regime_columns,
)
from arena.report import Chart, ReportData, charts, load, render_html
from tests.test_receipts import submit

SIMS = 16
SHIFTS = {"Alpha": 3.0, "Beta": 1.0, "<b>Gamma</b> & co": -1.0}


def synthetic_results(shift: float = 0.0) -> pd.DataFrame:
    """Edges that grow with volatility; each strategy a fixed distance from the normalizer."""
    rng = np.random.default_rng(5)
    sigma = rng.uniform(0.0005, 0.004, SIMS)
    fee = rng.integers(30, 81, SIMS)
    liquidity = rng.uniform(0.4, 2.0, SIMS)
    noise = rng.normal(0.0, 0.3, (SIMS, len(SHIFTS) + 1))
    rows = []
    for sim in range(SIMS):
        common = {
            "match": 0,
            "sim": sim,
            "sigma": sigma[sim],
            "norm_fee_bps": fee[sim],
            "norm_liquidity_mult": liquidity[sim],
            "errors": 0,
        }
        base = 1000 * sigma[sim]
        for pool, (name, distance) in enumerate(SHIFTS.items()):
            edge = base + distance + noise[sim, pool] + (shift if pool == 0 else 0.0)
            rows.append(
                common
                | {
                    "pool": pool,
                    "strategy": name,
                    "role": "strategy",
                    "edge": edge,
                    "capital_share": 1 / 3,
                }
            )
        rows.append(
            common
            | {
                "pool": len(SHIFTS),
                "strategy": "Normalizer",
                "role": "baseline",
                "edge": base + noise[sim, -1],
                "capital_share": np.nan,
            }
        )
    return pd.DataFrame(rows)


def synthetic_epochs() -> pd.DataFrame:
    rows = []
    for sim in range(SIMS):
        for epoch in range(4):
            alpha = 0.4 + 0.1 * epoch
            for pool, (name, weight) in enumerate(
                zip(SHIFTS, (alpha, 0.35, 0.65 - alpha), strict=True)
            ):
                rows.append(
                    {
                        "match": 0,
                        "sim": sim,
                        "epoch": epoch,
                        "pool": pool,
                        "strategy": name,
                        "weight": weight + 0.001 * sim,
                        "epoch_edge": 0.0,
                        "score": 0.0,
                    }
                )
    return pd.DataFrame(rows)


def stand_in_trace(steps: int = 120) -> pd.DataFrame:
    """What arena.runner.trace returns: one row per step and pool."""
    names = [*SHIFTS, "Normalizer"]
    rows = [
        {
            "step": step,
            "pool": pool,
            "strategy": name,
            "role": "baseline" if pool == 3 else "strategy",
            "cumulative_edge": (pool + 1) * 0.05 * step,
            "spot": 100 + 0.01 * step + 0.1 * pool,
            "fair": 100 + 0.01 * step,
        }
        for step in range(steps)
        for pool, name in enumerate(names)
    ]
    return pd.DataFrame(rows)


def pixels(png: bytes) -> np.ndarray:
    return image.imread(io.BytesIO(png), format="png")[..., :3]


def ink(picture: np.ndarray) -> float:
    """Share of pixels that are not (almost) white."""
    return float((picture.min(axis=2) < 0.9).mean())


def colour_pixels(picture: np.ndarray, hex_colour: str) -> int:
    """Pixels of this colour, at any transparency over white (their distance from white
    points the colour's way)."""
    colour = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    away, direction = 1.0 - picture, 1.0 - colour
    length = np.linalg.norm(away, axis=2)
    cosine = (away @ direction) / np.maximum(length * np.linalg.norm(direction), 1e-12)
    return int(((length > 0.15) & (cosine > 0.995)).sum())


def test_paired_differences_subtract_the_normalizer_of_the_same_simulation() -> None:
    results = synthetic_results()
    paired = paired_differences(results)
    assert len(paired) == SIMS * len(SHIFTS)
    alpha = paired[paired["strategy"] == "Alpha"].set_index("sim")["difference"]
    own = results[results["strategy"] == "Alpha"].set_index("sim")["edge"]
    normalizer = results[results["role"] == "baseline"].set_index("sim")["edge"]
    np.testing.assert_allclose(alpha, own - normalizer)
    # The figure marks each strategy's mean difference (a diamond), best strategy on top.
    figure = paired_difference(results)
    assert figure is not None
    axes = figure.axes[0]
    diamonds = [
        c.get_offsets()[0]
        for c in axes.collections
        if isinstance(c, PathCollection) and len(c.get_offsets()) == 1
    ]
    means = {name: paired.loc[paired["strategy"] == name, "difference"].mean() for name in SHIFTS}
    assert sorted(round(x, 9) for x, _ in diamonds) == sorted(round(m, 9) for m in means.values())
    assert [t.get_text() for t in axes.get_yticklabels()] == list(reversed(SHIFTS))


def test_edge_distribution_draws_every_simulation() -> None:
    results = synthetic_results()
    axes = edge_distribution(results).axes[0]
    dots = np.concatenate(
        [c.get_offsets()[:, 0] for c in axes.collections if len(c.get_offsets()) == SIMS]
    )
    np.testing.assert_allclose(np.sort(dots), np.sort(results["edge"].to_numpy()))
    low, high = axes.get_xlim()
    assert low <= results["edge"].min() and results["edge"].max() <= high


def test_regimes_are_the_market_parameters_and_edge_follows_them() -> None:
    results = synthetic_results()
    assert regime_columns(results) == ["sigma", "norm_fee_bps", "norm_liquidity_mult"]
    table = edge_by_regime(results, "sigma")
    alpha = table[table["strategy"] == "Alpha"].sort_values("bin")
    assert alpha["simulations"].sum() == SIMS
    assert alpha["mean_edge"].is_monotonic_increasing  # edge was built to grow with sigma
    assert alpha["center"].is_monotonic_increasing


def test_capital_share_plots_the_mean_weight_after_each_epoch() -> None:
    epochs = synthetic_epochs()
    figure = capital_share(epochs)
    assert figure is not None
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    expected = 100 * epochs[epochs["strategy"] == "Alpha"].groupby("epoch")["weight"].mean()
    np.testing.assert_allclose(lines["Alpha"].get_ydata(), [100 / 3, *expected])
    np.testing.assert_allclose(lines["Alpha"].get_xdata(), [0, 1, 2, 3, 4])


def test_cumulative_edge_plots_the_trace_it_is_given() -> None:
    steps = stand_in_trace()
    figure = cumulative_edge(steps)
    top, bottom = figure.axes[:2]
    lines = {
        line.get_label(): line for line in top.get_lines() if not line.get_label().startswith("_")
    }
    assert set(lines) == {*SHIFTS, "Normalizer (baseline)"}
    beta = steps[steps["strategy"] == "Beta"]
    np.testing.assert_allclose(lines["Beta"].get_ydata(), beta["cumulative_edge"])
    fair = next(line for line in bottom.get_lines() if line.get_label() == "fair price")
    np.testing.assert_allclose(fair.get_ydata(), steps.drop_duplicates("step")["fair"])


def report_data(shift: float = 0.0) -> ReportData:
    return ReportData(
        "synthetic",
        synthetic_results(shift),
        synthetic_epochs(),
        trace=stand_in_trace(),
        trace_seed=0,
    )


def test_every_chart_is_a_picture_of_its_data() -> None:
    drawn = {chart.name: chart for chart in charts(report_data())}
    assert list(drawn) == [
        "edge_distribution",
        "paired_difference",
        "capital_share",
        "edge_by_regime",
        "cumulative_edge",
    ]
    for name, chart in drawn.items():
        picture = pixels(chart.png)
        assert picture.shape[0] > 200 and picture.shape[1] > 400, name
        assert ink(picture) > 0.02, name
        assert colour_pixels(picture, "#1f77b4") > 30, name  # the best strategy's colour
    # Moving one strategy's edges moves what is drawn.
    shifted = {chart.name: chart for chart in charts(report_data(shift=25.0))}
    before, after = pixels(drawn["edge_distribution"].png), pixels(shifted["edge_distribution"].png)
    assert before.shape != after.shape or np.abs(before - after).mean() > 0.001


def test_the_page_is_self_contained_and_escapes_names() -> None:
    data = report_data()
    drawn = charts(data)
    page = render_html(data, drawn)
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(drawn)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(href|src)="(https?:)?//', page)
    assert "<b>Gamma</b>" not in page and "&lt;b&gt;Gamma&lt;/b&gt; &amp; co" in page
    for source, chart in zip(sources, drawn, strict=True):
        assert base64.b64decode(source.split(",", 1)[1]) == chart.png
    assert page.count("<tr") >= 1 + len(SHIFTS) + 1  # header, strategies, the normalizer


def test_a_receipt_report_traces_a_public_seed(tmp_path: Path) -> None:
    receipt = submit(tmp_path / "submissions")
    data = load(receipt.folder, trace_seed=7)
    assert data.trace is not None and data.trace_seed == 7
    assert list(data.trace.columns) == [
        "step",
        "pool",
        "strategy",
        "role",
        "cumulative_edge",
        "spot",
        "fair",
    ]
    assert set(data.trace["strategy"]) == {"My fees", "CP 20 bps", "CP 50 bps", "Normalizer"}
    drawn = {chart.name: chart for chart in charts(data)}
    assert set(drawn) == {
        "edge_distribution",
        "paired_difference",
        "capital_share",
        "edge_by_regime",
        "cumulative_edge",
    }
    top = drawn["cumulative_edge"].figure.axes[0]
    finals = {line.get_label(): line.get_ydata()[-1] for line in top.get_lines()}
    last = data.trace[data.trace["step"] == data.trace["step"].max()].set_index("strategy")
    assert finals["My fees"] == pytest.approx(last.loc["My fees", "cumulative_edge"])
    page = render_html(data, list(drawn.values()))
    assert receipt.id in page and '<tr class="submission"><td>' in page


def test_report_command_writes_the_page_and_pngs(tmp_path: Path) -> None:
    results, epochs = tmp_path / "sims.csv", tmp_path / "epochs.parquet"
    synthetic_results().to_csv(results, index=False)
    synthetic_epochs().to_parquet(epochs, index=False)
    runner = CliRunner()
    page, pngs = tmp_path / "r.html", tmp_path / "png"
    outcome = runner.invoke(
        main, ["report", str(results), "-o", str(page), "--png", str(pngs), "--epochs", str(epochs)]
    )
    assert outcome.exit_code == 0, outcome.output
    written = sorted(p.name for p in pngs.iterdir())
    assert written == [
        "capital_share.png",
        "edge_by_regime.png",
        "edge_distribution.png",
        "paired_difference.png",
    ]
    for name in written:
        assert ink(pixels((pngs / name).read_bytes())) > 0.02
    assert page.read_text().count("data:image/png;base64,") == 4
    wrong = runner.invoke(main, ["report", str(results), "--epochs", str(results)])
    assert wrong.exit_code == 2 and "lacks the columns epoch, weight" in wrong.output
    missing = runner.invoke(main, ["report", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert "Traceback" not in missing.output


def test_chart_png_is_cached() -> None:
    chart = charts(report_data())[0]
    assert isinstance(chart, Chart) and chart.png is chart.png

"""Block-generated simulation streams against the Rust engine and a scalar oracle.

The oracle below is the straightforward transcription of the engine's per-step loops
(price_process.rs, retail.rs, arbitrageur.rs) on top of the scalar ``Pcg64`` samplers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.amm import streams
from arena.amm.params import MarketParams, sample_params
from arena.amm.streams import (
    ArbStream,
    PriceStream,
    RetailBlock,
    RetailStream,
    SimulationStreams,
)
from arena.rng import U64_MASK, Pcg64
from tests.test_rng import ScriptedPcg64

SIZE_SIGMA = 1.2


# --------------------------------------------------------------------------------------------
# Scalar oracle
# --------------------------------------------------------------------------------------------
def oracle_prices(seed: int, sigma: float, n: int) -> np.ndarray:
    rng = Pcg64(seed)
    drift = (0.0 - 0.5 * sigma * sigma) * 1.0
    vol = sigma * math.sqrt(1.0)
    price = 100.0
    out = []
    for _ in range(n):
        price *= math.exp(drift + vol * rng.standard_normal())
        out.append(price)
    return np.array(out)


def _log_mean(mean_size: float) -> float:
    return math.log(max(mean_size, 0.01)) - 0.5 * SIZE_SIGMA * SIZE_SIGMA


def oracle_arb(seed: int, mean_size: float, n: int) -> np.ndarray:
    rng = Pcg64((seed + 2) % 2**64)
    return np.array([rng.lognormal(_log_mean(mean_size), SIZE_SIGMA) for _ in range(n)])


def oracle_retail(seed: int, rate: float, mean_size: float, n: int) -> RetailBlock:
    rng = Pcg64((seed + 1) % 2**64)
    counts, sizes, is_buy = [], [], []
    for _ in range(n):
        count = rng.poisson(max(rate, 0.01))
        counts.append(count)
        for _ in range(count):
            sizes.append(rng.lognormal(_log_mean(mean_size), SIZE_SIGMA))
            is_buy.append(rng.gen_f64() < 0.5)
    return RetailBlock(
        np.array(counts, dtype=np.int64), np.array(sizes), np.array(is_buy, dtype=np.bool_)
    )


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def run_blocks(stream: PriceStream | ArbStream, splits: list[int]) -> np.ndarray:
    return np.concatenate([stream.next(k) for k in splits])


def concat_retail(blocks: list[RetailBlock]) -> RetailBlock:
    return RetailBlock(
        np.concatenate([b.counts for b in blocks]),
        np.concatenate([b.sizes for b in blocks]),
        np.concatenate([b.is_buy for b in blocks]),
    )


def run_retail_blocks(stream: RetailStream, splits: list[int]) -> RetailBlock:
    return concat_retail([stream.next(k) for k in splits])


def assert_bits_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes()


def assert_retail_equal(actual: RetailBlock, expected: RetailBlock) -> None:
    assert_bits_equal(actual.counts, expected.counts)
    assert_bits_equal(actual.sizes, expected.sizes)
    assert_bits_equal(actual.is_buy, expected.is_buy)


def digest(values: np.ndarray, dtype: str) -> str:
    return hashlib.sha256(values.astype(dtype).tobytes()).hexdigest()[:16]


@contextmanager
def count_words() -> Iterator[list[int]]:
    """Count the words every scalar ``Pcg64`` draws while the context is open."""
    used = [0]
    next_u64 = Pcg64.next_u64

    def counting_next_u64(self: Pcg64) -> int:
        used[0] += 1
        return next_u64(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Pcg64, "next_u64", counting_next_u64)
        yield used


@dataclass
class NormalPathCounts:
    tails: int = 0
    restarted: int = 0  # draws that needed more than one word without using the tail


@contextmanager
def count_normal_paths() -> Iterator[NormalPathCounts]:
    """Classify every scalar ``standard_normal`` draw by the ziggurat path it took."""
    counts = NormalPathCounts()
    normal, tail = Pcg64.standard_normal, Pcg64._normal_tail

    def counting_tail(self: Pcg64, u: float) -> float:
        counts.tails += 1
        return tail(self, u)

    with count_words() as words, pytest.MonkeyPatch.context() as patch:

        def counting_normal(self: Pcg64) -> float:
            before, tails = words[0], counts.tails
            value = normal(self)
            counts.restarted += words[0] - before > 1 and counts.tails == tails
            return value

        patch.setattr(Pcg64, "_normal_tail", counting_tail)
        patch.setattr(Pcg64, "standard_normal", counting_normal)
        yield counts


# --------------------------------------------------------------------------------------------
# Published and exact engine vectors
# --------------------------------------------------------------------------------------------
def test_seed_zero_first_prices() -> None:
    prices = PriceStream(0, sample_params(0).sigma).next(5)
    expected = [99.864040084239, 99.851796480026, 99.941260543805, 99.861460414422, 99.985466165688]
    assert prices.tolist() == pytest.approx(expected, abs=1e-11)


def test_seed_zero_first_retail_orders() -> None:
    params = sample_params(0)
    block = RetailStream(0, params.arrival_rate, params.mean_size).next(6)
    assert block.counts.tolist() == [1] * 6
    sizes = [3.34380775, 3.402373691, 1.063951519, 3.974308238, 2.839005162, 0.920847237]
    assert block.sizes.tolist() == pytest.approx(sizes, rel=1e-8)
    assert block.is_buy.tolist() == [False, True, False, True, False, False]


def test_seed_zero_first_arb_start_sizes() -> None:
    sizes = ArbStream(0, sample_params(0).mean_size).next(5)
    expected = [0.591892376, 8.760093185, 4.427996599, 85.346180254, 10.477406484]
    assert sizes.tolist() == pytest.approx(expected, rel=1e-8)


# sha256[:16] of 10,000 steps produced by the locked Rust crates driven exactly like the engine
# (prices and arb sizes as f64 LE, retail counts as i64 LE, sizes f64 LE, is_buy as u8).
ENGINE_DIGESTS = [
    (0, "2d088f2e9096203d", "90432c9fe7fd9cde", "a608dad61a61e5de", "29ac936e8bec529a",
     "30fd99e6cef734bc"),
    (1, "73589f280f23ed91", "b9c7c57bdb3c55d9", "0945f02900d85e42", "d41c96f064284e1a",
     "3fa35eb56470327e"),
    (2, "0a5df240544bc175", "ae791853f0a8fedd", "8756680558f5dc31", "6068a743832ed8d3",
     "d340e2a465a82dc8"),
    (3, "6e4ce9e56a308385", "25aa1d628ed71aba", "90972f06c22a17e4", "9ee565860adb3703",
     "d966069647aafc73"),
    (4, "6aa88f9356d48ea4", "c5670419e29b79e3", "c89148b2f0cd5959", "7408b63195db1b84",
     "c4c2158bf3416a75"),
    (5, "4ea5a9b6ba86a86e", "92ad89f9c0efa175", "6964aa8c706c1870", "4b7d9e8b3cfeb182",
     "942b9a5ae46a1b64"),
    (6, "de33d74de5bc07c2", "12ac2f8d1dd92cc7", "3a0b3f59b5cbf2bf", "424d5bf8829409bc",
     "394b1b61dd2d22a8"),
    (7, "d9523272ccfd80ba", "720a8ae2458e342a", "7f0b9d671fc68c39", "1734c40e298d46be",
     "a4df5b9159b9f135"),
    (8, "bf56b72a10fdff94", "22377e05be7e3a75", "a94a1390f5ece13a", "cd9cb53f46544424",
     "27ee4dbe724dae90"),
    (9, "e78e6e927bcbc5f7", "5df10382693281b2", "e80c67892de02848", "dd14c826d0e06557",
     "64bfb2ba49b46a12"),
    (U64_MASK, "7b9193fd7d56103f", "c5c37f370b2ab8cd", "2375113ae96bf8c0", "959e90481eea2a10",
     "d939050b7fc9e32d"),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "prices", "arb", "counts", "sizes", "is_buy"), ENGINE_DIGESTS)
def test_ten_thousand_steps_match_the_engine(
    seed: int, prices: str, arb: str, counts: str, sizes: str, is_buy: str
) -> None:
    block = SimulationStreams(sample_params(seed)).next(10_000)
    assert digest(block.prices, "<f8") == prices
    assert digest(block.arb_start_sizes, "<f8") == arb
    assert digest(block.retail.counts, "<i8") == counts
    assert digest(block.retail.sizes, "<f8") == sizes
    assert digest(block.retail.is_buy, "u1") == is_buy


# --------------------------------------------------------------------------------------------
# Fast path == scalar oracle
# --------------------------------------------------------------------------------------------
SEEDS = st.integers(min_value=0, max_value=U64_MASK)
SPLITS = st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=5)
# Steps parsed per read-ahead chunk; small values put parse boundaries anywhere in the stream.
CHUNKS = st.integers(min_value=1, max_value=64)


@contextmanager
def parse_settings(
    chunk: int, spare_words: int = 64, spare_fraction: float = 0.05
) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(streams, "_CHUNK_STEPS", chunk)
        patch.setattr(streams, "_MAX_CHUNK_STEPS", 2 * chunk)  # big requests take several parses
        patch.setattr(streams, "_SPARE_WORDS", spare_words)
        patch.setattr(streams, "_SPARE_FRACTION", spare_fraction)
        yield


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, sigma=st.floats(min_value=0.0001, max_value=0.05), splits=SPLITS, chunk=CHUNKS)
def test_prices_equal_oracle(seed: int, sigma: float, splits: list[int], chunk: int) -> None:
    with parse_settings(chunk):
        actual = run_blocks(PriceStream(seed, sigma), splits)
    assert_bits_equal(actual, oracle_prices(seed, sigma, sum(splits)))


@settings(max_examples=25, deadline=None)
@given(
    seed=SEEDS,
    mean_size=st.floats(min_value=0.001, max_value=100.0),
    splits=SPLITS,
    chunk=CHUNKS,
)
def test_arb_sizes_equal_oracle(seed: int, mean_size: float, splits: list[int], chunk: int) -> None:
    with parse_settings(chunk):
        actual = run_blocks(ArbStream(seed, mean_size), splits)
    assert_bits_equal(actual, oracle_arb(seed, mean_size, sum(splits)))


@settings(max_examples=30, deadline=None)
@given(
    seed=SEEDS,
    rate=st.floats(min_value=0.001, max_value=6.0),
    mean_size=st.floats(min_value=0.001, max_value=100.0),
    splits=SPLITS,
    chunk=CHUNKS,
)
def test_retail_equals_oracle(
    seed: int, rate: float, mean_size: float, splits: list[int], chunk: int
) -> None:
    with parse_settings(chunk):
        actual = run_retail_blocks(RetailStream(seed, rate, mean_size), splits)
    assert_retail_equal(actual, oracle_retail(seed, rate, mean_size, sum(splits)))


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, splits=SPLITS, chunk=CHUNKS)
def test_starved_parses_draw_more_words(seed: int, splits: list[int], chunk: int) -> None:
    """Without spare words most parses run out of words and must draw more."""
    params = sample_params(seed)
    n = sum(splits)
    with parse_settings(chunk, spare_words=0, spare_fraction=0.0):
        retail = run_retail_blocks(
            RetailStream(seed, params.arrival_rate, params.mean_size), splits
        )
        prices = run_blocks(PriceStream(seed, params.sigma), splits)
    assert_retail_equal(retail, oracle_retail(seed, params.arrival_rate, params.mean_size, n))
    assert_bits_equal(prices, oracle_prices(seed, params.sigma, n))


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, splits=st.lists(st.integers(min_value=0, max_value=2_500), max_size=4))
def test_block_splits_do_not_change_long_streams(seed: int, splits: list[int]) -> None:
    params = sample_params(seed)
    n = sum(splits) + 1
    whole = SimulationStreams(params).next(n)
    split = SimulationStreams(params)
    parts = [split.next(k) for k in [*splits, 1]]
    assert_bits_equal(np.concatenate([p.prices for p in parts]), whole.prices)
    assert_bits_equal(np.concatenate([p.arb_start_sizes for p in parts]), whole.arb_start_sizes)
    assert_retail_equal(concat_retail([p.retail for p in parts]), whole.retail)


# --------------------------------------------------------------------------------------------
# Block ends: a parse must use exactly the words the engine uses, and refuse one word less
# --------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, n=st.integers(min_value=1, max_value=40))
def test_retail_parse_needs_exactly_the_engine_words(seed: int, n: int) -> None:
    params = sample_params(seed)
    with count_words() as used:
        expected = oracle_retail(seed, params.arrival_rate, params.mean_size, n)
    stream = RetailStream(seed, params.arrival_rate, params.mean_size)
    raw = Pcg64((seed + 1) % 2**64).raw(used[0] + 8)
    parsed = stream._parse(raw[: used[0]], n)
    assert parsed is not None
    assert parsed[1] == used[0]
    assert_retail_equal(parsed[0], expected)
    assert stream._parse(raw[: used[0] - 1], n) is None


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, n=st.integers(min_value=1, max_value=300))
def test_normal_parse_needs_exactly_the_engine_words(seed: int, n: int) -> None:
    rng = Pcg64(seed)
    with count_words() as used:
        expected = np.array([rng.standard_normal() for _ in range(n)])
    raw = Pcg64(seed).raw(used[0] + 8)
    parsed = streams._parse_normals(raw[: used[0]], n)
    assert parsed is not None
    assert parsed[1] == used[0]
    assert_bits_equal(parsed[0], expected)
    assert streams._parse_normals(raw[: used[0] - 1], n) is None


# --------------------------------------------------------------------------------------------
# Rare ziggurat paths, with seeds known to reach them early
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seed", "steps"),
    [
        (5, 100),  # tail at the 80th normal
        (103, 300),  # tail that needs more than one pair of Open01 words
        (0, 300),  # rejected wedge test, so the draw restarts
    ],
)
def test_price_stream_through_rare_paths(seed: int, steps: int) -> None:
    sigma = 0.003
    actual = PriceStream(seed, sigma).next(steps)
    with count_normal_paths() as paths:
        expected = oracle_prices(seed, sigma, steps)
    assert paths.tails + paths.restarted > 0
    assert_bits_equal(actual, expected)


def test_retail_stream_through_rare_paths() -> None:
    seed, steps = 11, 200  # a retail order size drawn from the ziggurat tail
    params = sample_params(seed)
    actual = run_retail_blocks(RetailStream(seed, params.arrival_rate, params.mean_size), [steps])
    with count_normal_paths() as paths:
        expected = oracle_retail(seed, params.arrival_rate, params.mean_size, steps)
    assert paths.tails > 0
    assert paths.restarted > 0
    assert_retail_equal(actual, expected)


# --------------------------------------------------------------------------------------------
# API details
# --------------------------------------------------------------------------------------------
def test_empty_blocks_do_not_consume_draws() -> None:
    params = sample_params(3)
    streams_a, streams_b = SimulationStreams(params), SimulationStreams(params)
    empty = streams_a.next(0)
    assert empty.prices.shape == empty.arb_start_sizes.shape == (0,)
    assert empty.retail.counts.shape == empty.retail.sizes.shape == (0,)
    after = streams_a.next(50)
    fresh = streams_b.next(50)
    assert_bits_equal(after.prices, fresh.prices)
    assert_retail_equal(after.retail, fresh.retail)


def test_retail_block_shapes_and_types() -> None:
    block = RetailStream(1, 1.1, 20.0).next(500)
    assert block.counts.dtype == np.int64 and block.counts.shape == (500,)
    assert block.sizes.dtype == np.float64 and block.sizes.shape == (block.counts.sum(),)
    assert block.is_buy.dtype == np.bool_ and block.is_buy.shape == block.sizes.shape


def test_simulation_streams_use_the_engine_seed_offsets() -> None:
    params = MarketParams(U64_MASK, 0.002, 0.9, 15.0, 40, 1.0)
    block = SimulationStreams(params).next(20)
    assert_bits_equal(block.prices, oracle_prices(U64_MASK, 0.002, 20))
    assert_bits_equal(block.arb_start_sizes, oracle_arb(U64_MASK, 15.0, 20))
    assert_retail_equal(block.retail, oracle_retail(U64_MASK, 0.9, 15.0, 20))


def test_unsupported_arrival_rate_is_rejected() -> None:
    with pytest.raises(ValueError):
        RetailStream(0, 12.0, 20.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_length_streams_equal_oracle(seed: int) -> None:
    params = sample_params(seed)
    block = SimulationStreams(params).next(10_000)
    assert_bits_equal(block.prices, oracle_prices(seed, params.sigma, 10_000))
    assert_bits_equal(block.arb_start_sizes, oracle_arb(seed, params.mean_size, 10_000))
    assert_retail_equal(
        block.retail, oracle_retail(seed, params.arrival_rate, params.mean_size, 10_000)
    )


# --------------------------------------------------------------------------------------------
# The compiled ziggurat, draw by draw
# --------------------------------------------------------------------------------------------
# Digest of the first 20,000 StandardNormal draws of Pcg64::seed_from_u64(seed), as f64 LE.
NORMAL_DIGESTS = [(0, "928c02dcb2928664"), (12345, "73c35583888f2953")]


@pytest.mark.parametrize(("seed", "expected"), NORMAL_DIGESTS)
def test_normals_match_the_rust_stream(seed: int, expected: str) -> None:
    parsed = streams._parse_normals(Pcg64(seed).raw(21_000), 20_000)
    assert parsed is not None
    assert digest(parsed[0], "<f8") == expected


def test_word_conversions_equal_the_scalar_ones() -> None:
    words = [0, 1, 2**11, 2**12 - 1, 2**12, U64_MASK, *Pcg64(3).raw(200).tolist()]
    for word in words:
        assert streams._uniform(np.uint64(word)) == ScriptedPcg64([word]).gen_f64()
        assert streams._open01(np.uint64(word)) == ScriptedPcg64([word]).open01()


def normal_lengths(raw: np.ndarray) -> list[int]:
    """Words used by a draw starting at each position (-1: it needs words past the block)."""
    lengths = []
    for start in range(raw.size):
        _, end = streams._normal(raw, start)
        lengths.append(end - start if end >= 0 else -1)
    return lengths


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_a_draw_at_any_position_equals_the_scalar_draw(seed: int) -> None:
    raw = Pcg64(seed).raw(400)
    for start in range(raw.size):
        value, end = streams._normal(raw, start)
        rng = ScriptedPcg64(raw[start:].tolist())
        try:
            expected = rng.standard_normal()
        except IndexError:  # the draw needs words past the block
            assert end == -1
            continue
        assert (end, value) == (raw.size - len(rng.words), expected)


@pytest.mark.parametrize("seed", [0, 5, 103])
def test_slow_draws_cut_by_the_block_end_need_more_words(seed: int) -> None:
    """Truncating a block inside a tail or wedge draw refuses it; one word more resolves it."""
    raw = Pcg64(seed).raw(3_000)
    lengths = normal_lengths(raw)
    slow = [start for start, length in enumerate(lengths) if length > 1]
    assert any(lengths[start] >= 3 for start in slow)
    for start in slow:
        end = start + lengths[start]
        for cut in range(start + 1, end):
            assert streams._normal(raw[:cut], start)[1] == -1
        assert streams._normal(raw[:end], start) == streams._normal(raw, start)


def test_every_path_of_the_ziggurat_is_taken() -> None:
    raw = Pcg64(0).raw(50_000)
    lengths = np.array(normal_lengths(raw))
    tail = (raw & np.uint64(0xFF)) == 0
    slow = lengths != 1
    assert 0.005 < slow.mean() < 0.03
    assert (slow & tail & (lengths >= 3)).any()  # the tail
    assert (lengths[slow & ~tail] == 2).any()  # an accepted wedge
    assert (lengths[slow & ~tail] > 2).any()  # a rejected wedge, restarted two words later

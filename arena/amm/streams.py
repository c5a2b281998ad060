"""The three random streams of one prop-amm simulation, generated block by block.

The engine owns three independent ``Pcg64`` generators per simulation (engine.rs): the GBM
price (simulation seed), retail flow (seed + 1) and the arbitrageur's random start size
(seed + 2). None of them depends on the market state, so blocks of steps are produced ahead,
bit-identical to the engine, in memory bounded by the block size.

**How words are parsed.** A block of raw u64 words is drawn and every position is evaluated,
vectorised, as if a draw started there: the uniform of a word, and the ziggurat length and value
of a normal (:func:`arena.rng.resolve_normal_tokens`). A compiled walk then follows the real
draws from the first unconsumed word (:func:`_walk_normals`, and :func:`_walk_retail` with its
Poisson counts), and the values are gathered from the positions it visited. Words after the
last complete step are kept for the next parse, so any split of the steps into blocks yields
the same values.

**Read-ahead.** A parse costs ~0.1-0.2 ms however short, so each stream parses at least
``_CHUNK_STEPS`` steps at a time and serves calls of any size from what it has parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np

from arena.amm.jit import njit
from arena.amm.params import MarketParams
from arena.rng import (
    KNUTH_POISSON_MAX_RATE,
    U64_MASK,
    BoolArray,
    F64Array,
    I64Array,
    Pcg64,
    U64Array,
    msun_exp,
    platform_exp,
    resolve_normal_tokens,
    standard_f64,
)

INITIAL_PRICE: Final = 100.0
GBM_MU: Final = 0.0
GBM_DT: Final = 1.0
RETAIL_SIZE_SIGMA: Final = 1.2
RETAIL_BUY_PROB: Final = 0.5
#: Floors the engine applies to the distribution parameters (retail.rs, arbitrageur.rs).
MIN_SIZE_SIGMA: Final = 0.01
MIN_MEAN_SIZE: Final = 0.01
MIN_ARRIVAL_RATE: Final = 0.01
RETAIL_SEED_OFFSET: Final = 1
ARB_SEED_OFFSET: Final = 2

# Spare words drawn beyond the expected need, so that a block rarely has to be re-parsed.
_SPARE_FRACTION = 0.05
_SPARE_WORDS = 64
# Steps parsed at once however few are requested: a parse has a fixed cost of ~0.1-0.2 ms,
# while bigger chunks spill out of the CPU caches. Larger requests are parsed in pieces of at
# most _MAX_CHUNK_STEPS, which bounds the temporary arrays (~25 of ~3.4 words per step).
_CHUNK_STEPS = 4096
_MAX_CHUNK_STEPS = 16384


def _chunk_sizes(missing: int) -> Iterator[int]:
    """Sizes of the parses that provide ``missing`` more steps (none if ``missing <= 0``)."""
    while missing > 0:
        steps = min(max(_CHUNK_STEPS, missing), _MAX_CHUNK_STEPS)
        yield steps
        missing -= steps


_Parsed = TypeVar("_Parsed")


def lognormal_parameters(mean_size: float, size_sigma: float) -> tuple[float, float]:
    """``(mu_ln, sigma)`` of the order-size LogNormal, whose mean is ``mean_size``.

    Same floors and operation order as the engine; ``ln`` is std's (glibc), like
    :func:`math.log`.
    """
    sigma = max(size_sigma, MIN_SIZE_SIGMA)
    return math.log(max(mean_size, MIN_MEAN_SIZE)) - 0.5 * sigma * sigma, sigma


@njit("int64[::1](int64[::1], int64)", cache=True)
def _walk_normals(length, n):  # type: ignore[no-untyped-def]
    """Positions of the first ``n`` normals drawn one after another from position 0.

    :param length: words used by a normal starting at each position (past the end of the block
        for an incomplete draw).
    :returns: fewer than ``n`` positions if the block runs out of words.
    """
    size = length.size
    starts = np.empty(n, dtype=np.int64)
    position = 0
    for i in range(n):
        if position >= size or position + length[position] > size:
            return starts[:i]
        starts[i] = position
        position += length[position]
    return starts


@njit(
    "Tuple((int64[::1], int64[::1], int64))(float64[::1], int64[::1], float64, int64)", cache=True
)
def _walk_retail(uniform, normal_length, limit, n):  # type: ignore[no-untyped-def]
    """Follow ``n`` retail steps from position 0: a Knuth Poisson count, then per order a
    normal (the size) and one uniform (the direction).

    Knuth multiplies uniforms (``p = p * u``, in this order) while ``p > limit``
    (``exp(-rate)``); the count is the number of words it used minus one.

    :returns: ``(counts, normal_at, end)``: orders per step, the position of each order's
        normal, and the first word after the last step; fewer than ``n`` counts if the block
        runs out of words.
    """
    size = uniform.size
    counts = np.empty(n, dtype=np.int64)
    normal_at = np.empty(size // 2 + 1, dtype=np.int64)  # an order uses at least two words
    orders = 0
    position = 0
    for step in range(n):
        if position >= size:
            return counts[:step], normal_at[:orders], position
        product, words = uniform[position], 1
        while product > limit:
            if position + words >= size:
                return counts[:step], normal_at[:orders], position
            product = product * uniform[position + words]
            words += 1
        at = position + words
        for _ in range(words - 1):
            if at >= size or at + normal_length[at] >= size:  # the direction's word is past it
                return counts[:step], normal_at[:orders], position
            normal_at[orders] = at
            orders += 1
            at += normal_length[at] + 1
        counts[step] = words - 1
        position = at
    return counts, normal_at[:orders], position


class _RawWords:
    """The not yet consumed ``next_u64`` words of one generator."""

    def __init__(self, seed: int) -> None:
        self._rng = Pcg64(seed)
        self._pending: U64Array = np.zeros(0, dtype=np.uint64)

    def parse(
        self, expected_words: float, parse: Callable[[U64Array], tuple[_Parsed, int] | None]
    ) -> _Parsed:
        """Run ``parse`` on the pending words, drawing more until they suffice.

        :param expected_words: how many words the parse probably needs.
        :param parse: returns the result and the number of words it used, or ``None`` if the
            words it was given do not suffice.
        """
        wanted = int(expected_words * (1.0 + _SPARE_FRACTION)) + _SPARE_WORDS
        while True:
            if wanted > self._pending.size:
                self._pending = np.concatenate(
                    (self._pending, self._rng.raw(wanted - self._pending.size))
                )
            parsed = parse(self._pending)
            if parsed is not None:
                result, used = parsed
                self._pending = self._pending[used:]
                return result
            wanted = 2 * self._pending.size


class _NormalSeries:
    """Consecutive ``StandardNormal`` draws of one generator, mapped by ``transform``.

    Draws are parsed and transformed at least ``_CHUNK_STEPS`` at a time and served from that
    read-ahead, so the cost per call does not depend on how small the calls are.
    """

    def __init__(self, seed: int, transform: Callable[[F64Array], F64Array]) -> None:
        self._words = _RawWords(seed)
        self._transform = transform
        self._ready: F64Array = np.zeros(0)

    def next(self, n: int) -> F64Array:
        """The next ``n`` transformed draws."""
        fresh = [self._transform(self._draw(steps)) for steps in _chunk_sizes(n - self._ready.size)]
        ready = np.concatenate([self._ready, *fresh]) if fresh else self._ready
        served, self._ready = ready[:n], ready[n:]
        return served

    def _draw(self, n: int) -> F64Array:
        return self._words.parse(n, lambda raw: _parse_normals(raw, n))


def _parse_normals(raw: U64Array, n: int) -> tuple[F64Array, int] | None:
    """The first ``n >= 1`` normals drawn from ``raw`` and the number of words they used.

    :returns: ``None`` if ``raw`` is too short.
    """
    length, value = resolve_normal_tokens(raw)
    starts = _walk_normals(length, n)
    if starts.size < n:
        return None
    return value.take(starts), int(starts[-1] + length[starts[-1]])


class PriceStream:
    """GBM fair prices of ``GBMPriceProcess`` (``Pcg64(seed)``, one normal per step)."""

    def __init__(self, seed: int, sigma: float, initial_price: float = INITIAL_PRICE) -> None:
        """
        :param seed: the simulation seed (the hyperparameters use the same generator, which the
            price process restarts from its first word).
        :param sigma: per-step volatility.
        :param initial_price: price before the first step; never returned.
        """
        self._drift = (GBM_MU - 0.5 * sigma * sigma) * GBM_DT
        self._vol = sigma * math.sqrt(GBM_DT)
        self._growth = _NormalSeries(seed, self._growth_factors)
        self._price = initial_price

    def _growth_factors(self, z: F64Array) -> F64Array:
        # The engine's exp here is std's (glibc), not libm's msun port.
        return platform_exp(self._drift + self._vol * z)

    def next(self, n: int) -> F64Array:
        """The fair prices after each of the next ``n`` steps."""
        # multiply.accumulate multiplies strictly left to right, like `price *= growth`.
        prices = np.multiply.accumulate(np.concatenate(([self._price], self._growth.next(n))))[1:]
        if n:
            self._price = float(prices[-1])
        return prices


class ArbStream:
    """Raw start sizes (in Y) of the arbitrageur's search, one LogNormal draw per step.

    The engine clamps them (``max(MIN_INPUT)``, then to the search bounds); that is the
    caller's job.
    """

    def __init__(self, seed: int, mean_size: float, size_sigma: float = RETAIL_SIZE_SIGMA) -> None:
        """
        :param seed: the simulation seed; the stream uses ``seed + 2``.
        :param mean_size: mean retail order size, which the arbitrageur's draws share.
        """
        mu, sigma = lognormal_parameters(mean_size, size_sigma)
        self._sizes = _NormalSeries(
            (seed + ARB_SEED_OFFSET) & U64_MASK, lambda z: msun_exp(mu + sigma * z)
        )

    def next(self, n: int) -> F64Array:
        """The next ``n`` start sizes."""
        return self._sizes.next(n)


@dataclass(frozen=True)
class RetailBlock:
    """Retail orders of a block of steps, flattened in arrival order.

    :ivar counts: orders per step (int64, one entry per step).
    :ivar sizes: order sizes in Y (float64, ``counts.sum()`` entries).
    :ivar is_buy: order direction, True when the trader buys X (bool, like ``sizes``).
    """

    counts: I64Array
    sizes: F64Array
    is_buy: BoolArray


class RetailStream:
    """Orders of ``RetailTrader`` (``Pcg64(seed + 1)``).

    Each step draws ``n ~ Poisson(rate)`` (Knuth: ``n + 1`` uniforms), then per order a
    LogNormal size followed by one uniform for the direction.
    """

    def __init__(
        self,
        seed: int,
        arrival_rate: float,
        mean_size: float,
        size_sigma: float = RETAIL_SIZE_SIGMA,
        buy_prob: float = RETAIL_BUY_PROB,
    ) -> None:
        """
        :param seed: the simulation seed; the stream uses ``seed + 1``.
        :param arrival_rate: mean orders per step (floored at 0.01 like the engine).
        :param mean_size: mean order size in Y.
        :param size_sigma: sigma of the log of the size.
        :param buy_prob: probability that an order buys X.
        """
        self._words = _RawWords((seed + RETAIL_SEED_OFFSET) & U64_MASK)
        self._rate = max(arrival_rate, MIN_ARRIVAL_RATE)
        if self._rate >= KNUTH_POISSON_MAX_RATE:
            raise ValueError(f"arrival rates >= 12 are not supported, got {arrival_rate}")
        # rand_distr's Poisson stores exp(-lambda), computed with libm's (msun) exp.
        self._poisson_limit = float(msun_exp(np.array([-self._rate]))[0])
        self._mu, self._sigma = lognormal_parameters(mean_size, size_sigma)
        self._buy_prob = buy_prob
        # Read-ahead: parsed steps not yet served (see _NormalSeries).
        self._ready = RetailBlock(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.bool_))

    def next(self, n: int) -> RetailBlock:
        """The orders of the next ``n`` steps."""
        ready = self._ready
        fresh = [self._draw(steps) for steps in _chunk_sizes(n - ready.counts.size)]
        if fresh:
            blocks = [ready, *fresh]
            ready = RetailBlock(
                np.concatenate([block.counts for block in blocks]),
                np.concatenate([block.sizes for block in blocks]),
                np.concatenate([block.is_buy for block in blocks]),
            )
        orders = int(ready.counts[:n].sum())
        self._ready = RetailBlock(ready.counts[n:], ready.sizes[orders:], ready.is_buy[orders:])
        return RetailBlock(ready.counts[:n], ready.sizes[:orders], ready.is_buy[:orders])

    def _draw(self, steps: int) -> RetailBlock:
        words_per_step = 1.0 + 3.0 * self._rate  # c + 1 uniforms, then c (normal, uniform) pairs
        return self._words.parse(steps * words_per_step, lambda raw: self._parse(raw, steps))

    def _parse(self, raw: U64Array, n: int) -> tuple[RetailBlock, int] | None:
        """Parse ``n >= 1`` steps from the start of ``raw``.

        :returns: the orders and the number of words they used, or ``None`` if ``raw`` is
            too short.
        """
        uniform = standard_f64(raw)
        normal_length, normal_value = resolve_normal_tokens(raw)
        counts, normal_at, used = _walk_retail(uniform, normal_length, self._poisson_limit, n)
        if counts.size < n:
            return None
        direction = uniform.take(normal_at + normal_length.take(normal_at))
        sizes = msun_exp(self._mu + self._sigma * normal_value.take(normal_at))
        return RetailBlock(counts, sizes, direction < self._buy_prob), int(used)


@dataclass(frozen=True)
class SimulationBlock:
    """All random inputs of a block of steps of one simulation.

    :ivar prices: fair price after each step's GBM update.
    :ivar arb_start_sizes: raw arbitrage start sizes, one per step.
    :ivar retail: the retail orders of the block.
    """

    prices: F64Array
    arb_start_sizes: F64Array
    retail: RetailBlock


class SimulationStreams:
    """The three streams of the simulation described by ``params``."""

    def __init__(self, params: MarketParams, initial_price: float = INITIAL_PRICE) -> None:
        """
        :param params: the simulation's hyperparameters, seed included.
        :param initial_price: fair price before the first step.
        """
        self.params = params
        self.price = PriceStream(params.seed, params.sigma, initial_price)
        self.arb = ArbStream(params.seed, params.mean_size)
        self.retail = RetailStream(params.seed, params.arrival_rate, params.mean_size)

    def next(self, n: int) -> SimulationBlock:
        """The random inputs of the next ``n`` steps."""
        return SimulationBlock(self.price.next(n), self.arb.next(n), self.retail.next(n))

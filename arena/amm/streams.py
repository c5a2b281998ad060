"""The three random streams of one prop-amm simulation, generated block by block.

The engine owns three independent ``Pcg64`` generators per simulation (engine.rs): the GBM
price (simulation seed), retail flow (seed + 1) and the arbitrageur's random start size
(seed + 2). None of them depends on the market state, so blocks of steps are produced ahead,
bit-identical to the engine, in memory bounded by the block size.

**How words are parsed.** A block of raw u64 words is drawn with numpy's PCG64 (at C speed),
then compiled code follows the draws through it one by one, as the Rust samplers consume words
(:func:`_normals`; :func:`_retail_orders` with its Poisson counts); the exponentials are applied
to the values with numpy. Words after the last complete step are kept for the next parse, so
any split of the steps into blocks yields the same values. The scalar samplers of
:class:`arena.rng.Pcg64` are the reference the tests compare them with.

**Read-ahead.** A parse has a fixed cost (numpy calls, the exponentials), so each stream parses
at least ``_CHUNK_STEPS`` steps at a time and serves calls of any size from what it has parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np

from arena.amm.bundle import borrowed
from arena.amm.jit import njit
from arena.amm.params import MarketParams
from arena.rng import (
    KNUTH_POISSON_MAX_RATE,
    U64_MASK,
    ZIG_NORM_F,
    ZIG_NORM_X,
    ZIGGURAT_R,
    BoolArray,
    F64Array,
    I64Array,
    Pcg64,
    U64Array,
    msun_exp,
    platform_exp,
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
# Steps parsed at once however few are requested: a parse has a fixed cost, while bigger
# chunks spill out of the CPU caches. Larger requests are parsed in pieces of at most
# _MAX_CHUNK_STEPS, which bounds the block of raw words (~3.4 per step) and its results.
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


# The [2, 4) and [1, 2) floats the ziggurat and Open01 make of a word's top 52 bits, computed
# without reinterpreting bits: 2 + m * 2**-51 and 1 + m * 2**-52 are exact for m < 2**52.
_MANTISSA_SHIFT = np.uint64(12)
_UNIFORM_SHIFT = np.uint64(11)
_LAYER_MASK = np.uint64(0xFF)


@njit(cache=True)
def _uniform(word):  # type: ignore[no-untyped-def]
    """``gen::<f64>()`` of one word: its top 53 bits scaled by 2**-53, in [0, 1)."""
    return np.float64(word >> _UNIFORM_SHIFT) * 2.0**-53


@njit(cache=True)
def _open01(word):  # type: ignore[no-untyped-def]
    """``Open01`` of one word, in (0, 1)."""
    return (1.0 + np.float64(word >> _MANTISSA_SHIFT) * 2.0**-52) - (1.0 - 2.0**-53)


@njit(cache=True, inline="always")  # no reference per call (see arena.amm.bundle)
def _normal(raw, position):  # type: ignore[no-untyped-def]
    """The ``StandardNormal`` draw starting at ``raw[position]`` (rand_distr's ziggurat).

    Fast path one word; a wedge test takes the next word as ``gen::<f64>()`` and a rejection
    restarts two words later; the tail takes pairs of ``Open01`` words. ``exp`` and ``ln`` are
    the platform's, as Rust's std calls them.

    :returns: ``(value, next position)``, the position -1 if the draw needs words past ``raw``.
    """
    size = raw.shape[0]
    while position < size:
        bits = raw[position]
        layer = np.int64(bits & _LAYER_MASK)
        u = (2.0 + np.float64(bits >> _MANTISSA_SHIFT) * 2.0**-51) - 3.0
        x = u * ZIG_NORM_X[layer]
        if abs(x) < ZIG_NORM_X[layer + 1]:
            return x, position + 1
        if layer == 0:
            at, tail_x, tail_y = position + 1, 1.0, 0.0
            while -2.0 * tail_y < tail_x * tail_x:
                if at + 2 > size:
                    return math.nan, -1
                tail_x = math.log(_open01(raw[at])) / ZIGGURAT_R
                tail_y = math.log(_open01(raw[at + 1]))
                at += 2
            return (tail_x - ZIGGURAT_R if u < 0.0 else ZIGGURAT_R - tail_x), at
        if position + 1 >= size:
            break
        f_top, f_low = ZIG_NORM_F[layer], ZIG_NORM_F[layer + 1]
        if f_low + (f_top - f_low) * _uniform(raw[position + 1]) < math.exp(-x * x / 2.0):
            return x, position + 2
        position += 2
    return math.nan, -1


@njit("Tuple((float64[::1], int64))(uint64[::1], int64)", cache=True)
def _normals(raw, n):  # type: ignore[no-untyped-def]
    """The first ``n`` normals drawn from ``raw`` and the words they used (-1: too few)."""
    raw = borrowed(raw)  # no reference taken per draw
    values = np.empty(n)
    position = 0
    for i in range(n):
        values[i], position = _normal(raw, position)
        if position < 0:
            return values, -1
    return values, position


@njit(
    "Tuple((int64[::1], float64[::1], float64[::1], int64))(uint64[::1], float64, int64)",
    cache=True,
)
def _retail_orders(raw, limit, n):  # type: ignore[no-untyped-def]
    """Follow ``n`` retail steps through ``raw``: a Knuth Poisson count, then per order a
    normal (the size) and one uniform (the direction).

    Knuth multiplies uniforms (``p = p * u``, in this order) while ``p > limit``
    (``exp(-rate)``); the count is the number of words it used minus one.

    :returns: ``(counts, normals, directions, words used)``, used -1 if ``raw`` is too short.
    """
    raw = borrowed(raw)  # no reference taken per draw
    size = raw.shape[0]
    counts = np.empty(n, dtype=np.int64)
    normals = np.empty(size // 2 + 1)  # an order uses at least two words
    directions = np.empty(size // 2 + 1)
    orders = 0
    position = 0
    for step in range(n):
        product, words = 1.0, 0
        while product > limit:  # at least once: limit = exp(-rate) < 1
            if position >= size:
                return counts, normals, directions, -1
            product = product * _uniform(raw[position])
            position += 1
            words += 1
        for _ in range(words - 1):
            normals[orders], position = _normal(raw, position)
            if not 0 <= position < size:  # the size or the direction's word is past raw
                return counts, normals, directions, -1
            directions[orders] = _uniform(raw[position])
            position += 1
            orders += 1
        counts[step] = words - 1
    return counts, normals[:orders], directions[:orders], position


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
    values, used = _normals(raw, n)
    return None if used < 0 else (values, int(used))


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
        counts, normals, directions, used = _retail_orders(raw, self._poisson_limit, n)
        if used < 0:
            return None
        sizes = msun_exp(self._mu + self._sigma * normals)
        return RetailBlock(counts, sizes, directions < self._buy_prob), int(used)


@dataclass(frozen=True)
class SimulationBlock:
    """All random inputs of a block of steps of one simulation.

    :ivar prices: fair price after each step's GBM update.
    :ivar arb_start_sizes: raw arbitrage start sizes, one per step (``None`` for streams made
        without the arbitrageur's).
    :ivar retail: the retail orders of the block.
    """

    prices: F64Array
    arb_start_sizes: F64Array | None
    retail: RetailBlock


class SimulationStreams:
    """The three streams of the simulation described by ``params``."""

    def __init__(
        self, params: MarketParams, initial_price: float = INITIAL_PRICE, arbitrage: bool = True
    ) -> None:
        """
        :param params: the simulation's hyperparameters, seed included.
        :param initial_price: fair price before the first step.
        :param arbitrage: whether to draw the arbitrageur's start sizes; a market whose
            arbitrage needs no start (closed forms, precise searches) skips their cost. The
            streams are independent, so the others do not change.
        """
        self.params = params
        self.price = PriceStream(params.seed, params.sigma, initial_price)
        self.arb = ArbStream(params.seed, params.mean_size) if arbitrage else None
        self.retail = RetailStream(params.seed, params.arrival_rate, params.mean_size)

    def next(self, n: int) -> SimulationBlock:
        """The random inputs of the next ``n`` steps."""
        arb = self.arb.next(n) if self.arb is not None else None
        return SimulationBlock(self.price.next(n), arb, self.retail.next(n))

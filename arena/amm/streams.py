"""The three random streams of one prop-amm simulation, generated block by block.

The engine owns three independent ``Pcg64`` generators per simulation (engine.rs): the GBM
price (simulation seed), retail flow (seed + 1) and the arbitrageur's random start size
(seed + 2). None of them depends on the market state, so blocks of steps are produced ahead,
bit-identical to the engine, in memory bounded by the block size.

**How words are parsed.** A block of raw u64 words is drawn and *every* position is evaluated,
vectorised, as if a draw started there: the ziggurat length and value of a normal
(:func:`arena.rng.resolve_normal_tokens`) and, for retail, the Poisson count and the length of
the whole step. That gives a successor position for each position; the real draws are the
chain of successors from the first unconsumed word, extracted by pointer doubling
(:func:`_chain`). Words after the last complete step are kept for the next parse, so any split
of the steps into blocks yields the same values.

**Read-ahead.** A parse costs ~0.1-0.2 ms however short, so each stream parses at least
``_CHUNK_STEPS`` steps at a time and serves calls of any size from what it has parsed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np

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


def _chain(successor: I64Array, count: int) -> I64Array:
    """First ``count`` positions of the chain ``0, successor[0], ...`` whose draws are complete.

    Pointer doubling: ``jumps[k]`` maps every position 2^k draws ahead. The coarsest stride is
    walked in Python (cheaper than more full-size levels); the chain is then refined level by
    level, interleaving each node with its half-stride successor, which keeps it in order.
    Successors at or past the end (those of incomplete draws lie past it) collapse into an
    absorbing sentinel.

    :param successor: the position right after the draw starting at each position; the draw
        is complete when that is at most ``successor.size``.
    :returns: fewer than ``count`` positions if the block runs out of words.
    """
    size = successor.size
    if count == 0 or size == 0:
        return np.zeros(0, dtype=np.int64)
    jumps = [np.append(np.minimum(successor, size), size)]
    # Each level costs a full-size gather; 2^levels ~ sqrt(count) / 8 balanced best in timings.
    for _ in range(max(0, (count.bit_length() + 1) // 2 - 3)):
        jumps.append(jumps[-1].take(jumps[-1]))
    coarsest = jumps[-1]
    node = 0
    coarse = [node]
    for _ in range((count - 1) >> (len(jumps) - 1)):
        node = coarsest.item(node)
        coarse.append(node)
    nodes = np.array(coarse, dtype=np.int64)
    for level in reversed(jumps[:-1]):
        refined = np.empty(2 * nodes.size, dtype=np.int64)
        refined[0::2] = nodes
        refined[1::2] = level.take(nodes)
        nodes = refined
    # The chain is increasing until it hits the sentinel; only its last real node can be an
    # incomplete draw.
    nodes = nodes[: min(count, int(np.searchsorted(nodes, size)))]
    if nodes.size and successor[nodes[-1]] > size:
        nodes = nodes[:-1]
    return nodes


def _walk_orders(
    first_normal: I64Array, counts: I64Array, normal_length: I64Array
) -> tuple[I64Array, list[tuple[I64Array, I64Array]]]:
    """Follow the (normal, direction uniform) pairs of retail steps, all steps at once.

    :param first_normal: position of each step's first normal (right after its Poisson draw).
    :param counts: orders of each step.
    :param normal_length: words used by a normal starting at each position of the block.
    :returns: ``(end, orders)``: the first word after each step (past the block end if the
        step is incomplete), and for each order index ``j`` the steps that have a j-th order
        together with the position of that order's normal.
    """
    size = normal_length.size
    end = first_normal.copy()
    steps = np.flatnonzero(counts > 0)
    orders: list[tuple[I64Array, I64Array]] = []
    while steps.size:
        normal_at = end.take(steps)
        # A normal at or past the block end leaves ``after`` past the end too: incomplete.
        after = normal_at + normal_length.take(np.minimum(normal_at, size - 1)) + 1
        end[steps] = after
        orders.append((steps, normal_at))
        steps = steps.take(np.flatnonzero((after <= size) & (counts.take(steps) > len(orders))))
    return end, orders


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
    starts = _chain(np.arange(raw.size) + length, n)
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

    def _poisson_words(self, uniform: F64Array) -> tuple[I64Array, int]:
        """Words used by a Knuth Poisson draw starting at each position (count = words - 1).

        Knuth multiplies uniforms (``p = p * u``, in this order) while ``p > exp(-lambda)``.
        The first two factors are applied to every position with contiguous slices; the few
        positions still alive then continue as a compacted set.

        :returns: ``(words, bound)``: words per position and a bound above every complete
            value. A draw that runs past the block counts the words up to the block end plus
            one, so that ``position + words`` lies past the end exactly for incomplete draws.
        """
        size = uniform.size
        limit = self._poisson_limit
        two_factors = uniform[:-1] * uniform[1:]
        words = (uniform > limit).astype(np.int64)
        words += 1
        alive = np.flatnonzero(two_factors > limit)
        words[alive] += 1
        product = two_factors.take(alive)
        depth = 2
        while alive.size:
            factor_at = alive + depth
            if factor_at[-1] >= size:  # sorted: only the last ones run out of words
                cut = int(np.searchsorted(factor_at, size))
                alive, factor_at, product = alive[:cut], factor_at[:cut], product[:cut]
            product = product * uniform.take(factor_at)
            depth += 1
            keep = np.flatnonzero(product > limit)
            alive, product = alive.take(keep), product.take(keep)
            words[alive] += 1
        return words, depth + 1

    def _parse(self, raw: U64Array, n: int) -> tuple[RetailBlock, int] | None:
        """Parse ``n >= 1`` steps from the start of ``raw``.

        :returns: the orders and the number of words they used, or ``None`` if ``raw`` is
            too short.
        """
        size = raw.size
        uniform = standard_f64(raw)
        normal_length, normal_value = resolve_normal_tokens(raw)
        poisson_words, words_bound = self._poisson_words(uniform)
        order_count = poisson_words - 1

        # A regular step of c orders, whose normals are single words, uses (c + 1) + 2c words
        # and has its normals at distances c + 1, c + 3, ..., 3c - 1 from its start. Steps
        # with a slow normal there are walked exactly instead. They are found from the few
        # slow positions, looking back over every distance a window can have.
        first_normal = np.arange(size) + poisson_words
        successor = first_normal + 2 * order_count
        slow = np.flatnonzero(normal_length != 1)
        distance = np.arange(2, 3 * words_bound)
        start = slow[:, None] - distance
        count = order_count.take(np.maximum(start, 0))
        into_window = distance - count - 1
        covered = (start >= 0) & (into_window >= 0) & (into_window < 2 * count)
        is_irregular = np.zeros(size, dtype=np.bool_)
        is_irregular[start[covered & (into_window % 2 == 0)]] = True
        irregular = np.flatnonzero(is_irregular)
        irregular_end, irregular_orders = _walk_orders(
            first_normal.take(irregular), order_count.take(irregular), normal_length
        )
        successor[irregular] = irregular_end

        starts = _chain(successor, n)
        if starts.size < n:
            return None
        counts = order_count.take(starts)
        first_order = np.cumsum(counts) - counts
        order_in_step = np.arange(int(first_order[-1] + counts[-1]))
        order_in_step -= np.repeat(first_order, counts)
        normal_at = np.repeat(starts + counts + 1, counts) + 2 * order_in_step
        # Irregular steps on the chain: replace the regular positions by the walked ones.
        step_of_irregular = np.minimum(np.searchsorted(starts, irregular), n - 1)
        on_chain = starts.take(step_of_irregular) == irregular
        for j, (rows, walked_normal_at) in enumerate(irregular_orders):
            chained = np.flatnonzero(on_chain.take(rows))
            order = first_order.take(step_of_irregular.take(rows.take(chained))) + j
            normal_at[order] = walked_normal_at.take(chained)

        direction = uniform.take(normal_at + normal_length.take(normal_at))
        sizes = msun_exp(self._mu + self._sigma * normal_value.take(normal_at))
        return RetailBlock(counts, sizes, direction < self._buy_prob), int(successor[starts[-1]])


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

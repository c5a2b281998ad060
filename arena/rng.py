"""Random streams bit-for-bit identical to the Rust ``rand`` stack of the prop-amm engine.

The reference engine draws everything from ``rand_pcg::Pcg64`` (rand_pcg 0.3.1) seeded with
``SeedableRng::seed_from_u64`` (rand_core 0.6.4) and samples with rand 0.8.5 / rand_distr 0.4.3.
This module reproduces those algorithms exactly, so every value equals the Rust value bit for bit.

**Raw generator.** ``Pcg64`` is PCG XSL-RR 128/64, the very generator behind
``numpy.random.PCG64``. We derive the Rust ``(state, increment)`` pair from the u64 seed in pure
Python and inject it into a numpy bit generator (``bit_generator.state = {...}``); from then on
``random_raw`` yields the Rust ``next_u64`` sequence at C speed.

**Samplers.** Scalar methods of :class:`Pcg64` follow the Rust sampler loops literally; they
are the reference for the compiled parsers of :mod:`arena.amm.streams`, which turn blocks of
raw words into the same values.

**Transcendentals.** Two different ``exp`` implementations are in play in the engine:

* ``f64::exp`` / ``f64::ln`` called on concrete ``f64`` (the GBM step, the ziggurat's density
  and tail) resolve to Rust's std, i.e. the platform libm (glibc on Linux). Python's
  :func:`math.exp` / :func:`math.log` call the same glibc functions; :func:`platform_exp` is
  the vectorised equivalent (numpy's own float ``np.exp`` is not).
* ``LogNormal`` and ``Poisson`` are generic over ``num_traits::Float``. rand_distr enables
  num-traits without its ``std`` feature (``std_math`` is off by default), so their ``exp`` is the
  pure-Rust ``libm`` crate, a port of FreeBSD msun ``e_exp.c``. It differs from glibc's ``exp`` by
  one ulp on roughly 10% of inputs, hence :func:`msun_exp`.

numpy ufuncs ``+``, ``*``, ``/`` are correctly rounded IEEE operations and Rust never contracts
``a * b + c`` into an FMA, so vectorised arithmetic written in the Rust operation order is exact.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal, localcontext
from typing import Final

import numpy as np
import numpy.typing as npt

U64Array = npt.NDArray[np.uint64]
F64Array = npt.NDArray[np.float64]
I64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

U64_MASK: Final = (1 << 64) - 1
_U128_MASK: Final = (1 << 128) - 1
_PCG32_MULTIPLIER: Final = 6364136223846793005
_PCG32_INCREMENT: Final = 11634580027462260723
_PCG128_MULTIPLIER: Final = 0x2360ED051FC65DA44385DF649FCCF645

# IEEE-754 exponent bits that turn random mantissa bits into a float in [1, 2) or [2, 4).
_EXPONENT_ONE: Final = 0x3FF << 52
_EXPONENT_TWO: Final = 0x400 << 52
_TWO_POW_MINUS_53: Final = 2.0**-53

#: rand_distr's Poisson uses Knuth's product method below this rate (and rejection above).
KNUTH_POISSON_MAX_RATE: Final = 12.0


# --------------------------------------------------------------------------------------------
# Ziggurat tables (rand_distr 0.4.3 ``ziggurat_tables.rs``: ZIG_NORM_R, ZIG_NORM_X, ZIG_NORM_F)
# --------------------------------------------------------------------------------------------
_ZIGGURAT_LAYERS: Final = 256
_ZIGGURAT_NORM_V: Final = 0.00492867323399


def _ziggurat_normal_tables() -> tuple[F64Array, F64Array]:
    """Regenerate the 257-entry normal ziggurat tables (ZIGNOR, Doornik 2005).

    Same recurrence as rand's ``utils/ziggurat_tables.py``; the Rust literals are those values
    printed with ``'%.18f'``, so rounding through that format reproduces them. ``exp`` and
    ``ln`` must be correctly rounded here: with glibc's ``exp``, ``F[94]`` (a near-halfway
    case) comes out one ulp above the published literal.
    """
    with localcontext() as context:
        context.prec = 40

        def density(x: float) -> float:
            return float(Decimal(-x * x / 2.0).exp())

        def ln(x: float) -> float:
            return float(Decimal(x).ln())

        xs = [0.0] * (_ZIGGURAT_LAYERS + 1)  # xs[256] stays 0: the top layer's right edge
        xs[0] = _ZIGGURAT_NORM_V / density(ZIGGURAT_R)
        xs[1] = ZIGGURAT_R
        for i in range(2, _ZIGGURAT_LAYERS):
            xs[i] = math.sqrt(-2.0 * ln(_ZIGGURAT_NORM_V / xs[i - 1] + density(xs[i - 1])))
        fs = [density(x) for x in xs]
    return (
        np.array([float(f"{x:.18f}") for x in xs], dtype=np.float64),
        np.array([float(f"{f:.18f}") for f in fs], dtype=np.float64),
    )


#: Start of the normal tail; the Rust literal 3.654152885361008796 parses to this float.
ZIGGURAT_R: Final = 3.6541528853610088
ZIG_NORM_X, ZIG_NORM_F = _ziggurat_normal_tables()


# --------------------------------------------------------------------------------------------
# Conversions of raw u64 words
# --------------------------------------------------------------------------------------------
def _f64_from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def _open01_from_word(word: int) -> float:
    """``Open01``: 52 mantissa bits in [1, 2), shifted into (0, 1)."""
    return _f64_from_bits(_EXPONENT_ONE | word >> 12) - (1.0 - _TWO_POW_MINUS_53)


# --------------------------------------------------------------------------------------------
# The platform libm's exp (Rust std's f64::exp)
# --------------------------------------------------------------------------------------------
def _complex_exp_is_platform_exp() -> bool:
    """Whether ``np.exp`` on complex input yields the platform ``exp`` in its real part.

    numpy's float64 ``np.exp`` has its own SIMD kernels (one ulp off glibc on ~5% of inputs),
    but its complex ``exp`` goes through libm's ``cexp`` (or ``exp`` times ``cos(0)``), whose
    real part for a zero imaginary part is exactly ``exp``. That is an implementation detail, so
    it is probed once against :func:`math.exp`, on random inputs of which ~5% are ones where the
    SIMD kernel disagrees.
    """
    probe = np.random.default_rng(2024).normal(0.0, 3.0, 512)
    expected = np.array([math.exp(v) for v in probe.tolist()])
    return bool(np.array_equal(np.exp(probe.astype(np.complex128)).real, expected))


_COMPLEX_EXP_IS_PLATFORM_EXP: Final = _complex_exp_is_platform_exp()


def platform_exp(x: F64Array) -> F64Array:
    """``f64::exp`` of Rust's std element-wise: the platform libm's ``exp`` (glibc on Linux).

    Same values as mapping :func:`math.exp`, five times faster when the complex route holds.

    :param x: finite values.
    """
    if _COMPLEX_EXP_IS_PLATFORM_EXP:
        return np.exp(x.astype(np.complex128)).real.copy()
    return np.fromiter(map(math.exp, x.tolist()), dtype=np.float64, count=x.size)


# --------------------------------------------------------------------------------------------
# FreeBSD msun exp, as ported by the Rust ``libm`` crate (0.2.16)
# --------------------------------------------------------------------------------------------
_LN2_HI: Final = 6.93147180369123816490e-01
_LN2_LO: Final = 1.90821492927058770002e-10
_INV_LN2: Final = 1.44269504088896338700e00
_EXP_P1: Final = 1.66666666666666019037e-01
_EXP_P2: Final = -2.77777777770155933842e-03
_EXP_P3: Final = 6.61375632143793436117e-05
_EXP_P4: Final = -1.65339022054652515390e-06
_EXP_P5: Final = 4.13813679705723846039e-08
_EXP_OVERFLOW: Final = 709.782712893383973096
_EXP_UNDERFLOW: Final = -745.13321910194110842
_EXP_ORDINARY_LIMIT: Final = 708.0  # below this magnitude no overflow/underflow case applies
# msun returns 1 + x while the high word of |x| is <= 0x3e300000, i.e. below this bound.
_EXP_TINY_BOUND: Final = _f64_from_bits(0x3E300001 << 32)


def msun_exp(x: F64Array) -> F64Array:
    """``libm::exp`` (msun ``e_exp.c``) element-wise, bit for bit.

    This is the ``exp`` behind rand_distr's ``LogNormal`` and ``Poisson`` in the engine; it is
    *not* glibc's ``exp``.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):  # non-finite inputs are patched below
        # Reduce x = k ln2 + r, |r| <= ln2 / 2, r carried as hi - lo. msun picks k = 0 and
        # k = +-1 by branches for |x| < 1.5 ln2; the rounding formula yields the same k there,
        # and with k = 0 the reduction below is exact (hi = x, lo = 0).
        k = np.trunc(_INV_LN2 * x + np.copysign(0.5, x))
        hi = x - k * _LN2_HI
        lo = k * _LN2_LO
        r = hi - lo
        rr = r * r
        c = r - rr * (_EXP_P1 + rr * (_EXP_P2 + rr * (_EXP_P3 + rr * (_EXP_P4 + rr * _EXP_P5))))
        # scalbn's pre-scaling steps are exact, so one correctly rounded ldexp equals it.
        result = np.ldexp(1.0 + (r * c / (2.0 - c) - lo + hi), k.astype(np.int32))
    magnitude = np.abs(x)
    # Cheap reductions first; NaN makes max() NaN, which fails the comparison too.
    if magnitude.size and not (
        magnitude.min() >= _EXP_TINY_BOUND and magnitude.max() < _EXP_ORDINARY_LIMIT
    ):
        special = ~((magnitude >= _EXP_TINY_BOUND) & (magnitude < _EXP_ORDINARY_LIMIT))
        edge = x[special]
        result[special] = np.select(
            [
                np.isnan(edge),
                edge > _EXP_OVERFLOW,
                edge < _EXP_UNDERFLOW,
                magnitude[special] < _EXP_TINY_BOUND,
            ],
            [edge, np.inf, 0.0, 1.0 + edge],
            result[special],
        )
    return result


# --------------------------------------------------------------------------------------------
# Seeding and the scalar generator
# --------------------------------------------------------------------------------------------
def pcg64_state_from_u64(seed: int) -> tuple[int, int]:
    """The ``(state, increment)`` of ``Pcg64::seed_from_u64(seed)``, ready for the first step.

    rand_core expands the u64 with PCG32 into 32 seed bytes; ``Lcg128Xsl64::from_seed`` reads
    them as ``state | increment`` (little endian, increment forced odd), adds the increment to
    the state and takes one LCG step.
    """
    if not 0 <= seed <= U64_MASK:
        raise ValueError(f"seed must be a u64, got {seed}")
    words = []
    pcg32_state = seed
    for _ in range(8):
        pcg32_state = (pcg32_state * _PCG32_MULTIPLIER + _PCG32_INCREMENT) & U64_MASK
        xorshifted = (((pcg32_state >> 18) ^ pcg32_state) >> 27) & 0xFFFFFFFF
        rotation = pcg32_state >> 59
        words.append(((xorshifted >> rotation) | (xorshifted << (32 - rotation))) & 0xFFFFFFFF)
    state = sum(word << (32 * i) for i, word in enumerate(words[:4]))
    increment = sum(word << (32 * i) for i, word in enumerate(words[4:])) | 1
    state = (state + increment) & _U128_MASK
    state = (state * _PCG128_MULTIPLIER + increment) & _U128_MASK
    return state, increment


class Pcg64:
    """``rand_pcg::Pcg64::seed_from_u64(seed)`` with the rand 0.8.5 / rand_distr 0.4.3 samplers.

    Raw words come from a ``numpy.random.PCG64`` whose state is overwritten with the Rust one.
    The scalar sampling methods transcribe the Rust loops literally with Python ints and floats,
    independently of the vectorised helpers, so that they can serve as the reference for them.
    They are slow (microseconds per draw); bulk consumers take :meth:`raw` blocks instead.
    """

    def __init__(self, seed: int) -> None:
        """:param seed: the u64 passed to ``seed_from_u64``."""
        state, increment = pcg64_state_from_u64(seed)
        self._bits = np.random.PCG64()
        self._bits.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": increment},
            "has_uint32": 0,
            "uinteger": 0,
        }

    def raw(self, n: int) -> U64Array:
        """The next ``n`` outputs of ``next_u64`` as a uint64 array."""
        block: U64Array = self._bits.random_raw(n)
        return block

    def next_u64(self) -> int:
        """``RngCore::next_u64``."""
        return int(self._bits.random_raw())

    def next_u32(self) -> int:
        """``RngCore::next_u32``: Pcg64 truncates ``next_u64`` to its low 32 bits."""
        return self.next_u64() & 0xFFFFFFFF

    def gen_f64(self) -> float:
        """``rng.gen::<f64>()`` (the ``Standard`` distribution), in [0, 1)."""
        return (self.next_u64() >> 11) * _TWO_POW_MINUS_53

    def open01(self) -> float:
        """``rng.sample(Open01)``, in (0, 1)."""
        return _open01_from_word(self.next_u64())

    def gen_range_f64(self, low: float, high: float) -> float:
        """``rng.gen_range(low..high)``: ``UniformFloat::sample_single`` incl. its retry loop."""
        scale = high - low
        if not (low < high and math.isfinite(scale)):
            raise ValueError(f"invalid range {low}..{high}")
        while True:
            result = (_f64_from_bits(_EXPONENT_ONE | self.next_u64() >> 12) - 1.0) * scale + low
            if result < high:
                return result

    def gen_range_u16_inclusive(self, low: int, high: int) -> int:
        """``rng.gen_range(low..=high)`` for ``u16``: widening multiply on u32 with rejection.

        For 8/16-bit types rand computes the exact rejection zone with a modulus.
        """
        if not 0 <= low <= high <= 0xFFFF:
            raise ValueError(f"invalid u16 range {low}..={high}")
        span = high - low + 1
        if span == 0x10000:  # the range wraps to 0 in u16: every value is fine
            return self.next_u32() & 0xFFFF
        zone = 0xFFFFFFFF - (0x100000000 - span) % span
        while True:
            product = self.next_u32() * span
            if product & 0xFFFFFFFF <= zone:
                return low + (product >> 32)

    def standard_normal(self) -> float:
        """``StandardNormal`` (256-layer ziggurat with tail and wedge), as in rand_distr 0.4.3."""
        while True:
            bits = self.next_u64()
            layer = bits & 0xFF
            u = _f64_from_bits(_EXPONENT_TWO | bits >> 12) - 3.0
            x = u * float(ZIG_NORM_X[layer])
            if abs(x) < ZIG_NORM_X[layer + 1]:
                return x
            if layer == 0:
                return self._normal_tail(u)
            f_top = float(ZIG_NORM_F[layer])
            f_low = float(ZIG_NORM_F[layer + 1])
            if f_low + (f_top - f_low) * self.gen_f64() < math.exp(-x * x / 2.0):
                return x

    def _normal_tail(self, u: float) -> float:
        x = 1.0
        y = 0.0
        while -2.0 * y < x * x:
            x = math.log(self.open01()) / ZIGGURAT_R
            y = math.log(self.open01())
        return x - ZIGGURAT_R if u < 0.0 else ZIGGURAT_R - x

    def lognormal(self, mu: float, sigma: float) -> float:
        """``LogNormal::new(mu, sigma).sample``: ``exp(mu + sigma * z)`` with msun ``exp``."""
        return float(msun_exp(np.array([mu + sigma * self.standard_normal()]))[0])

    def poisson(self, lam: float) -> int:
        """``Poisson::new(lam).sample`` cast to an integer; Knuth's method (``lam < 12`` only).

        :raises ValueError: for ``lam <= 0`` (rejected by rand_distr) or ``lam >= 12`` (the
            rejection sampler rand_distr switches to there is not implemented; the engine never
            needs it).
        """
        if not 0.0 < lam < KNUTH_POISSON_MAX_RATE:
            raise ValueError(f"only 0 < lambda < {KNUTH_POISSON_MAX_RATE} is supported, got {lam}")
        limit = float(msun_exp(np.array([-lam]))[0])
        product = 1.0
        count = 0
        while product > limit:
            product *= self.gen_f64()
            count += 1
        return count - 1

"""Guards on the operators whose single C-level evaluation can take unbounded time or memory.

``10 ** 10 ** 10`` or ``1 << 10 ** 12`` is one bytecode that runs for minutes; ``"x" * 10 ** 10``
allocates gigabytes at once. The compiler routes ``**`` and ``<<`` (and ``pow``), and ``*``
with a literal sequence on one side, through these functions, which refuse integers larger than
:data:`MAX_INT_BITS` and charge repeated sequences one unit per item. In-place operators on
plain names (``n += 1``) come here too and work on numbers only.

Other arithmetic is left to Python: the compiler does not slow down every ``+`` and ``*`` of an
honest strategy for the sake of the rest. See :mod:`arena.sandbox.budget` for what that leaves
to the worker's limits.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, Final

from arena.sandbox.budget import METER

__all__ = ["MAX_INT_BITS", "guarded_inplacevar", "guarded_lshift", "guarded_mul", "guarded_pow"]

#: Largest integer ``**`` and ``<<`` may produce: 16 times a 256-bit word, far beyond what
#: price and fee arithmetic needs.
MAX_INT_BITS: Final = 4096

_SEQUENCES: Final = (str, bytes, list, tuple)
_NUMBERS: Final = frozenset({int, float, bool})


def _short(number: int) -> str:
    return str(number) if number.bit_length() <= 64 else f"a {number.bit_length()}-bit integer"


def _too_big(expression: str, bits: float) -> OverflowError:
    return OverflowError(
        f"{expression} would be an integer of about {bits:,.0f} bits; "
        f"integers in strategies are limited to {MAX_INT_BITS} bits"
    )


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    """``base ** exponent`` (or ``pow(base, exponent, modulus)``), refusing huge integers."""
    if modulus is None and isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        magnitude = abs(base)
        if magnitude > 1:
            bits = exponent * math.log2(magnitude)
            if bits > MAX_INT_BITS:
                raise _too_big(f"{_short(base)} ** {_short(exponent)}", bits)
    if modulus is None:
        return base**exponent
    return pow(base, exponent, modulus)


def guarded_lshift(value: Any, shift: Any) -> Any:
    """``value << shift``, refusing huge integers."""
    if isinstance(value, int) and isinstance(shift, int) and value and shift > 0:
        bits = value.bit_length() + shift
        if bits > MAX_INT_BITS:
            raise _too_big(f"{_short(value)} << {_short(shift)}", bits)
    return value << shift


def guarded_mul(left: Any, right: Any) -> Any:
    """``left * right`` where one side is a literal sequence: one unit per item made."""
    sequence, count = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
    if isinstance(sequence, _SEQUENCES) and isinstance(count, int) and count > 0:
        items = len(sequence) * count
        METER.charge(items, f"repeating a sequence into {items:,} items")
    return left * right


_INPLACE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "+=": operator.add,
    "-=": operator.sub,
    "*=": operator.mul,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": guarded_pow,
    "<<=": guarded_lshift,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
}


def guarded_inplacevar(op: str, target: Any, value: Any) -> Any:
    """``target op value`` for ``name op= value``: numbers only (``_inplacevar_``)."""
    if type(target) in _NUMBERS and type(value) in _NUMBERS and op in _INPLACE:
        return _INPLACE[op](target, value)
    plain = op[:-1]
    raise TypeError(f"'{op}' works on numbers only in strategies; write x = x {plain} y instead")

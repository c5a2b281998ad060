"""Many arrays behind one reference, for the compiled generators.

A numba generator saves its live variables each time it pauses and restores them when it
resumes, taking and dropping a reference to every array among them: some 20 ns per array per
pause, and the engines' generators work on twenty to thirty arrays. So each packs its arrays
into one bundle as it starts and reads them as the bundle's fields from then on: one reference
per pause, whatever the number of arrays.

A bundle lives only inside compiled code (it is never returned to Python). Its type lists the
fields; :data:`new_bundle` makes an empty one to fill::

    ARRAYS = bundle_type(prices=types.float64[:, ::1], ...)

    @njit(cache=True)
    def pack(prices, ...):
        a = new_bundle(ARRAYS)
        a.prices = prices
        ...

Sub-generators get the bundle's address (:data:`address_of`), not the bundle: numba never
finalizes a generator that compiled code created (numba issues 1278 and 1807), so a reference
held by its arguments would never be released, and with it the bundle and all its arrays. The
sub-generator takes its own reference (:data:`bundle_at`), which it releases as it finishes;
the caller's bundle outlives it.

Reading a field takes a reference too, and so does every call for each array it is given.
Where that adds up, in loops that call helpers per step or per draw, a function reads its
arrays once as :data:`borrowed` views, which hold no reference (taking and dropping one costs
nothing), and its helpers are inlined (``inline="always"``) so that no call copies them. A
generator that pauses often keeps few views: it saves and restores every live variable at
each pause, so the views belong in the plain functions it calls between pauses.
"""

from __future__ import annotations

from typing import Any, Final

from numba.core import cgutils, types
from numba.experimental import structref
from numba.extending import intrinsic

__all__ = ["BundleType", "address_of", "borrowed", "bundle_at", "bundle_type", "new_bundle"]


@structref.register
class BundleType(types.StructRef):
    """The numba type of a bundle of arrays (fields readable and writable in compiled code)."""


def bundle_type(**fields: types.Type) -> BundleType:
    """The type of a bundle with these fields, in this order."""
    return BundleType(list(fields.items()))


#: ``new_bundle(bundle_type)``: an empty bundle (compiled code only; fields zeroed).
new_bundle: Final[Any] = structref.new


def _address_of(typingctx: Any, bundle: BundleType) -> Any:
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ref = context.make_helper(builder, bundle, args[0])
        return builder.ptrtoint(ref.meminfo, cgutils.intp_t)

    return types.intp(bundle), codegen


def _bundle_at(typingctx: Any, kind: types.TypeRef, address: types.Integer) -> Any:
    bundle = kind.instance_type

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ref = context.make_helper(builder, bundle)
        ref.meminfo = builder.inttoptr(args[1], ref.meminfo.type)
        value = ref._getvalue()
        context.nrt.incref(builder, bundle, value)
        return value

    return bundle(kind, address), codegen


#: ``address_of(bundle)``: the bundle's address, an int (compiled code only; no reference).
address_of: Final[Any] = intrinsic(_address_of)
#: ``bundle_at(bundle_type, address)``: a new reference to the bundle at ``address``.
bundle_at: Final[Any] = intrinsic(_bundle_at)


def _borrowed(typingctx: Any, array: types.Array) -> Any:
    if not isinstance(array, types.Array):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        view = context.make_array(array)(context, builder, value=args[0])
        view.meminfo = cgutils.get_null_value(view.meminfo.type)
        view.parent = cgutils.get_null_value(view.parent.type)
        return view._getvalue()

    return array(array), codegen


#: ``borrowed(array)``: the same array without a reference of its own (compiled code only).
#: Taking and dropping references to it costs nothing (numba skips a null reference), so a
#: function that reads its arrays from a bundle once can pass them on to helpers in a loop
#: for free. Valid only while the bundle keeps the array: never store or return it.
borrowed: Final[Any] = intrinsic(_borrowed)

"""Borrowed views: the same memory as the array, and no reference of their own."""

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from arena.amm.bundle import borrowed


@intrinsic
def _references(typingctx, array):  # type: ignore[no-untyped-def]
    """The count of references numba holds to ``array``'s memory (0 without a meminfo)."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        meminfo = context.make_array(array)(context, builder, value=args[0]).meminfo
        count = cgutils.alloca_once_value(builder, context.get_constant(types.intp, 0))
        with builder.if_then(cgutils.is_not_null(builder, meminfo)):
            # NRT_MemInfo starts with its reference count
            slot = builder.bitcast(meminfo, cgutils.intp_t.as_pointer())
            builder.store(builder.load(slot), count)
        return builder.load(count)

    return types.intp(array), codegen


@njit
def _add_at(values, index, amount):  # type: ignore[no-untyped-def]
    values[index] += amount


@njit
def _fill_through_view(values):  # type: ignore[no-untyped-def]
    view = borrowed(values)
    for i in range(view.shape[0]):
        _add_at(view, i, float(i))
    return view.sum()


@njit
def _counts_while_paused(values):  # type: ignore[no-untyped-def]
    view = borrowed(values)
    for i in range(view.shape[0]):
        yield _references(values), _references(view)  # the generator holds the view
        view[i] = -1.0


def test_a_borrowed_view_reads_and_writes_the_array() -> None:
    values = np.full(5, 10.0)
    assert _fill_through_view(values) == 50.0 + sum(range(5))
    np.testing.assert_array_equal(values, 10.0 + np.arange(5))


def test_a_borrowed_view_holds_no_reference() -> None:
    values = np.arange(3.0)
    counts = list(_counts_while_paused(values))
    assert [view for _, view in counts] == [0, 0, 0]
    assert len({array for array, _ in counts}) == 1  # pausing with the view took none either
    np.testing.assert_array_equal(values, -1.0)

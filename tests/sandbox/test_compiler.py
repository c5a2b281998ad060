"""Compiling and running strategy code in this process: the rules, the guards and the budget.

These tests run small, trusted snippets in-process; hostile files go through workers in
test_hostile.py.
"""

from collections.abc import Callable
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.errors import StrategyLoadError
from arena.payloads import AfterSwap, EpochBoundary, SwapRequest
from arena.sandbox import (
    GUEST_ERRORS,
    METER,
    BudgetExceeded,
    RestrictionError,
    compile_strategy,
    describe_error,
    guest_line,
    guest_output,
)
from arena.sandbox.guards import UNGUARDED_ATTRIBUTES
from arena.sandbox.printing import PRINT_LIMIT
from arena.storage import Storage, StorageError

HEADER = 'NAME = "x"\nMODEL_USED = "None"\n'
PAYLOAD = AfterSwap(0, 10, 9, 100, 200, 3, 3, 0, 2, 0, 0.5, 1.0, (2.0,))


def instance(body: str) -> dict:
    return compile_strategy(HEADER + body, "s.py").instantiate("S")


def call(body: str, *args, function: str = "f", budget: int = 10_000):
    """``function(*args)`` of a fresh instance: (value or error, units spent)."""
    namespace = instance(body)
    start = METER.start(budget)
    try:
        value = namespace[function](*args)
    except GUEST_ERRORS as error:
        value = error
    return value, METER.count - start


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ("import math\n", "math is already there", 3),
        ("def f():\n    with g():\n        pass\n", "with statements are not available", 4),
        ("def f(x):\n    return max(*x)\n", "calls with *args or **kwargs", 4),
        ("@min\ndef f():\n    pass\n", "decorators are not available", 4),
        ("x = lambda: y\n", "name 'y' is not defined", 3),
        ("def f():\n    return 1 << 5000\n", "would be an integer of about 5,001 bits", 4),
        ("def f(:\n", "SyntaxError", 3),
    ],
)
def test_refusals_name_the_line_and_suggest_a_fix(body: str, message: str, line: int) -> None:
    with pytest.raises(RestrictionError) as refused:
        compile_strategy(HEADER + body, "s.py")
    assert message in refused.value.message
    assert refused.value.lineno == line
    assert refused.value.hint


@pytest.mark.parametrize(
    "expression", ["+".join(["1"] * 30_000), "-" * 30_000 + "1", "not " * 5_000 + "1"]
)
def test_code_nested_too_deep_is_refused_not_crashed_on(expression: str) -> None:
    # Python's parser and compiler recurse once per level: the parent must survive it.
    with pytest.raises(RestrictionError, match="nested too deeply to compile"):
        compile_strategy(f"{HEADER}X = {expression}\n", "s.py")


def test_names_defined_anywhere_in_the_module_are_not_undefined() -> None:
    body = (
        "def f():\n    return g() + LATER + max(1, 2) + math.floor(1.5)\n\n"
        "def g():\n    return [v for v in range(2)][1]\n\nLATER = 3\n"
    )
    assert call(body)[0] == 1 + 3 + 2 + 1


def test_units_count_the_nodes_that_run_the_same_way_every_time() -> None:
    straight = "def f(a, b):\n    return a + b * 2\n"
    # 1 for the call, Return + BinOp + Name + BinOp + Name + Constant = 6
    assert call(straight, 1, 2) == (5, 7)
    loop = (
        "def f(n):\n    total = 0\n    for i in range(n):\n        total = total + i\n"
        "    return total\n"
    )
    # an iteration: the target i, and `total = total + i` (Assign, Name, BinOp, Name, Name)
    assert call(loop, 20)[1] - call(loop, 10)[1] == 10 * 6
    assert call(loop, 10) == call(loop, 10)


def test_an_exhausted_budget_cannot_be_caught_or_outlived() -> None:
    body = (
        "def f():\n"
        "    try:\n"
        "        while True:\n"
        "            pass\n"
        "    except Exception:\n"
        "        return 'caught'\n"
        "    finally:\n"
        "        for i in range(10):\n"
        "            pass\n"
    )
    error, spent = call(body, budget=1_000)
    assert isinstance(error, BudgetExceeded)
    assert spent <= 1_000 + 10
    assert "budget of" in describe_error(error)


def test_builtins_that_walk_in_c_are_paid_for_per_item() -> None:
    assert call("def f():\n    return sum(range(100))\n")[1] >= 100
    assert isinstance(call("def f():\n    return sorted(range(10**9))\n")[0], BudgetExceeded)
    walk = "def f():\n    return max(x for x in range(10**9))\n"
    assert isinstance(call(walk)[0], BudgetExceeded)
    # two or more items need no walking: min and max are the builtins then
    assert call("def f():\n    return max(1, 5, 3) + min(2, 4)\n")[0] == 7
    assert call("def max(a, b):\n    return 0\n\ndef f():\n    return max(1, 5)\n")[0] == 0
    assert call("def f():\n    return isinstance([], list) and isinstance({}, (tuple, dict))\n")[0]


def test_attributes_come_from_an_allowlist() -> None:
    storage = Storage()
    storage.u64[2] = 7
    assert call("def f(s):\n    return s.u64[2] + len(s.to_bytes())\n", storage)[0] == 7 + 1024
    assert call("def f(p):\n    return p.competing_spot_prices[0] + p[1]\n", PAYLOAD)[0] == 12.0
    assert call("def f():\n    return math.floor(math.sqrt(10))\n")[0] == 3
    for expression, argument, message in [
        ("x.restore", storage, "'Storage' object has no attribute 'restore'"),
        ("x.count", PAYLOAD, "AfterSwap records have no attribute 'count'"),
        ("'x'.format", None, "str.format is not available"),
        ("math.os", None, "math.os is not available"),
        ("f.x", None, "'function' object has no attribute 'x'"),
    ]:
        error = call(f"def f(x):\n    return {expression}\n", argument)[0]
        assert isinstance(error, AttributeError) and message in str(error), (expression, error)


def test_writes_reach_storage_and_own_containers_only() -> None:
    storage = Storage()
    call("def f(s):\n    s.u64[1] = 5\n    s[0] = 2\n", storage)
    assert storage.u64[1] == 5 and storage[0] == 2
    assert isinstance(call("def f(s):\n    s.u64[1] = 5\n", storage.readonly())[0], StorageError)
    own = "def f():\n    d = {}\n    d['a'] = [1]\n    d['a'][0] = 2\n    return d\n"
    assert call(own)[0] == {"a": [2]}
    error = call("def f(p):\n    p[0] = 1\n", PAYLOAD)[0]
    assert isinstance(error, TypeError) and "read-only" in str(error)
    assert call("def f():\n    x = 2\n    x += 3\n    x **= 2\n    return x\n")[0] == 25
    assert isinstance(call("def f():\n    s = 'a'\n    s += 'b'\n")[0], TypeError)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["u64", "i64", "f64"]),
    index=st.one_of(st.integers(-130, 130), st.booleans(), st.just(1.0)),
    value=st.one_of(
        st.integers(-(2**65), 2**65), st.floats(allow_nan=False), st.booleans(), st.just("1")
    ),
    writable=st.booleans(),
)
def test_sandboxed_slot_access_behaves_as_trusted_slots(
    kind: str, index: object, value: object, writable: bool
) -> None:
    """The guards' C-level path for slots does exactly what Slots does, errors included."""

    def outcome(act: Callable[[], object]) -> tuple[str, object]:
        try:
            return "ok", act()
        except GUEST_ERRORS as error:
            return type(error).__name__, str(error)

    trusted, guest = Storage(), Storage()
    if not writable:
        trusted, guest = trusted.readonly(), guest.readonly()
    slots = getattr(trusted, kind)
    body = f"def f(s, i, v):\n    s.{kind}[i] = v\n    return s.{kind}[i]\n"
    expected = outcome(lambda: (slots.__setitem__(index, value), slots[index])[1])
    assert outcome(lambda: _raise(call(body, guest, index, value)[0])) == expected
    assert guest.to_bytes() == trusted.to_bytes()


def _raise(value: object) -> object:
    if isinstance(value, BaseException):
        raise value
    return value


def test_item_assignment_evaluates_the_value_first() -> None:
    body = (
        "def f():\n    seen = []\n    d = {}\n"
        "    d[seen.append('key') or 'k'] = seen.append('value') or 1\n    return seen\n"
    )
    assert call(body)[0] == ["value", "key"]


def test_unguarded_attribute_names_belong_to_arena_records_only() -> None:
    """``x.name`` compiles without a guard for these names: no other class loaded has them."""
    import arena.cli  # noqa: F401  (load what a worker could possibly have loaded, and more)

    ours = (AfterSwap, EpochBoundary, SwapRequest, Storage)
    pending, classes = [object], set()
    while pending:
        for sub in type.__subclasses__(pending.pop()):
            if sub not in classes:
                classes.add(sub)
                pending.append(sub)
    assert len(classes) > 1000  # builtins, the standard library, numpy, pandas, arena …
    clashes = []
    for cls in classes:
        if issubclass(cls, ours):
            continue
        for name in UNGUARDED_ATTRIBUTES:
            try:
                found = hasattr(cls, name)
            except Exception:
                found = True  # an attribute that cannot even be looked up is a clash too
            if found:
                clashes.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert clashes == []
    assert {"u64", "sim_step", "competing_spot_prices", "input_amount"} <= UNGUARDED_ATTRIBUTES
    assert "to_bytes" not in UNGUARDED_ATTRIBUTES  # int.to_bytes exists: that one stays guarded


def test_a_name_that_shadows_math_is_still_guarded() -> None:
    error = call("def f(math):\n    return math.restore\n", Storage())[0]
    assert isinstance(error, AttributeError) and "no attribute 'restore'" in str(error)
    error = call("math = {}\ndef f():\n    return math.sqrt\n")[0]
    assert isinstance(error, AttributeError)


def test_module_globals_are_fresh_per_instance_and_frozen() -> None:
    body = (
        "TABLE = [1, [2, 3], {'k': {4}}]\n"
        "def helper(seen=[]):\n    return seen\n"
        "def f():\n    return TABLE, helper()\n"
    )
    (table, seen), _ = call(body)
    assert table == (1, (2, 3), MappingProxyType({"k": frozenset({4})}))
    assert seen == ()
    one, two = instance(body), instance(body)
    assert one["f"] is not two["f"]  # nothing is shared between simulations
    stateful = "ITER holds a value of type list_reverseiterator"
    with pytest.raises(StrategyLoadError, match=stateful) as refused:
        instance("X = 1\nITER = reversed([1, 2])\n")
    assert refused.value.lineno == 4


def test_errors_point_at_the_strategy_line() -> None:
    error = call("def f():\n    x = 1\n    return x / 0\n")[0]
    assert guest_line(error) == 5
    assert describe_error(error) == "ZeroDivisionError: division by zero"
    long = call("def f():\n    raise ValueError('x' * 10000)\n")[0]
    assert len(describe_error(long)) < 400  # a strategy's message cannot bloat the results


def test_print_is_captured_and_capped() -> None:
    namespace = instance(
        "def f(n):\n    for i in range(n):\n        print('line', i)\n    return printed\n"
    )
    METER.start()
    assert namespace["f"](2) == "line 0\nline 1\n"
    METER.start(10**9)
    namespace["f"](PRINT_LIMIT)
    output = guest_output(namespace)
    assert output.startswith("line 0\nline 1\nline 0\n")
    assert len(output) < PRINT_LIMIT + 100 and "more characters not kept" in output


def test_module_body_has_its_own_budget() -> None:
    with pytest.raises(StrategyLoadError, match="top-level code used more than") as refused:
        instance("X = 0\nwhile True:\n    X = X + 1\n")
    assert refused.value.lineno == 5

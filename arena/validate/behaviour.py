"""In the worker: calling the strategy (checks 2-4 and 6 of :mod:`arena.validate`)."""

from __future__ import annotations

import dataclasses
import reprlib
import statistics
from collections.abc import Callable
from typing import Any, Final, Literal

from arena.amm.nano import U64_MAX, to_nano_scalar
from arena.errors import StrategyLoadError
from arena.payloads import AfterSwap, EpochBoundary
from arena.plugins import StrategySource, bind_hooks
from arena.runner import get_market
from arena.sandbox import (
    GUEST_ERRORS,
    METER,
    compile_strategy,
    describe_error,
    guest_line,
    guest_output,
)
from arena.storage import Storage, StorageError
from arena.validate.report import Finding, _module_hint
from arena.validate.simulation import _simulation_checks

Profile = Literal["full", "quick"]

#: The reference's starting state and probe sizes (prop-amm ``validate``).
START_RESERVES: Final = (100 * 10**9, 10_000 * 10**9)
SIZES: Final = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
CONCAVITY_STEP: Final = 1_000_000
RANDOM_STATES: Final = 32
_SIDES: Final = ("side 0 (Y in, X out)", "side 1 (X in, Y out)")
_TOKENS: Final = ("Y", "X")


class _Probe:
    """One instance of a strategy, called directly; records each call's cost per hook."""

    def __init__(self, source: StrategySource, hooks: type) -> None:
        self.namespace = compile_strategy(source.source, source.origin).instantiate(source.label)
        self.hooks = bind_hooks(self.namespace, source.origin, hooks)
        self.costs: dict[str, list[int]] = {name: [] for name in self.hooks}

    def call(self, hook: str, *args: Any) -> tuple[Any, BaseException | None]:
        start = METER.start()
        try:
            value, error = self.hooks[hook](*args), None
        except GUEST_ERRORS as raised:
            value, error = None, raised
        self.costs[hook].append(METER.count - start)
        return value, error


class _Stop(Exception):
    """A check failed in a way that makes the checks depending on it meaningless."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _error_finding(check: str, call: str, error: BaseException) -> Finding:
    text = describe_error(error)
    if "work budget" in text:
        hint = "make the call cheaper: fewer loop iterations, less work that ignores the inputs"
    elif isinstance(error, StorageError):
        hint = (
            "u64/i64 slots hold integers (use int(x)) and f64 slots numbers; slots are "
            "0..127, bytes 0..1023; storage is read-only in compute_swap"
        )
    elif call.startswith("compute_swap"):
        hint = "handle this case in your code (return 0 to refuse a trade)"
    else:
        hint = "handle this case in your code (a hook that raises leaves storage unchanged)"
    return Finding(check, "fail", f"{call} raised {text}", hint, guest_line(error))


_ZERO_STORAGE: Final = Storage().readonly()


def _quote(probe: _Probe, check: str, side: int, size: float, extra_nanos: int = 0) -> int:
    """compute_swap at the starting state for ``size`` tokens (plus ``extra_nanos``) in."""
    amount = to_nano_scalar(size) + extra_nanos
    rx, ry = START_RESERVES
    call = f"compute_swap(side={side}, input_amount={amount:,}, reserves {rx:,}/{ry:,})"
    value, error = probe.call("compute_swap", side, amount, rx, ry, _ZERO_STORAGE)
    if error is not None:
        raise _Stop(_error_finding(check, call, error))
    if type(value) is not int or not 0 <= value <= U64_MAX:
        raise _Stop(
            Finding(
                check,
                "fail",
                f"{call} returned {reprlib.repr(value)}",
                "return an int in 0..2**64-1: the output amount in nanos (1e-9 units)",
            )
        )
    return value


def _quotes_check(probe: _Probe) -> list[Finding]:
    for side, size in ((0, 10.0), (1, 1.0)):
        if _quote(probe, "quotes", side, size) == 0:
            raise _Stop(
                Finding(
                    "quotes",
                    "fail",
                    f"{_SIDES[side]}: {size:g} {_TOKENS[side]} in gets 0 out at "
                    "the starting state (100 X, 10,000 Y)",
                    "quote a positive output for ordinary trades; 0 refuses the trade",
                )
            )
    return [Finding("quotes", "pass", "10 Y in and 1 X in both get a positive output")]


def _monotonic_check(probe: _Probe) -> list[Finding]:
    for side in (0, 1):
        outputs = [_quote(probe, "monotonic", side, size) for size in SIZES]
        for k in range(1, len(SIZES)):
            low, high = outputs[k - 1], outputs[k]
            if low > 0 and high <= low:
                token = _TOKENS[side]
                raise _Stop(
                    Finding(
                        "monotonic",
                        "fail",
                        f"{_SIDES[side]}: {SIZES[k]:g} {token} in gets {high:,} nanos out, "
                        f"no more than {SIZES[k - 1]:g} {token} in ({low:,})",
                        "a bigger trade must always get a strictly bigger output",
                    )
                )
    sizes = f"{SIZES[0]:g} to {SIZES[-1]:g} tokens"
    return [Finding("monotonic", "pass", f"output grows with input on both sides ({sizes})")]


def _concave_check(probe: _Probe) -> list[Finding]:
    for side in (0, 1):
        for size in SIZES:
            o0, o1, o2 = (
                _quote(probe, "concave", side, size, k * CONCAVITY_STEP) for k in range(3)
            )
            if o2 - o1 > o1 - o0 + 1:
                raise _Stop(
                    Finding(
                        "concave",
                        "fail",
                        f"{_SIDES[side]}: around {size:g} {_TOKENS[side]}, one more 0.001 of input "
                        f"buys {o2 - o1:,} nanos, more than the 0.001 before it ({o1 - o0:,})",
                        "each extra unit of input must buy no more than the one before "
                        "(the arbitrage and routing searches rely on it)",
                    )
                )
    return [Finding("concave", "pass", "marginal output never rises (nano domain)")]


def mix(value: int) -> int:
    """The splitmix64 finalizer the reference uses to draw random states."""
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
    value = (value ^ (value >> 27)) * 0x94D049BB133111EB % 2**64
    return value ^ (value >> 31)


def random_state(seed: int) -> tuple[int, int, int, int, bytes]:
    """``(side, amount, reserve_x, reserve_y, storage bytes 0..32)`` for ``seed``.

    Reserves, side and amount follow the reference; the storage bytes are arena's choice
    (the reference only says they are random): ``mix(seed ^ (0xA5A5A5A5A5A5A5A5 + k))``.
    """
    rx = 10**9 + mix(seed ^ 0x0123456789ABCDEF) % (2 * 10**12)
    ry = 10**9 + mix(seed ^ 0x0F0F0F0FF0F0F0F0) % (2 * 10**14)
    amount = 10**6 + mix(seed ^ 0xDEADBEEF) % 10**10
    data = b"".join(mix(seed ^ (0xA5A5A5A5A5A5A5A5 + k)).to_bytes(8, "little") for k in range(4))
    return seed & 1, amount, rx, ry, data


def _random_state_checks(probe: _Probe) -> list[Finding]:
    """Every hook on 32 random states: no errors and no budget overruns (as the reference).

    A quote that is not an int in 0..2**64-1 only warns: random storage may hold values the
    strategy itself never writes.
    """
    odd: Finding | None = None
    for seed in range(RANDOM_STATES):
        side, amount, rx, ry, data = random_state(seed)
        storage = Storage(data)
        out = 0
        where = f"random state {seed} (side {side}, input {amount:,}, reserves {rx:,}/{ry:,})"
        if "compute_swap" in probe.hooks:
            value, error = probe.call("compute_swap", side, amount, rx, ry, storage.readonly())
            if error is not None:
                return [_error_finding("random states", f"compute_swap on {where}", error)]
            if type(value) is int and 0 <= value <= U64_MAX:
                out = min(value, (rx if side == 0 else ry) - 1)
            elif odd is None:
                odd = Finding(
                    "random states",
                    "warn",
                    f"compute_swap on {where} returned "
                    f"{reprlib.repr(value)}, which a run would count as an error",
                    "if your storage can hold such bytes, guard against them",
                )
        new_rx, new_ry = (rx - out, ry + amount) if side == 0 else (rx + amount, ry - out)
        payloads = {
            "after_swap": AfterSwap(
                side, amount, out, new_rx, new_ry, seed, seed, 0, 2, 0, 0.5, 1.0, (new_ry / new_rx,)
            ),
            "epoch_boundary": EpochBoundary(seed, new_rx, new_ry, 0.0, 0.0, 0.5),
        }
        for hook, payload in payloads.items():
            if hook in probe.hooks:
                _, error = probe.call(hook, payload, storage)
                if error is not None:
                    return [_error_finding("random states", f"{hook} on {where}", error)]
    passed = Finding(
        "random states", "pass", f"every hook ran without errors on {RANDOM_STATES} random states"
    )
    return [passed] if odd is None else [passed, odd]


def _cost_findings(probe: _Probe) -> list[Finding]:
    findings = []
    for hook, costs in probe.costs.items():
        if not costs:
            continue
        peak = max(costs)
        message = (
            f"{hook}: {statistics.fmean(costs):,.0f} work units per call on average, "
            f"{peak:,} at most (budget {METER.budget:,} per call)"
        )
        if peak > METER.budget:
            findings.append(Finding("cost", "fail", message, "make the call cheaper"))
        elif peak > METER.budget // 2:
            findings.append(
                Finding(
                    "cost",
                    "warn",
                    message,
                    "close to the budget: a state that costs a little more will fail",
                )
            )
        else:
            findings.append(Finding("cost", "pass", message))
    return findings


def check_behaviour(
    source: StrategySource,
    market: str = "amm",
    ruleset: str | None = None,
    profile: Profile = "full",
) -> dict[str, Any]:
    """Run the behaviour checks (2-6) on a statically loaded file; this runs its code.

    Call it in a worker (:func:`validate_sources` does). Returns JSON-ready data:
    ``{"findings": [...], "printed": str}``.
    """
    plugin = get_market(market)
    findings: list[Finding] = []
    probe: _Probe | None = None
    try:
        probe = _Probe(source, plugin.hooks)
        findings.append(Finding("module", "pass", "the module body runs and its globals freeze"))
        checks: list[Callable[[_Probe], list[Finding]]] = []
        if plugin.name == "amm":
            if "compute_swap" in probe.hooks:
                checks += [_quotes_check, _monotonic_check, _concave_check]
            checks.append(_random_state_checks)
        for check in checks:
            findings += check(probe)
        if profile == "full":
            findings += _simulation_checks(source, market, ruleset)
    except StrategyLoadError as error:
        findings.append(
            Finding("module", "fail", error.message, _module_hint(error.message), error.lineno)
        )
    except _Stop as stop:
        findings.append(stop.finding)
    printed = ""
    if probe is not None:
        findings += _cost_findings(probe)
        printed = guest_output(probe.namespace)
    if printed:
        lines = len(printed.splitlines())
        findings.append(
            Finding("output", "info", f"printed {lines} lines (shown below; discarded during runs)")
        )
    return {"findings": [dataclasses.asdict(f) for f in findings], "printed": printed}

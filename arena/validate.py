"""``arena validate``: what is wrong with a strategy file, in plain words, with a fix for each.

Checks, in order (a failed one stops those that depend on it):

1. **load** (parent, static): the file compiles under the sandbox's rules, ``NAME`` and
   ``MODEL_USED`` are set, hooks are spelled and shaped right, market constants are valid;
2. **module**: the module body runs within its budget and leaves only freezable globals;
3. for AMM strategies with ``compute_swap``, on the reference engine's starting state
   (reserves 100 X / 10,000 Y, zero storage) and in the integer 1e-9 domain the strategy sees:
   **quotes** (10 Y in and 1 X in get a positive output), **monotonic** (strictly more output for
   more input, sizes 0.1 … 200, both sides), **concave** (an extra 0.001 token of input never buys
   more than one nano more than the 0.001 before it);
4. **random states** (AMM): 32 states from the reference's splitmix64 recipe, each a
   ``compute_swap`` then ``after_swap`` (and ``epoch_boundary``): no call may raise or exceed
   its budget (a quote that is not an int in 0..2**64-1 only warns: random storage may hold
   bytes the strategy itself never writes);
5. **determinism** and **simulation** (full profile): the same short simulation run twice gives
   identical results, and runs without errors;
6. **cost**: work units per call of each hook, against the budget.

Strategy code runs only in an isolated worker (:mod:`arena.sandbox.process`), unless the caller
asks for ``trusted=True`` (the sequential executor: in this process, for debugging). Reports of
the same source are cached for the life of the process.
"""

from __future__ import annotations

import ast
import dataclasses
import reprlib
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from arena.amm.nano import U64_MAX, to_nano_scalar
from arena.errors import ArenaError, StrategyLoadError
from arena.executors import SequentialExecutor
from arena.payloads import AfterSwap, EpochBoundary
from arena.plugins import StrategySource, bind_hooks, load_strategy
from arena.runner import get_market
from arena.sandbox import (
    GUEST_ERRORS,
    METER,
    RestrictionError,
    compile_strategy,
    describe_error,
    guest_line,
    guest_output,
)
from arena.sandbox.process import Limits, SandboxPool, WorkerFailed
from arena.storage import Storage, StorageError

__all__ = [
    "Finding",
    "Report",
    "ValidationFailed",
    "check_behaviour",
    "mix",
    "random_state",
    "render",
    "validate_files",
    "validate_sources",
]

Status = Literal["pass", "fail", "warn", "info"]
Profile = Literal["full", "quick"]

#: The reference's starting state and probe sizes (prop-amm ``validate``).
START_RESERVES: Final = (100 * 10**9, 10_000 * 10**9)
SIZES: Final = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
CONCAVITY_STEP: Final = 1_000_000
RANDOM_STATES: Final = 32
#: The short simulation: the reference's parity seeds, fewer and shorter.
SIMULATION_SEEDS: Final = tuple(9001 + 7 * i for i in range(8))
SIMULATION_STEPS: Final = 100
#: Limits of a validation worker: one file's checks take seconds, not hours.
VALIDATION_LIMITS: Final = Limits(cpu_seconds=120, wall_seconds=180.0)
_SIDES: Final = ("side 0 (Y in, X out)", "side 1 (X in, Y out)")
_TOKENS: Final = ("Y", "X")


@dataclass(frozen=True)
class Finding:
    """The outcome of one check.

    :param check: which check (``load``, ``monotonic``, ``cost`` …).
    :param status: ``pass``, ``fail``, ``warn`` (valid, but worth a look) or ``info``.
    :param message: what was found, in plain words.
    :param hint: how to fix it.
    :param line: the line of the strategy file to look at.
    """

    check: str
    status: Status
    message: str
    hint: str | None = None
    line: int | None = None


@dataclass
class Report:
    """Everything ``arena validate`` found about one file."""

    origin: str
    name: str | None = None
    model_used: str | None = None
    sha256: str | None = None
    findings: list[Finding] = field(default_factory=list)
    printed: str = ""

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(f.status != "fail" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (what ``--json`` prints)."""
        return dataclasses.asdict(self) | {"ok": self.ok}


class ValidationFailed(ArenaError):
    """Strategies did not pass validation (``arena run`` and ``arena submit`` stop).

    :param reports: the reports of the files that failed.
    """

    def __init__(self, reports: Sequence[Report]) -> None:
        self.reports = list(reports)
        lines = [
            f"{r.origin}: {f.check}: {f.message}"
            for r in self.reports
            for f in r.findings
            if f.status == "fail"
        ]
        super().__init__(
            "strategies failed validation:\n  "
            + "\n  ".join(lines)
            + "\n(`arena validate FILE` explains each problem; --no-validate runs anyway)"
        )


# -- in the worker: calling the strategy -------------------------------------------------------


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


def _simulation_checks(source: StrategySource, market: str, ruleset: str | None) -> list[Finding]:
    """A short simulation, twice: identical results, and no errors."""
    chosen = get_market(market).ruleset(ruleset)
    config = chosen.config_type()
    if any(f.name == "steps" for f in dataclasses.fields(config)):
        config = dataclasses.replace(config, steps=SIMULATION_STEPS)
    first, second = (chosen.simulate([source], config, SIMULATION_SEEDS).results for _ in range(2))
    findings = []
    if not first.equals(second):
        findings.append(
            Finding(
                "determinism",
                "fail",
                "the same simulations run twice gave different results",
                "avoid what changes from run to run: iteration order of sets of strings, "
                "repr() of functions",
            )
        )
    else:
        findings.append(Finding("determinism", "pass", "the same simulations run twice agree"))
    own = first[first["role"] == "strategy"]
    errors = int(own["errors"].sum())
    size = f"{len(SIMULATION_SEEDS)} simulations × {SIMULATION_STEPS} steps ({chosen.name} ruleset)"
    if errors:
        first_error = own[own["errors"] > 0].iloc[0]["first_error"]
        findings.append(
            Finding(
                "simulation",
                "fail",
                f"{errors:,} errors in {size}; the first: {first_error}",
                "the engine counts a failing call as a quote of 0 or an unchanged storage: fix the "
                "error at the line named",
            )
        )
    else:
        findings.append(
            Finding("simulation", "pass", f"{size}: no errors, mean edge {own['edge'].mean():+.3f}")
        )
    return findings


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


# -- in the parent: loading, dispatching, caching ----------------------------------------------

_CacheKey = tuple[str, str, str | None, str]
_CACHE: dict[_CacheKey, Report] = {}


def _has_code(source: StrategySource) -> bool:
    """Whether the file has anything to run beyond literal constants and its docstring."""
    for node in ast.parse(source.source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            try:
                ast.literal_eval(node.value)
                continue
            except ValueError:
                pass
        return True
    return False


def _static_report(source: StrategySource) -> Report:
    hooks = ", ".join(sorted(source.hooks)) or "none (a constant-product pool, fees in storage)"
    return Report(
        source.origin,
        source.name,
        source.model_used,
        source.sha256,
        [Finding("load", "pass", f"compiles; NAME and MODEL_USED are set; hooks: {hooks}")],
    )


def validate_sources(
    sources: Sequence[StrategySource],
    *,
    market: str = "amm",
    ruleset: str | None = None,
    profile: Profile = "full",
    trusted: bool = False,
    workers: int = 2,
) -> list[Report]:
    """Validate loaded strategies; their code runs in isolated workers unless ``trusted``."""
    reports: dict[int, Report] = {}
    pending: list[tuple[int, StrategySource, _CacheKey]] = []
    for index, source in enumerate(sources):
        key: _CacheKey = (source.sha256, market, ruleset, profile)
        if key in _CACHE:
            reports[index] = dataclasses.replace(_CACHE[key], origin=source.origin)
        elif profile == "quick" and not _has_code(source):
            reports[index] = _static_report(source)
            reports[index].findings.append(Finding("module", "pass", "only constants to run"))
        else:
            pending.append((index, source, key))
    pool = (
        SandboxPool(min(workers, len(pending)), VALIDATION_LIMITS)
        if pending and not trusted
        else None
    )
    executor: SandboxPool | SequentialExecutor = pool or SequentialExecutor()
    try:
        futures = [
            (index, source, key, executor.submit(check_behaviour, source, market, ruleset, profile))
            for index, source, key in pending
        ]
        for index, source, key, future in futures:
            report = _static_report(source)
            try:
                outcome = future.result()
                report.findings += [Finding(**f) for f in outcome["findings"]]
                report.printed = str(outcome["printed"])
            except WorkerFailed as error:
                report.findings.append(
                    Finding(
                        "sandbox",
                        "fail",
                        f"the worker failed: {error}",
                        "see the checks above and the README's limits",
                    )
                )
            reports[index] = _CACHE[key] = report
    finally:
        executor.shutdown()
    return [reports[i] for i in range(len(sources))]


def validate_files(
    specs: Sequence[str],
    *,
    market: str = "amm",
    ruleset: str | None = None,
    profile: Profile = "full",
    trusted: bool = False,
    workers: int = 2,
) -> list[Report]:
    """Load and validate strategy files (paths or names), one report each, in order."""
    plugin = get_market(market)
    loaded: list[StrategySource] = []
    reports: list[Report | None] = []
    for spec in specs:
        try:
            source = load_strategy(spec, plugin.hooks)
            plugin.check_strategy(source)
        except StrategyLoadError as error:
            hint = error.hint if isinstance(error, RestrictionError) else _load_hint(error.message)
            failed = Finding("load", "fail", error.message, hint, error.lineno)
            reports.append(Report(spec, findings=[failed]))
            continue
        loaded.append(source)
        reports.append(None)
    checked = iter(
        validate_sources(
            loaded,
            market=market,
            ruleset=ruleset,
            profile=profile,
            trusted=trusted,
            workers=workers,
        )
    )
    return [r if r is not None else next(checked) for r in reports]


def _module_hint(message: str) -> str:
    if "work units" in message:
        return "the module body runs once per simulation: keep it to constants and small tables"
    if "holds a value of type" in message:
        return "keep state that changes in storage; module globals are for constants"
    return "the module body runs once per simulation: fix the error at the line named"


def _load_hint(message: str) -> str | None:
    if "NAME" in message or "MODEL_USED" in message:
        return 'put NAME = "..." and MODEL_USED = "None" (or the model that wrote it) at the top'
    if "misspelled" in message or "arguments" in message:
        return (
            "hooks are compute_swap(side, input_amount, reserve_x, reserve_y, storage), "
            "after_swap(payload, storage) and epoch_boundary(payload, storage)"
        )
    return None


# -- output ------------------------------------------------------------------------------------

_MARKS: Final = {"pass": "✓", "fail": "✗", "warn": "!", "info": "·"}


def render(report: Report) -> str:
    """The report as plain text: one line per check, a fix under each failure."""
    title = f"{report.origin}" + (
        f' — "{report.name}" (model: {report.model_used})' if report.name else ""
    )
    lines = [title]
    for finding in report.findings:
        where = f" (line {finding.line})" if finding.line else ""
        lines.append(f"  {_MARKS[finding.status]} {finding.check}: {finding.message}{where}")
        if finding.hint and finding.status in ("fail", "warn"):
            lines.append(f"      fix: {finding.hint}")
    if report.printed:
        lines.append("  printed:")
        lines += [f"    | {line}" for line in report.printed.splitlines()[:10]]
    failures = sum(f.status == "fail" for f in report.findings)
    lines.append(
        "  => valid"
        if report.ok
        else f"  => INVALID ({failures} problem{'s' if failures > 1 else ''})"
    )
    return "\n".join(lines)

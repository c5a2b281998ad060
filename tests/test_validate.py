"""`arena validate`: each kind of problem is found, named in plain words, and given a fix."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import arena.validate.run as validate_run
from arena.cli import main
from arena.plugins import builtin_strategy_names, load_strategy
from arena.validate import Report, mix, random_state, render, validate_files, validate_sources

HONEST = str(Path(__file__).parent / "sandbox" / "honest_cp.py")
HEADER = 'NAME = "{name}"\nMODEL_USED = "None"\n\n\n'
CP = (
    "    net = input_amount * 997 // 1000\n"
    "    if side == 0:\n"
    "        return reserve_x * net // (reserve_y + net)\n"
    "    return reserve_y * net // (reserve_x + net)\n"
)
SWAP = "def compute_swap(side, input_amount, reserve_x, reserve_y, storage):\n"


def write(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER.format(name=name) + body)
    return str(path)


def findings(report: Report) -> dict[str, str]:
    """check -> status (the last finding of each check)."""
    return {f.check: f.status for f in report.findings}


def failure(report: Report):
    return next(f for f in report.findings if f.status == "fail")


def test_an_honest_strategy_passes_every_check_in_a_worker() -> None:
    (report,) = validate_files([HONEST], ruleset="prop-amm")
    assert report.ok, render(report)
    assert findings(report) == {
        "load": "pass",
        "module": "pass",
        "quotes": "pass",
        "monotonic": "pass",
        "concave": "pass",
        "random states": "pass",
        "determinism": "pass",
        "simulation": "pass",
        "cost": "pass",
    }
    cost = next(f for f in report.findings if f.check == "cost")
    assert "compute_swap: 28 work units per call on average, 28 at most" in cost.message


@pytest.mark.parametrize(
    ("name", "body", "check", "message"),
    [
        (
            "falling",
            SWAP + "    return max(1, 10**12 - input_amount)\n",
            "monotonic",
            "side 0 (Y in, X out): 0.5 Y in gets 999,500,000,000 nanos out, no more than 0.1 Y in",
        ),
        (
            "convex",
            SWAP + "    return input_amount * input_amount // 10**12\n",
            "concave",
            "one more 0.001 of input buys",
        ),
        ("refuser", SWAP + "    return 0\n", "quotes", "10 Y in gets 0 out"),
        ("floaty", SWAP + "    return input_amount / 3\n", "quotes", "returned 3333333333.3333335"),
        (
            "crasher",
            SWAP + "    return reserve_x // (side - side)\n",
            "quotes",
            "raised ZeroDivisionError: integer division or modulo by zero",
        ),
        (
            "picky",
            "def after_swap(payload, storage):\n"
            "    if payload.sim_step == 7:\n        raise ValueError('seven')\n",
            "random states",
            "after_swap on random state 7",
        ),
        (
            "late",
            "def after_swap(payload, storage):\n"
            "    if payload.sim_step > 40:\n        storage.u64[200] = 1\n",
            "simulation",
            "slot index must be an int in 0..127",
        ),
        (
            "heavy",
            SWAP + "    x = 0\n    while True:\n        x = x + 1\n",
            "quotes",
            "raised work budget exceeded",
        ),
        ("loader", "TABLE = [1 / 0]\n", "module", "running the module failed: ZeroDivisionError"),
        (
            "stateful",
            "SEEN = []\n\ndef after_swap(payload, storage):\n    SEEN.append(1)\n",
            "random states",
            "'tuple' has no method append()",
        ),
    ],
)
def test_each_problem_is_named_with_a_fix(tmp_path, name, body, check, message) -> None:
    profile = "full" if check == "simulation" else "quick"
    (report,) = validate_files(
        [write(tmp_path, name, body)], ruleset="prop-amm", profile=profile, trusted=True
    )
    problem = failure(report)
    assert not report.ok
    assert (problem.check, problem.status) == (check, "fail"), render(report)
    assert message in problem.message, problem.message
    assert problem.hint


def test_refusals_at_load_time_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "importer", "import numpy as np\n")
    (report,) = validate_files([path, "no_such_strategy"], trusted=True)[:1]
    (problem,) = report.findings
    assert (problem.check, problem.line) == ("load", 5)
    assert "imports are not available" in problem.message and "math" in problem.hint
    missing = validate_files(["no_such_strategy"], trusted=True)[0]
    assert failure(missing).check == "load"


def test_costs_near_the_budget_warn(tmp_path: Path) -> None:
    body = SWAP + "    for i in range(15000):\n        x = i\n" + CP
    (report,) = validate_files([write(tmp_path, "slow", body)], profile="quick", trusted=True)
    assert report.ok
    (cost,) = [f for f in report.findings if f.check == "cost"]
    assert cost.status == "warn" and "close to the budget" in cost.hint


def test_what_a_strategy_prints_is_shown(tmp_path: Path) -> None:
    body = SWAP + "    print('quoting', side)\n" + CP
    (report,) = validate_files([write(tmp_path, "chatty", body)], profile="quick", trusted=True)
    assert report.ok
    assert report.printed.startswith("quoting 0\n")
    assert "| quoting 0" in render(report)


def test_random_states_follow_the_reference_recipe() -> None:
    assert mix(0) == 0
    assert mix(1) == 0x5692161D100B05E5  # splitmix64's finalizer of 1
    side, amount, rx, ry, data = random_state(3)
    assert side == 1 and len(data) == 32
    assert 10**9 <= rx < 10**9 + 2 * 10**12 and 10**9 <= ry < 10**9 + 2 * 10**14
    assert 10**6 <= amount < 10**6 + 10**10


def test_reports_are_cached_per_source(monkeypatch: pytest.MonkeyPatch) -> None:
    source = load_strategy(HONEST)
    first = validate_sources([source], profile="quick", trusted=True)
    monkeypatch.setattr(validate_run, "check_behaviour", lambda *a: pytest.fail("ran again"))
    assert validate_sources([source], profile="quick", trusted=True) == first


def test_the_command_line_exit_status_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = write(tmp_path, "refuser", SWAP + "    return 0\n")
    done = runner.invoke(main, ["validate", "--json", "--quick", "--executor", "sequential", bad])
    assert done.exit_code == 1
    (report,) = json.loads(done.output)
    assert report["ok"] is False and report["findings"][-1]["check"] in ("quotes", "cost")
    done = runner.invoke(main, ["validate", "--quick", "--executor", "sequential", HONEST])
    assert done.exit_code == 0 and "=> valid" in done.output


def test_run_validates_first_and_can_be_told_not_to(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = write(tmp_path, "refuser", SWAP + "    return 0\n")
    args = [
        "run",
        "--ruleset",
        "prop-amm",
        "-n",
        "1",
        "--steps",
        "3",
        "-q",
        "--executor",
        "sequential",
    ]
    done = runner.invoke(main, [*args, bad])
    assert done.exit_code == 2
    assert "failed validation" in done.output and "quotes" in done.output
    done = runner.invoke(main, [*args, "--no-validate", bad])
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("ruleset", ["arena", "prop-amm"])
def test_every_builtin_strategy_is_valid(ruleset: str) -> None:
    """What `arena run` does not re-check before a run (it skips built-ins): checked here."""
    sources = [load_strategy(name) for name in builtin_strategy_names()]
    assert all(source.builtin for source in sources)
    reports = validate_sources(sources, ruleset=ruleset)
    assert [r.origin for r in reports if not r.ok] == [], [render(r) for r in reports if not r.ok]

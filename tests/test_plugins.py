"""Loading strategy files: every mistake is one plain sentence with the file and line."""

from pathlib import Path

import pytest

from arena.errors import StrategyLoadError
from arena.plugins import bind_hooks, builtin_strategy_names, load_strategy

GOOD_HEADER = 'NAME = "x"\nMODEL_USED = "None"\n'

# (file text, the message it gets, the line it names or None)
BROKEN = [
    ('MODEL_USED = "None"\n', "NAME is required", None),
    ('NAME = "x"\n', "MODEL_USED is required", None),
    ('NAME = ""\nMODEL_USED = "None"\n', "NAME must be a non-empty string literal", 1),
    ('NAME = "a" + "b"\nMODEL_USED = "None"\n', "NAME must be a non-empty string literal", 1),
    (
        GOOD_HEADER
        + "def compute_swap(side, amount, reserve_x, reserve_y, storage):\n    return 0\n",
        "compute_swap() takes arguments that arena does not pass",
        None,
    ),
    (
        GOOD_HEADER + "def after_swp(payload, storage):\n    pass\n",
        "looks like a misspelled hook: did you mean after_swap()?",
        3,
    ),
    (
        GOOD_HEADER + "def epoch_boundry(payload, storage):\n    pass\n",
        "did you mean epoch_boundary()?",
        3,
    ),
    (
        GOOD_HEADER + "def after_swap(payload, storage=None):\n    pass\n",
        "after_swap() must not give its arguments default values",
        3,
    ),
    (
        GOOD_HEADER
        + "def compute_swap(side, input_amount, reserve_x, reserve_y, storage):\n  return (\n",
        "SyntaxError",
        None,
    ),
]


@pytest.mark.parametrize(("text", "message", "line"), BROKEN)
def test_broken_files_get_a_plain_message(tmp_path: Path, text, message, line) -> None:
    path = tmp_path / "strategy.py"
    path.write_text(text)
    with pytest.raises(StrategyLoadError) as raised:
        load_strategy(str(path))
    assert message in raised.value.message
    assert raised.value.filename == str(path)
    if line is not None:
        assert raised.value.lineno == line


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(StrategyLoadError, match="no such strategy file"):
        load_strategy(str(tmp_path / "nope.py"))
    with pytest.raises(StrategyLoadError, match="built-in"):
        load_strategy("no_such_builtin")


def test_hooks_may_take_fewer_arguments_in_any_order(tmp_path: Path) -> None:
    namespace = {
        "compute_swap": lambda reserve_y, side: reserve_y + side,
        "after_swap": lambda storage: storage,
    }
    bound = bind_hooks(namespace, "inline")
    # The engine calls hooks positionally with the spec's arguments.
    assert bound["compute_swap"](1, 2, 3, 40, None) == 41
    assert bound["after_swap"]("payload", "storage") == "storage"


def test_builtin_strategies_load(tmp_path: Path) -> None:
    names = builtin_strategy_names()
    assert {"starter", "cp30", "normalizer", "vol_adaptive"} <= set(names)
    for name in names:
        strategy = load_strategy(name)
        assert strategy.origin == f"builtin:{name}"


def test_loading_never_runs_the_file(tmp_path: Path) -> None:
    """The parent process checks files without executing them: this body would raise."""
    path = tmp_path / "s.py"
    path.write_text(GOOD_HEADER + "BOOM = 1 // 0\n")
    assert load_strategy(str(path)).name == "x"


def test_strategies_from_installed_packages(monkeypatch) -> None:
    """The entry-point group arena.strategies names a module whose file is the strategy."""
    from importlib.metadata import EntryPoint

    import arena.plugins

    found = [EntryPoint("cheap", "tests.fixtures.installed_strategy", "arena.strategies")]
    monkeypatch.setattr(arena.plugins, "entry_points", lambda group: found)
    strategy = load_strategy("cheap")
    assert strategy.name == "Installed 25 bps"
    assert strategy.origin == "entrypoint:cheap"
    assert dict(strategy.constants)["FEE_BPS"] == 25

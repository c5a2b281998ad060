"""numba's cache of arena's compiled code is stamped with the whole package's sources.

numba compares a cached function with its own file only; the engines carry kernels from other
files, so a change to one of those must recompile them (arena.amm.jit).
"""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from numba.core.registry import CPUDispatcher

from arena import amm
from arena.amm.jit import package_digest

#: The modules of arena.amm with compiled code.
COMPILED_MODULES = sorted(
    path.stem
    for path in Path(amm.__file__).parent.glob("*.py")
    if re.search(r"^@njit", path.read_text(), re.MULTILINE)
)


def test_the_digest_changes_with_any_file_of_the_package(tmp_path: Path) -> None:
    (tmp_path / "engine.py").write_text("A = 1\n")
    (tmp_path / "kernels.py").write_text("B = 2\n")
    (tmp_path / "notes.txt").write_text("not source\n")
    first = package_digest(tmp_path)
    assert package_digest(tmp_path) == first
    (tmp_path / "notes.txt").write_text("still not source\n")
    assert package_digest(tmp_path) == first
    (tmp_path / "kernels.py").write_text("B = 30\n")
    assert package_digest(tmp_path) != first
    (tmp_path / "kernels.py").write_text("B = 2\n")
    assert package_digest(tmp_path) == first  # the contents decide, not the time


@pytest.mark.parametrize("name", COMPILED_MODULES)
def test_every_cached_function_is_stamped_with_the_package(name: str) -> None:
    module = importlib.import_module(f"arena.amm.{name}")
    cached = [
        value
        for value in vars(module).values()
        if isinstance(value, CPUDispatcher)
        and value.__module__ == module.__name__
        and value._cache is not None
        and value._cache._impl is not None
    ]
    assert cached, f"arena.amm.{name} defines no cached function"
    for dispatcher in cached:
        _, digest = dispatcher._cache._impl.locator.get_source_stamp()
        assert digest == package_digest(), dispatcher.__name__


def test_the_cli_and_the_market_plugin_load_without_the_engines() -> None:
    # `arena --help`, validation and the leaderboard must not wait for numba (arena.amm).
    code = (
        "import sys, arena.cli, arena.amm.market, arena.amm.program; "
        "print([m for m in sys.modules if m == 'numba' or m.endswith('_engine')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_loading_the_engines_compiles_every_compiled_module() -> None:
    # Workers cannot write numba's cache: whatever they compile must be compiled before.
    code = "import sys, arena.amm; arena.amm.load_engines(); print(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert len(COMPILED_MODULES) >= 8
    for name in COMPILED_MODULES:
        assert f"'arena.amm.{name}'" in done.stdout, name


def test_loading_the_engines_from_the_cache_compiles_nothing() -> None:
    # Every process loads the engines (the parent, each worker): compiling there costs each of
    # them. A kernel with a signature of its own was compiled again, from scratch, whenever an
    # engine calling it was loaded from the cache (about half a second).
    amm.load_engines()  # the cache is filled
    code = (
        "from numba.core import event; import arena.amm\n"
        "with event.install_recorder('numba:compile') as recorder: arena.amm.load_engines()\n"
        "print(sorted({e.data['dispatcher'].py_func.__qualname__ for _, e in recorder.buffer}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", COMPILED_MODULES)
def test_compiled_modules_take_njit_from_arena_amm_jit(name: str) -> None:
    # Its cache locators stamp the functions (they work only if jit.py is imported first).
    source = (Path(amm.__file__).parent / f"{name}.py").read_text()
    assert "from arena.amm.jit import njit" in source

"""The ``arena`` executable (``arena.cli.entry``) exits without the interpreter's teardown: what
a command printed must still arrive, and its exit status must be passed on."""

import subprocess
import sys

from arena.plugins import builtin_strategy_names


def arena(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arena", *arguments], capture_output=True, text=True, check=False
    )


def test_what_a_command_prints_into_a_pipe_arrives_whole() -> None:
    done = arena("strategies")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == builtin_strategy_names()


def test_a_command_that_fails_exits_with_its_status_and_message() -> None:
    done = arena("run", "--ruleset", "no-such-ruleset")
    assert done.returncode == 2
    assert "error: market 'amm' has no ruleset 'no-such-ruleset'" in done.stderr
    usage = arena("run", "--simulations", "0")
    assert usage.returncode == 2
    assert "Invalid value for '-n' / '--simulations'" in usage.stderr

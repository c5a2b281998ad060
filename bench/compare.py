"""Two checkouts side by side: one benchmark run alternately from each, a few rounds.

This machine's speed drifts by up to a third from hour to hour, so a timing means something only
next to one taken at the same time. compare.py runs the same bench script from two working trees
in turn (A, B, A, B, ...), each in a fresh process that imports arena from its own tree, reads
the wall time of every row of the script's table, and prints each side's best and median and
the ratio of the bests.

    git worktree add /tmp/before HEAD~1
    python bench/compare.py /tmp/before . bench_arena.py --simulations 100 --workers 1

Each tree compiles its own numba cache on its first run (the scripts time only after that).
Worker processes import arena from the PYTHONPATH they are given; a tree older than that rule
(before 2026-11-21) hands its workers the installed arena instead, so time it in process
(``bench_strategy_share.py``) or install it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path


def wall_times(tree: Path, script: str, arguments: list[str]) -> dict[str, float]:
    """Run ``bench/script`` from ``tree``: the wall seconds of each row, by row label."""
    environment = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, str(tree / "bench" / script), *arguments],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {}
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    for line in lines[start:]:
        fields = line.split()
        if len(fields) < 10 or not fields[-1].endswith("x"):
            break  # the table's footnote
        # label ... sims steps workers wall ms/sim sims/s MiB share ratio
        label = f"{' '.join(fields[:-9])} ({fields[-9]} sims, {fields[-7]} workers)"
        rows[label] = float(fields[-6])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("a", type=Path, help="the first working tree (e.g. before a change)")
    parser.add_argument("b", type=Path, help="the second working tree")
    parser.add_argument("script", help="a bench script, e.g. bench_arena.py")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree [3]")
    args, rest = parser.parse_known_args()
    times: dict[str, dict[str, list[float]]] = {}
    for round_ in range(args.rounds):
        for side, tree in (("A", args.a), ("B", args.b)):
            for label, seconds in wall_times(tree.resolve(), args.script, rest).items():
                times.setdefault(label, {"A": [], "B": []})[side].append(seconds)
            print(f"round {round_ + 1}/{args.rounds}: {side} done", file=sys.stderr)
    print(f"{'row':60} {'A best':>8} {'A median':>9} {'B best':>8} {'B median':>9} {'B/A':>6}")
    for label, sides in times.items():
        a, b = sides["A"], sides["B"]
        print(
            f"{label:60} {min(a):8.2f} {statistics.median(a):9.2f} {min(b):8.2f} "
            f"{statistics.median(b):9.2f} {min(b) / min(a):6.2f}"
        )
    print(f"A = {args.a}, B = {args.b}; wall seconds, best and median of {args.rounds} rounds")


if __name__ == "__main__":
    main()

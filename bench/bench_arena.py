"""arena ruleset: the six fixed fees, the vol-adaptive strategy and the normalizer (target: at
most the reference engine's time for one strategy).

    python bench/bench_arena.py --simulations 1000 --workers 2
"""

from common import arguments, measure, print_table

from arena import ArenaConfig

FIELD = ["cp20", "cp30", "cp40", "cp50", "cp70", "cp90", "vol_adaptive"]


def main() -> None:
    args = arguments(__doc__ or "")
    rows = [
        measure(
            "arena · 6 fixed fees + vol-adaptive",
            ("amm", "arena"),
            ArenaConfig(steps=args.steps),
            FIELD,
            sims,
            workers,
        )
        for sims in args.simulations
        for workers in args.workers
    ]
    print_table(rows)


if __name__ == "__main__":
    main()

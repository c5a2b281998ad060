"""prop-amm ruleset with a user-written compute_swap strategy, sandboxed (target: <= 10x the
reference engine's time).

    python bench/bench_compute_swap.py --simulations 100 --workers 2
"""

from common import arguments, measure, print_table

from arena import PropAmmConfig


def main() -> None:
    args = arguments(__doc__ or "")
    rows = [
        measure(
            "prop-amm · compute_swap starter (sandboxed)",
            ("amm", "prop-amm"),
            PropAmmConfig(steps=args.steps),
            ["submissions/starter_compute_swap.py"],
            sims,
            workers,
        )
        for sims in args.simulations
        for workers in args.workers
    ]
    print_table(rows)


if __name__ == "__main__":
    main()

"""prop-amm ruleset with the built-in starter: ms per simulation and the ratio to the reference.

python bench/bench_prop_amm.py                       # 100 and 1000 sims, 1 and 2 workers
python bench/bench_prop_amm.py --simulations 100 --workers 2
"""

from common import arguments, measure, print_table

from arena import PropAmmConfig


def main() -> None:
    args = arguments(__doc__ or "")
    rows = [
        measure(
            "prop-amm · starter (closed form)",
            ("amm", "prop-amm"),
            PropAmmConfig(steps=args.steps),
            ["starter"],
            sims,
            workers,
        )
        for sims in args.simulations
        for workers in args.workers
    ]
    print_table(rows)


if __name__ == "__main__":
    main()

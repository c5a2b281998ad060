"""prop-amm ruleset with a user-written compute_swap strategy, sandboxed (target: <= 10x the
reference engine's time).

    python bench/bench_compute_swap.py --simulations 100 --workers 2
"""

from common import main

from arena import PropAmmConfig

if __name__ == "__main__":
    main(
        __doc__ or "",
        "prop-amm · compute_swap starter (sandboxed)",
        "prop-amm",
        PropAmmConfig,
        ["submissions/starter_compute_swap.py"],
    )

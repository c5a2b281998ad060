"""prop-amm ruleset with the built-in starter: ms per simulation and the ratio to the reference.

python bench/bench_prop_amm.py                       # 100 and 1000 sims, 1 and 2 workers
python bench/bench_prop_amm.py --simulations 100 --workers 2
"""

from common import main

from arena import PropAmmConfig

if __name__ == "__main__":
    main(__doc__ or "", "prop-amm · starter (closed form)", "prop-amm", PropAmmConfig, ["starter"])

"""arena ruleset: the six fixed fees, the vol-adaptive strategy and the normalizer (target: at
most the reference engine's time for one strategy).

    python bench/bench_arena.py --simulations 1000 --workers 2
"""

from common import main

from arena import ArenaConfig

FIELD = ["cp20", "cp30", "cp40", "cp50", "cp70", "cp90", "vol_adaptive"]

if __name__ == "__main__":
    main(__doc__ or "", "arena · 6 fixed fees + vol-adaptive", "arena", ArenaConfig, FIELD)

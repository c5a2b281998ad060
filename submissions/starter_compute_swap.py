"""The prop-amm starter written out with compute_swap: what a strategy file looks like.

Same pool as the built-in `starter` (constant product, 500 bps, the reference's integer
math), but quoted by calling this function. `arena run --ruleset prop-amm starter
submissions/starter_compute_swap.py` gives both the same edge in every simulation.
"""

NAME = "Starter with compute_swap"
MODEL_USED = "None"

FEE_NUMERATOR = 950
FEE_DENOMINATOR = 1000


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    """Output for `input_amount` (integers at 1e9 scale). side 0: Y in, X out; 1: X in, Y out."""
    if reserve_x == 0 or reserve_y == 0:
        return 0
    k = reserve_x * reserve_y
    net = input_amount * FEE_NUMERATOR // FEE_DENOMINATOR
    if side == 0:
        new_reserve_y = reserve_y + net
        return reserve_x - (k + new_reserve_y - 1) // new_reserve_y
    new_reserve_x = reserve_x + net
    return reserve_y - (k + new_reserve_x - 1) // new_reserve_x

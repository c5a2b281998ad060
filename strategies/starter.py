"""The prop-amm challenge's starter: a constant-product pool with a 500 bps fee.

A file without compute_swap is a constant-product pool; FEE_BPS sets the fee in storage slots
0 (trades paying Y) and 1 (trades paying X) before the first step. The engine prices such
pools in closed form with the reference's integer math: net = input * (1 - fee), floored;
output = reserve_out - ceil(reserve_in * reserve_out / (reserve_in + net)).
"""

NAME = "Starter (500 bps)"
MODEL_USED = "None"
FEE_BPS = 500

# ruff: noqa
"""Compiles new code."""

NAME = "Compile call"
MODEL_USED = "None"


CODE = compile('1', 'x', 'eval')  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Loops forever at module level."""

NAME = "Module infinite loop"
MODEL_USED = "None"


while True:
    pass  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

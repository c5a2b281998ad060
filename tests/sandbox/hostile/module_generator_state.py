# ruff: noqa
"""Keeps an iterator at module level to count calls."""

NAME = "Module generator state"
MODEL_USED = "None"


TICKS = (i for i in range(10**9))  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

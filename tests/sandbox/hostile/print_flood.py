# ruff: noqa
"""Prints a thousand lines per call."""

NAME = "Print flood"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    for i in range(1000):
        print('flood', i)
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Recurses without end."""

NAME = "Deep recursion"
MODEL_USED = "None"


def down(n):  # <-
    return down(n + 1)

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    down(0)
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Keeps looping in a finally block after the budget stop."""

NAME = "Finally loop"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        while True:
            pass
    finally:
        while True:
            pass  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

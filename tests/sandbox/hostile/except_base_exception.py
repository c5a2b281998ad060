# ruff: noqa
"""Catches BaseException to survive the budget stop."""

NAME = "Except base exception"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        pass
    except BaseException:  # <-
        pass
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

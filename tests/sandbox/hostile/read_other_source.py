# ruff: noqa
"""Reads another strategy's source through a module's file."""

NAME = "Read other source"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    source = __file__  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

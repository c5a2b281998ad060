# ruff: noqa
"""Uses id() to learn memory addresses."""

NAME = "Object identity"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    where = id(storage)  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""str.format reaching attributes of storage."""

NAME = "Str format traversal"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    leak = '{0.u64}'.format(storage)  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

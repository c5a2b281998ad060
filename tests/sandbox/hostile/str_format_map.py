# ruff: noqa
"""str.format_map reaching a function's globals."""

NAME = "Str format map"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    leak = '{f.x}'.format_map({'f': storage})  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""An f-string walking from a bound method to its object."""

NAME = "Fstring method self"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    leak = f'{storage.to_bytes.__self__}'  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

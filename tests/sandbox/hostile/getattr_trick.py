# ruff: noqa
"""Uses getattr with a computed name."""

NAME = "Getattr trick"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    buf = getattr(storage, '_' + 'buffer')  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

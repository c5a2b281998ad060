# ruff: noqa
"""A generator's frame, to walk up the stack."""

NAME = "Frame generator"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    frame = (x for x in ()).gi_frame  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

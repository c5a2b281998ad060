# ruff: noqa
"""Reads an exception's attributes, where CVEs hid objects."""

NAME = "Exception attributes"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        storage.u64[500]
    except Exception as error:
        leaked = error.args  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

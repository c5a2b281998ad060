# ruff: noqa
"""Calls Storage.restore to write while quoting."""

NAME = "Storage restore bypass"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    storage.restore(storage.to_bytes())  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Writes storage, then raises: the write must be undone."""

NAME = "After swap rolls back"
MODEL_USED = "None"


def after_swap(payload, storage):
    storage.u64[9] = 1
    raise ValueError("after writing")  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    if storage.u64[9]:
        return 0
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

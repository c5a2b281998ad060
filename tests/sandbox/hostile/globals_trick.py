# ruff: noqa
"""Rebinds a guard through globals()."""

NAME = "Globals trick"
MODEL_USED = "None"


globals()['_getattr_'] = None  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Tries to swallow the budget stop with except Exception."""

NAME = "Swallow budget"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        while True:
            pass  # <-
    except Exception:
        pass
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

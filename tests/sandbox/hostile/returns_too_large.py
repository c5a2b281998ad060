# ruff: noqa
"""Returns more than a u64 holds."""

NAME = "Returns too large"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    return 2**64

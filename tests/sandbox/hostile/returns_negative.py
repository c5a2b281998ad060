# ruff: noqa
"""Returns a negative amount."""

NAME = "Returns negative"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    return -input_amount

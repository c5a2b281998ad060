# ruff: noqa
"""Returns a float."""

NAME = "Returns float"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    return input_amount / 2

# ruff: noqa
"""Returns nothing."""

NAME = "Returns none"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    pass

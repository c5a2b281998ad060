# ruff: noqa
"""Returns a bool: an int to Python, not an amount of nanos."""

NAME = "Returns bool"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    return input_amount > 0

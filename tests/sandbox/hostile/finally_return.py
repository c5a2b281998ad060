# ruff: noqa
"""Returns from a finally block, which would swallow the budget stop."""

NAME = "Finally return"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        while True:
            pass
    finally:
        return input_amount // 2  # <-

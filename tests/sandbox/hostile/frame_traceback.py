# ruff: noqa
"""A traceback's frame, to walk up the stack."""

NAME = "Frame traceback"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    try:
        1 / 0
    except ZeroDivisionError as error:
        frame = error.__traceback__  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

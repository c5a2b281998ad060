# ruff: noqa
"""Calls __import__ directly."""

NAME = "Dunder import"
MODEL_USED = "None"


OS = __import__('os')  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

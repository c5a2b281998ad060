# ruff: noqa
"""Repeats a string held in a variable (no literal for the compiler to see)."""

NAME = "Dynamic repeat"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    piece = 'A'
    text = piece * 10**11  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

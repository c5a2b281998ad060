# ruff: noqa
"""Builds a billion-item list in a comprehension."""

NAME = "Comprehension bomb"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    items = [i for i in range(10**9)]  # <-
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

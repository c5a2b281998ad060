# ruff: noqa
"""The classic ().__class__.__bases__[0].__subclasses__() walk."""

NAME = "Dunder class walk"
MODEL_USED = "None"


CLASSES = ().__class__.__bases__[0].__subclasses__()  # <-

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

# ruff: noqa
"""Changes the payload record."""

NAME = "Write payload item"
MODEL_USED = "None"


def after_swap(payload, storage):
    payload[0] = 1  # <-

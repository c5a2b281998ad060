# ruff: noqa
"""Sets an attribute of the payload."""

NAME = "Write payload attribute"
MODEL_USED = "None"


def after_swap(payload, storage):
    payload.side = 1  # <-

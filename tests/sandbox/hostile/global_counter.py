# ruff: noqa
"""Counts calls in a global."""

NAME = "Global counter"
MODEL_USED = "None"


CALLS = 0


def after_swap(payload, storage):
    global CALLS  # <-
    CALLS = CALLS + 1

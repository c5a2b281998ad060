# ruff: noqa
"""Stores state as a function attribute."""

NAME = "Function attribute state"
MODEL_USED = "None"


def after_swap(payload, storage):
    after_swap.calls = 1  # <-

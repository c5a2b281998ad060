# ruff: noqa
"""Writes a float into an integer slot."""

NAME = "Storage wrong type"
MODEL_USED = "None"


def after_swap(payload, storage):
    storage.u64[3] = 0.5  # <-

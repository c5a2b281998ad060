# ruff: noqa
"""Writes slot 128 of 128."""

NAME = "Storage slot out of range"
MODEL_USED = "None"


def after_swap(payload, storage):
    storage.u64[128] = 1  # <-

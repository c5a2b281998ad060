# ruff: noqa
"""Writes byte 1024."""

NAME = "Storage byte out of range"
MODEL_USED = "None"


def after_swap(payload, storage):
    storage[1024] = 1  # <-

# ruff: noqa
"""Keeps a history in a module-level list."""

NAME = "Module list state"
MODEL_USED = "None"


HISTORY = []


def after_swap(payload, storage):
    HISTORY.append(payload.sim_step)  # <-

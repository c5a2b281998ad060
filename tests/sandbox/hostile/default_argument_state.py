# ruff: noqa
"""Keeps state in a mutable default argument."""

NAME = "Default argument state"
MODEL_USED = "None"


def remember(step, seen=[]):
    seen.append(step)  # <-
    return len(seen)


def after_swap(payload, storage):
    remember(payload.sim_step)

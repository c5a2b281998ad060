# ruff: noqa
"""Keeps a cache in a module-level dict."""

NAME = "Module dict state"
MODEL_USED = "None"


CACHE = {}


def after_swap(payload, storage):
    CACHE[payload.sim_step] = payload.reserve_x  # <-

# ruff: noqa
"""Keeps state in a list captured by a closure."""

NAME = "Closure state"
MODEL_USED = "None"


def make_counter():
    box = []

    def count():
        box.append(1)  # <-
        return len(box)

    return count


COUNT = make_counter()


def after_swap(payload, storage):
    COUNT()

# ruff: noqa
"""Naive Fibonacci: exponential work, shallow stack."""

NAME = "Exponential recursion"
MODEL_USED = "None"


def fib(n):  # <-
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    fib(40)
    net = input_amount * 997 // 1000
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)

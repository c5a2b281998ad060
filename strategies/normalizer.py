"""The prop-amm reference normalizer, written as a compute_swap strategy.

It reads its fee in basis points from storage bytes 0-1 (little-endian), 30 bps when zero,
exactly like the reference engine's native normalizer. Entered as a strategy its storage is
zero, so it quotes a 30 bps constant-product curve: the same pool as cp30, priced by calling
this function instead of the closed form (a cross-check of the two paths).
"""

NAME = "Normalizer (30 bps)"
MODEL_USED = "None"


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    if reserve_x == 0 or reserve_y == 0:
        return 0
    fee_bps = storage[0] + 256 * storage[1]
    if fee_bps == 0:
        fee_bps = 30
    k = reserve_x * reserve_y
    net = input_amount * (10000 - fee_bps) // 10000
    if side == 0:
        new_reserve_y = reserve_y + net
        return max(0, reserve_x - (k + new_reserve_y - 1) // new_reserve_y)
    if side == 1:
        new_reserve_x = reserve_x + net
        return max(0, reserve_y - (k + new_reserve_x - 1) // new_reserve_x)
    return 0

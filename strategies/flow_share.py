"""A flow-share controller: steer the fee so this pool gets its fair share of retail flow.

Target share: 1 / n_strategies (every pool, the normalizer included). After each retail trade
the fee moves toward the target (more flow than the target: raise the fee and earn more per
trade; less: lower it). Arbitrage trades (flow_captured 0) nudge the fee up, since they are
the pool paying for being stale. An epoch without retail trades halves the distance to the
minimum fee.

Written with compute_swap to show the form: the constant-product integer math with the fee
read from storage slot 0 (side 0, Y in) or 1 (side 1, X in).
"""

NAME = "Flow-share controller"
MODEL_USED = "None"
FEE_BPS = 30

WAD = 10**18
MIN_FEE = 5 * 10**14  # 5 bps
MAX_FEE = 300 * 10**14  # 300 bps
GAIN = 0.05
ARB_NUDGE = 0.002


def compute_swap(side, input_amount, reserve_x, reserve_y, storage):
    if reserve_x == 0 or reserve_y == 0 or side > 1:
        return 0
    fee = storage.u64[side]
    net = input_amount * (WAD - fee) // WAD
    if side == 0:
        return reserve_x * net // (reserve_y + net)
    return reserve_y * net // (reserve_x + net)


def clamp_fee(value):
    return min(MAX_FEE, max(MIN_FEE, int(value)))


def after_swap(payload, storage):
    fee = storage.u64[0]
    if payload.flow_captured > 0:
        target = 1.0 / payload.n_strategies
        fee = fee * (1 + GAIN * (payload.flow_captured - target) / target)
        storage.u64[5] = storage.u64[5] + 1
    else:
        fee = fee * (1 + ARB_NUDGE)
    fee = clamp_fee(fee)
    storage.u64[0] = fee
    storage.u64[1] = fee


def epoch_boundary(payload, storage):
    if storage.u64[5] == 0:
        fee = clamp_fee((storage.u64[0] + MIN_FEE) // 2)
        storage.u64[0] = fee
        storage.u64[1] = fee
    storage.u64[5] = 0
    storage.f64[6] = payload.capital_weight

"""The seed's vol-adaptive starter, with its defects fixed.

The seed's version measured volatility from its own pool's trades and mixed up units (its
premium was pinned at 200 bps). This one estimates the fair price's volatility from the other
pools' spot prices (their mean is a fair-price proxy: arbitrage keeps every pool within its
fee band of the fair price), and charges a fee that grows with it:

    fee = BASE_BPS + VOL_MULTIPLIER * sigma,   sigma = per-step volatility estimate

It has no compute_swap: the engine prices it as a constant-product pool with the fees in
storage slots 0 and 1, which after_swap and epoch_boundary update.

Storage (the seed's table): 0 bid fee (WAD), 1 ask fee (WAD), 2 volatility estimate,
3 last fair-price proxy, 4 flow share EMA, 5 trades this epoch, 6 capital weight, 7 epoch;
and 8 step of the last proxy, 9 variance estimate.
"""

NAME = "Vol-adaptive"
MODEL_USED = "None"
FEE_BPS = 40  # until the first volatility estimate

WAD = 10**18
BASE_BPS = 20.0
VOL_MULTIPLIER = 1.0  # fee fraction per unit of per-step sigma
MIN_BPS = 10.0
MAX_BPS = 500.0
PRIOR_VARIANCE = 0.003 * 0.003
EMA = 0.05


def fair_proxy(prices):
    total = 0.0
    count = 0
    for price in prices:
        if price == price and price > 0:  # skip NaN slots
            total = total + price
            count = count + 1
    return total / count if count else 0.0


def set_fee(storage, variance):
    bps = BASE_BPS + VOL_MULTIPLIER * math.sqrt(variance) * 10_000
    bps = min(MAX_BPS, max(MIN_BPS, bps))
    fee = int(bps * 10**14)
    storage.u64[0] = fee
    storage.u64[1] = fee


def after_swap(payload, storage):
    proxy = fair_proxy(payload.competing_spot_prices)
    variance = storage.f64[9] or PRIOR_VARIANCE
    last, last_step = storage.f64[3], storage.u64[8]
    if proxy > 0 and last > 0 and payload.sim_step > last_step:
        move = math.log(proxy / last)
        observed = move * move / (payload.sim_step - last_step)
        variance = (1 - EMA) * variance + EMA * observed
    if proxy > 0:
        storage.f64[3] = proxy
        storage.u64[8] = payload.sim_step
    storage.f64[9] = variance
    storage.f64[2] = math.sqrt(variance)
    storage.f64[4] = 0.9 * storage.f64[4] + 0.1 * payload.flow_captured
    storage.u64[5] = storage.u64[5] + 1
    set_fee(storage, variance)


def epoch_boundary(payload, storage):
    # Regress halfway to the prior so one calm or wild epoch does not dominate the next.
    variance = 0.5 * (storage.f64[9] or PRIOR_VARIANCE) + 0.5 * PRIOR_VARIANCE
    storage.f64[9] = variance
    storage.f64[6] = payload.capital_weight
    storage.u64[7] = payload.epoch_number
    storage.u64[5] = 0
    set_fee(storage, variance)

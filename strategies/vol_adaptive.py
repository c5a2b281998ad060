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


def set_fee(slots, sigma):
    bps = min(MAX_BPS, max(MIN_BPS, BASE_BPS + VOL_MULTIPLIER * sigma * 10_000))
    fee = int(bps * 10**14)
    slots[0] = fee
    slots[1] = fee


def after_swap(payload, storage):
    floats = storage.f64  # look the views up once: each lookup is checked
    words = storage.u64
    proxy = fair_proxy(payload.competing_spot_prices)
    variance = floats[9] or PRIOR_VARIANCE
    step = payload.sim_step
    if proxy > 0:
        last = floats[3]
        last_step = words[8]
        if last > 0 and step > last_step:
            move = math.log(proxy / last)
            variance = (1 - EMA) * variance + EMA * move * move / (step - last_step)
        floats[3] = proxy
        words[8] = step
    sigma = math.sqrt(variance)
    floats[9] = variance
    floats[2] = sigma
    floats[4] = 0.9 * floats[4] + 0.1 * payload.flow_captured
    words[5] = words[5] + 1
    set_fee(words, sigma)


def epoch_boundary(payload, storage):
    floats = storage.f64
    words = storage.u64
    # Regress halfway to the prior so one calm or wild epoch does not dominate the next.
    variance = 0.5 * (floats[9] or PRIOR_VARIANCE) + 0.5 * PRIOR_VARIANCE
    floats[9] = variance
    floats[6] = payload.capital_weight
    words[7] = payload.epoch_number
    words[5] = 0
    set_fee(words, math.sqrt(variance))

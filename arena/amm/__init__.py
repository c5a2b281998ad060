"""The AMM market: pools, pricing, arbitrage, routing and the rulesets built on them."""

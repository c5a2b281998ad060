"""A constant-product pool with a fixed 20 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 20 bps"
MODEL_USED = "None"
FEE_BPS = 20

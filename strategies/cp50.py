"""A constant-product pool with a fixed 50 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 50 bps"
MODEL_USED = "None"
FEE_BPS = 50

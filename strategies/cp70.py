"""A constant-product pool with a fixed 70 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 70 bps"
MODEL_USED = "None"
FEE_BPS = 70

"""A constant-product pool with a fixed 30 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 30 bps"
MODEL_USED = "None"
FEE_BPS = 30

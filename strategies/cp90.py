"""A constant-product pool with a fixed 90 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 90 bps"
MODEL_USED = "None"
FEE_BPS = 90

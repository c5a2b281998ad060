"""A constant-product pool with a fixed 40 bps fee on both sides (no hooks, closed-form pricing)."""

NAME = "CP 40 bps"
MODEL_USED = "None"
FEE_BPS = 40

"""A constant-product pool with a fixed 30 bps fee (closed-form pricing, no hooks)."""

NAME = "CP 30 bps"
MODEL_USED = "None"
FEE_BPS = 30

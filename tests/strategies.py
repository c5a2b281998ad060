"""Shared hypothesis strategies (the attrs convention: one place for the test data shapes)."""

from hypothesis import strategies as st

#: A pool's fee as a fraction, from 0 to 3%.
fees = st.floats(0.0, 0.03)
#: Reserves in token units, with spot prices spread around 100.
reserves_x = st.floats(10.0, 1_000.0)
prices = st.floats(80.0, 125.0)
#: Retail-sized order inputs (Y), up to a large share of a pool.
orders = st.floats(0.05, 3_000.0)

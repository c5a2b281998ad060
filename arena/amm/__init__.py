"""The AMM market: pools, pricing, arbitrage, routing and the rulesets built on them.

The engine is compiled by numba the first time it is imported on a machine (about half a
minute) and loaded from numba's cache afterwards; a slow import says so on stderr.
"""

import sys
import threading


def _compiling_notice() -> None:
    print(
        "arena: compiling its engine for this machine (once; about half a minute)...",
        file=sys.stderr,
        flush=True,
    )


_notice = threading.Timer(5.0, _compiling_notice)
_notice.daemon = True
_notice.start()
try:
    from arena.amm import arena_engine, propamm_engine  # noqa: F401 (compiled here)
finally:
    _notice.cancel()

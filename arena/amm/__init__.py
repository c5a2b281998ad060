"""The AMM market: pools, pricing, arbitrage, routing and the rulesets built on them.

The engines are compiled by numba the first time they are loaded on a machine (about half a
minute) and come from numba's cache afterwards, until a source file of this package changes
(:mod:`arena.amm.jit`). They load only when simulations are about to run
(:func:`load_engines`), so reading options, validating files and the leaderboard never wait for
them; a slow load says so on stderr.
"""

import sys
import threading

__all__ = ["load_engines"]


def _compiling_notice() -> None:
    print(
        "arena: compiling its engine for this machine (once; about half a minute)...",
        file=sys.stderr,
        flush=True,
    )


def load_engines() -> None:
    """Load (on a machine's first use: compile and cache) every module with compiled code."""
    notice = threading.Timer(5.0, _compiling_notice)
    notice.daemon = True
    notice.start()
    try:
        # every module with compiled code: workers cannot write numba's cache
        from arena.amm import arena_engine, inputs, propamm_engine, streams  # noqa: F401
    finally:
        notice.cancel()

"""numba's ``njit``, with a cache that notices a change anywhere in this package.

numba checks a cached function against its own source file only, yet compiled code carries the
functions it calls from other files: after an update that changed only ``routing.py``, the
cached engines would go on routing the old way. Every compiled module of this package imports
``njit`` from here, which first makes numba stamp the cache of this package's functions with
the contents of all its source files: any change recompiles them all (about half a minute).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from numba import njit
from numba.core import caching

__all__ = ["njit", "package_digest"]

_PACKAGE = Path(__file__).resolve().parent


def package_digest(directory: Path = _PACKAGE) -> bytes:
    """A digest of the contents of every ``*.py`` file in ``directory``."""
    files = sorted(directory.glob("*.py"))
    return _digest(tuple((f, f.stat().st_mtime_ns, f.stat().st_size) for f in files))


@functools.cache
def _digest(files: tuple[tuple[Path, int, int], ...]) -> bytes:
    """Memoized on each file's modification time and size, as numba does for one file."""
    digest = hashlib.sha256()
    for path, _, _ in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


class _WholePackage:
    """Locator mixin: a function of this package is stamped with all of the package's sources."""

    def get_source_stamp(self) -> Any:
        return super().get_source_stamp(), package_digest()  # type: ignore[misc]

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if Path(py_file).resolve().parent != _PACKAGE:
            return None  # not arena's: numba's own locators take it
        return super().from_function(py_func, py_file)  # type: ignore[misc]


class _UserProvided(_WholePackage, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR``, when set."""


class _InTree(_WholePackage, caching.InTreeCacheLocator):
    """The package's ``__pycache__``, when writable."""


class _UserWide(_WholePackage, caching.UserWideCacheLocator):
    """The user's cache directory otherwise."""


_LOCATORS = caching.CacheImpl._locator_classes
if _UserProvided not in _LOCATORS:
    _LOCATORS[:0] = [_UserProvided, _InTree, _UserWide]  # numba's own order, arena's first

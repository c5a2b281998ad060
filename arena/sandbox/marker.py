"""A few shared bytes where a stopped worker notes whose code it was running.

The parent creates the file and passes its descriptor to the worker, the only descriptor a
worker inherits besides its pipes. When the worker is stopped — past its wall clock (the
parent's ``SIGTERM``) or its CPU time (the kernel's ``SIGXCPU``) — its signal handler looks at
the interrupted stack and writes a note: the cause, and the strategy whose code was running (or
that the engine was). The parent reads it once the worker has exited. What a worker wrote is
only ever used as text in a message.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile
from typing import Any, Final

__all__ = ["Marker"]

_SIZE: Final = 4096
_LENGTH: Final = struct.Struct("<I")


class Marker:
    """The shared note of one worker.

    :param fd: an open descriptor of a file of at least 4096 bytes.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._map = mmap.mmap(fd, _SIZE)

    @classmethod
    def create(cls) -> Marker:
        """A new, empty note (in the parent), backed by an unnamed temporary file."""
        with tempfile.TemporaryFile() as handle:
            fd = os.dup(handle.fileno())
        os.ftruncate(fd, _SIZE)
        return cls(fd)

    def write(self, **note: Any) -> None:
        """Record why the worker is about to stop (JSON-ready values)."""
        body = json.dumps(note).encode()[: _SIZE - _LENGTH.size]
        self._map[: _LENGTH.size + len(body)] = _LENGTH.pack(len(body)) + body

    def clear(self) -> None:
        """Forget any note (at the start of a task)."""
        self._map[: _LENGTH.size] = _LENGTH.pack(0)

    def read(self) -> dict[str, Any]:
        """The note (empty if there is none, or none that can be read)."""
        (length,) = _LENGTH.unpack_from(self._map)
        if not 0 < length <= _SIZE - _LENGTH.size:
            return {}
        try:
            note = json.loads(self._map[_LENGTH.size : _LENGTH.size + length])
        except ValueError:
            return {}
        return note if isinstance(note, dict) else {}

    def close(self) -> None:
        """Release the mapping and the descriptor."""
        self._map.close()
        os.close(self.fd)

"""Messages between the parent and its workers.

Every message is length-prefixed. Tasks go to a worker pickled (the parent is trusted). Replies
come back as a JSON header followed by Arrow IPC streams, never as pickles, so a worker that
strategy code took over cannot run code in the parent by forging its reply; a malformed reply is
a :class:`ProtocolError`, like a dead worker.
"""

from __future__ import annotations

import io
import json
import struct
from typing import IO, Any, Final

import pandas as pd
import pyarrow as pa

from arena.market import SimulationOutput

__all__ = [
    "MAX_REPLY_BYTES",
    "ProtocolError",
    "RemoteError",
    "decode_reply",
    "encode_error",
    "encode_reply",
    "read_frame",
    "write_frame",
]

_FRAME: Final = struct.Struct("<Q")
#: Replies larger than this are refused (a worker cannot make the parent allocate without bound).
MAX_REPLY_BYTES: Final = 2**31
#: Largest JSON header or JSON value accepted in a reply.
MAX_HEADER_BYTES: Final = 2**24


class ProtocolError(Exception):
    """A message that does not follow the protocol (treated like a worker failure)."""


class RemoteError(Exception):
    """The worker ran the task and reports that it failed (outside strategy code)."""


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Send one length-prefixed message."""
    stream.write(_FRAME.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: IO[bytes], limit: int = MAX_REPLY_BYTES) -> bytes | None:
    """Receive one length-prefixed message (``None`` at end of stream)."""
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    if size > limit:
        raise ProtocolError(f"a worker sent a {size}-byte reply, more than the {limit} allowed")
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def encode_reply(value: SimulationOutput | dict[str, Any]) -> bytes:
    """A successful reply: tables as Arrow IPC streams, or a JSON-ready mapping as JSON."""
    if isinstance(value, dict):
        return _with_header({"ok": True, "json": value})
    parts: list[bytes] = []
    names = ["results", *value.tables]
    for name in names:
        table = value.results if name == "results" else value.tables[name]
        sink = io.BytesIO()
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        with pa.ipc.new_stream(sink, arrow.schema) as writer:
            writer.write_table(arrow)
        parts.append(sink.getvalue())
    header = {"ok": True, "tables": names, "sizes": [len(p) for p in parts]}
    return _with_header(header) + b"".join(parts)


def encode_error(message: str) -> bytes:
    """An error reply."""
    return _with_header({"ok": False, "error": message})


def _with_header(header: dict[str, Any]) -> bytes:
    text = json.dumps(header, allow_nan=False).encode()
    return _FRAME.pack(len(text)) + text


def decode_reply(data: bytes) -> SimulationOutput | dict[str, Any]:
    """Inverse of :func:`encode_reply`.

    :raises ProtocolError: for a malformed reply.
    :raises RemoteError: for an error reply.
    """
    try:
        (size,) = _FRAME.unpack_from(data)
        if size > MAX_HEADER_BYTES:
            raise ProtocolError("a worker sent an oversized reply header")
        header = json.loads(data[_FRAME.size : _FRAME.size + size])
        if not isinstance(header, dict):
            raise ProtocolError("a worker sent a malformed reply header")
        if not header.get("ok"):
            raise RemoteError(str(header.get("error", "the worker reported an unknown error")))
        if "json" in header:
            value = header["json"]
            if not isinstance(value, dict):
                raise ProtocolError("a worker sent a malformed reply")
            return value
        offset = _FRAME.size + size
        tables: dict[str, pd.DataFrame] = {}
        for name, length in zip(header["tables"], header["sizes"], strict=True):
            reader = pa.ipc.open_stream(data[offset : offset + int(length)])
            tables[str(name)] = reader.read_all().to_pandas()
            offset += int(length)
        results = tables.pop("results")
    except (ProtocolError, RemoteError):
        raise
    except (struct.error, ValueError, KeyError, TypeError, pa.ArrowException) as error:
        raise ProtocolError(f"a worker sent a malformed reply ({type(error).__name__})") from None
    return SimulationOutput(results, tables)

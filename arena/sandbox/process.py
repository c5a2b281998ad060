"""Isolated worker processes: the boundary between strategy code and everything else.

Strategy code never runs in the parent. Each worker is a fresh interpreter
(``python -I -B -m arena.sandbox.worker``) started with an empty environment, no inherited
file descriptors, its own session (so it can be killed with everything it started), and
resource limits applied before any strategy is loaded: address space, CPU time per task, no
file writes, no core dumps. The parent kills a worker that exceeds the wall-clock limit.

Tasks go to the worker pickled (the parent is trusted); results come back as Arrow IPC
tables with a JSON header, never as pickles, so a compromised worker cannot run code in the
parent by forging its reply.
"""

from __future__ import annotations

import io
import json
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import IO, Any, Final

import pandas as pd
import pyarrow as pa

from arena.market import SimulationOutput

__all__ = ["Limits", "SandboxPool", "WorkerFailed", "decode_output", "encode_output", "run_isolated"]

_FRAME = struct.Struct("<Q")
#: Replies larger than this are refused (a worker cannot make the parent allocate without bound).
MAX_REPLY_BYTES: Final = 2**31
_WORKER_ENV: Final = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process.

    :param memory_bytes: address-space limit (``RLIMIT_AS``).
    :param cpu_seconds: CPU time allowed per task (``RLIMIT_CPU``, reset for each task).
    :param wall_seconds: wall-clock time per task before the parent kills the worker.
    """

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 3600
    wall_seconds: float = 5400.0


class WorkerFailed(Exception):
    """A worker died, ran out of time, or reported an error outside strategy code."""


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
        raise WorkerFailed(f"a worker sent a {size}-byte reply, more than the {limit} allowed")
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def encode_output(output: SimulationOutput) -> bytes:
    """Serialise tables as a JSON header followed by Arrow IPC streams."""
    parts: list[bytes] = []
    names = ["results", *output.tables]
    for name in names:
        table = output.results if name == "results" else output.tables[name]
        sink = io.BytesIO()
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        with pa.ipc.new_stream(sink, arrow.schema) as writer:
            writer.write_table(arrow)
        parts.append(sink.getvalue())
    header = json.dumps({"ok": True, "tables": names, "sizes": [len(p) for p in parts]}).encode()
    return _FRAME.pack(len(header)) + header + b"".join(parts)


def decode_output(data: bytes) -> SimulationOutput:
    """Inverse of :func:`encode_output`; raises :class:`WorkerFailed` on an error reply."""
    (size,) = _FRAME.unpack_from(data)
    header = json.loads(data[_FRAME.size : _FRAME.size + size])
    if not header.get("ok"):
        raise WorkerFailed(str(header.get("error", "the worker reported an unknown error")))
    offset = _FRAME.size + size
    tables: dict[str, pd.DataFrame] = {}
    for name, length in zip(header["tables"], header["sizes"], strict=True):
        reader = pa.ipc.open_stream(data[offset : offset + length])
        tables[name] = reader.read_all().to_pandas()
        offset += length
    results = tables.pop("results")
    return SimulationOutput(results, tables)


def encode_error(message: str) -> bytes:
    """An error reply."""
    header = json.dumps({"ok": False, "error": message}).encode()
    return _FRAME.pack(len(header)) + header


class _Worker:
    """One worker process, used for one task at a time."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-m", "arena.sandbox.worker",
             str(limits.memory_bytes), str(limits.cpu_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(_WORKER_ENV),
            close_fds=True,
            start_new_session=True,
            cwd="/",
        )
        self._stderr: list[bytes] = []
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            del self._stderr[:-20]

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> SimulationOutput:
        import pickle

        assert self.process.stdin is not None and self.process.stdout is not None
        reply: list[bytes | None | BaseException] = []

        def exchange() -> None:
            try:
                write_frame(self.process.stdin, pickle.dumps((fn, args)))  # type: ignore[arg-type]
                reply.append(read_frame(self.process.stdout))  # type: ignore[arg-type]
            except (OSError, WorkerFailed) as error:
                reply.append(error)

        thread = threading.Thread(target=exchange, daemon=True)
        thread.start()
        thread.join(self.limits.wall_seconds)
        if thread.is_alive():
            self.kill()
            raise WorkerFailed(
                f"a worker ran longer than {self.limits.wall_seconds:g} s on one batch and was stopped"
            )
        answer = reply[0] if reply else None
        if isinstance(answer, BaseException) or answer is None:
            self.kill()
            raise WorkerFailed(self._death_message())
        return decode_output(answer)

    def _death_message(self) -> str:
        code = self.process.wait()
        cause = {
            -9: "it was killed (out of memory or CPU time)",
            -24: "it ran out of CPU time",
            -11: "it crashed (segmentation fault)",
        }.get(code, f"it exited with status {code}")
        tail = b"".join(self._stderr).decode(errors="replace").strip().splitlines()[-3:]
        return f"a worker process died: {cause}" + (f" ({' / '.join(tail)})" if tail else "")

    def kill(self) -> None:
        import os
        import signal

        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to finish (end of its input), then release everything."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        self._drain.join(timeout=5)  # the process has ended: its stderr reaches EOF
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except OSError:
                    pass


class SandboxPool:
    """A fixed number of isolated workers serving tasks from a queue.

    :param workers: number of worker processes.
    :param limits: resource limits of each worker.
    """

    def __init__(self, workers: int, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._tasks: queue.Queue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue()
        )
        self._threads = [
            threading.Thread(target=self._serve, daemon=True, name=f"arena-worker-{i}")
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._tasks.put((future, fn, args))
        return future

    def _serve(self) -> None:
        worker: _Worker | None = None
        while (item := self._tasks.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                worker = worker or _Worker(self.limits)
                future.set_result(worker.run(fn, args))
            except WorkerFailed as error:
                worker = None
                future.set_exception(error)
            except BaseException as error:  # keep serving; the caller sees the error
                future.set_exception(error)
        if worker is not None:
            worker.close()

    def shutdown(self, cancel: bool = False) -> None:
        if cancel:
            while True:
                try:
                    item = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()


def run_isolated(fn: Callable[..., Any], *args: Any) -> SimulationOutput:
    """Run one task in a fresh isolated worker (used on Dask workers)."""
    worker = _Worker(Limits())
    try:
        return worker.run(fn, args)
    finally:
        worker.close()

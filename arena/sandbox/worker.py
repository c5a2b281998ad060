# Imports inside functions are deliberate: limits come first, before anything is imported.
"""Entry point of an isolated worker process: ``python -s -P -B -m arena.sandbox.worker CONFIG``.

Resource limits are applied before anything else is imported or any task is read. The worker
imports what tasks need while the parent prepares the markets (the parent starts its workers
early for that), waits for the parent's :data:`LOAD` (the markets' compiled code is in the
cache now), loads it and answers :data:`READY`. It then serves tasks from stdin until it
closes: each is a pickled ``(function, args)`` from the parent; each reply is encoded by
:mod:`arena.sandbox.protocol`.

When the parent stops the worker for running past its wall-clock limit (``SIGTERM``), or the
kernel signals that a task used up its CPU time (``SIGXCPU``), the worker looks at the stack it
was interrupted in, notes (:mod:`arena.sandbox.marker`) whose strategy code was running, if
any, and exits.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from arena.sandbox.marker import Marker

#: Exit status of a worker that stopped itself after SIGTERM or SIGXCPU (the note says why).
EXIT_STOPPED: Final = 3
#: Descriptors a worker may have open once it has imported what tasks need.
MAX_OPEN_FILES: Final = 64
#: What the parent sends once the markets' compiled code is in the cache: the worker loads it.
LOAD: Final = b"load"
#: What a worker sends once it is ready for tasks.
READY: Final = b"ready"
#: CPU time a worker may spend starting: importing arena and loading the compiled engines takes
#: 2-3 s (a minute if numba has to compile them); each task's own limit starts with the task.
BOOT_CPU_SECONDS: Final = 120


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    # A write past the size limit then fails with an error instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _cpu_budget(cpu_seconds)


def _cpu_budget(seconds: int) -> None:
    """Allow ``seconds`` more CPU time from now; past it the kernel sends SIGXCPU.

    Only the soft limit moves, so that it can be moved again for the next task; the parent's
    wall-clock limit is the backstop if the worker cannot react.
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    now = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (now + seconds, resource.RLIM_INFINITY))


def worker_facts() -> dict[str, Any]:
    """What a worker process can see and use (run it in a worker: tests, diagnostics)."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        network = "connected"
    except OSError as error:
        network = os.strerror(error.errno) if error.errno else str(error)
    limits = {
        name: resource.getrlimit(getattr(resource, f"RLIMIT_{name}"))[0]
        for name in ("AS", "CPU", "FSIZE", "CORE", "NOFILE")
    }
    descriptors = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the handle os.listdir used is closed already
            descriptors[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return {
        "environment": sorted(os.environ),
        "descriptors": descriptors,
        "limits": limits,
        "network": network,
        "cwd": os.getcwd(),
        "hash_seed": hash("arena"),
    }


def _stop(marker: Marker, signum: int, frame: FrameType | None) -> None:
    """Note in ``marker`` whose code was interrupted, and exit (a signal handler)."""
    from arena.sandbox.diagnostics import GUEST_MODULE

    owner = None
    while frame is not None and owner is None:
        if frame.f_globals.get("__name__") == GUEST_MODULE:
            owner = frame.f_globals.get("_owner_")
        frame = frame.f_back
    marker.write(owner=owner, cause="cpu" if signum == signal.SIGXCPU else "wall")
    os._exit(EXIT_STOPPED)


def main() -> None:
    """Apply the limits, then serve tasks from stdin until it closes."""
    config = json.loads(sys.argv[1])
    _apply_limits(config["memory_bytes"], max(config["cpu_seconds"], BOOT_CPU_SECONDS))

    import pickle

    import arena.runner  # noqa: F401  (what tasks need, imported before files are limited)
    from arena.plugins import prepare_markets
    from arena.sandbox.budget import METER
    from arena.sandbox.marker import Marker
    from arena.sandbox.protocol import encode_error, encode_reply, read_frame, write_frame

    marker = Marker(config["marker_fd"])
    METER.budget = config["budget"]
    signal.signal(signal.SIGTERM, functools.partial(_stop, marker))
    signal.signal(signal.SIGXCPU, functools.partial(_stop, marker))

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Nothing but replies may reach the reply channel: point sys.stdout elsewhere.
    sys.stdout = sys.stderr
    if read_frame(stdin) != LOAD:  # the parent closed before it needed this worker
        return
    prepare_markets()  # compiled engines load now: no task's wall clock pays for them
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES))
    write_frame(stdout, READY)  # the parent's wall clock starts with the first task, not here
    while (message := read_frame(stdin)) is not None:
        fn, args = pickle.loads(message)
        _cpu_budget(config["cpu_seconds"])
        marker.clear()
        try:
            reply = encode_reply(fn(*args))
        except MemoryError:
            reply = encode_error("the worker ran out of memory outside strategy code")
        except Exception as error:
            reply = encode_error(f"{type(error).__name__}: {error}")
        write_frame(stdout, reply)


if __name__ == "__main__":
    main()
    # Every reply is flushed: skip the interpreter's teardown (about 0.3 s with numba and pandas
    # loaded), which the parent's shutdown would wait for.
    sys.stderr.flush()
    os._exit(0)

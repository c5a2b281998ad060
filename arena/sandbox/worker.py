"""Entry point of an isolated worker process: ``python -I -B -m arena.sandbox.worker MEM CPU``.

Limits are applied before anything else is imported or any task is read. The worker then
serves tasks from stdin until it closes: each is a pickled ``(function, args)`` from the
parent; each reply is an encoded :class:`arena.market.SimulationOutput` or an error.
"""

from __future__ import annotations

import resource
import sys


def _apply_limits(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _cpu_budget(cpu_seconds)


def _cpu_budget(seconds: int) -> None:
    """Allow ``seconds`` more CPU time from now: past it the kernel sends SIGXCPU, which ends
    the worker. Only the soft limit moves (a process may not raise its hard limit again); the
    parent's wall-clock limit is the backstop."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    now = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (now + seconds, resource.RLIM_INFINITY))


def main() -> None:
    memory_bytes, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    _apply_limits(memory_bytes, cpu_seconds)

    import pickle

    from arena.sandbox.process import encode_error, encode_output, read_frame, write_frame

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Strategy code must not reach the reply channel: point sys.stdout elsewhere.
    sys.stdout = sys.stderr
    while (message := read_frame(stdin, limit=2**31)) is not None:
        fn, args = pickle.loads(message)
        _cpu_budget(cpu_seconds)
        try:
            reply = encode_output(fn(*args))
        except MemoryError:
            reply = encode_error("a strategy used more memory than a worker may have")
        except Exception as error:
            reply = encode_error(f"{type(error).__name__}: {error}")
        write_frame(stdout, reply)


if __name__ == "__main__":
    main()

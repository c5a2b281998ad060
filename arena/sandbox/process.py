"""Isolated worker processes: the boundary between strategy code and everything else.

Strategy code never runs in the parent. Each worker is a fresh interpreter
(``python -s -P -B -m arena.sandbox.worker``: no user site, no script directory on the path)
started with an environment of arena's choosing only (a fixed hash seed, so set iteration is
reproducible, and single-threaded maths libraries; of the parent's, only where to import arena
from and where its compiled kernels are), no inherited descriptors but its pipes and
its stop note, its own session, and — where the system allows it — its own empty network
namespace. Resource limits are applied before any strategy is loaded: address space, CPU time
per task, no file writes, no core dumps, few open files. The parent stops a worker that exceeds
the wall-clock limit.

A worker that dies takes only its own task with it. A worker stopped for time notes whose
strategy code it was running (:mod:`arena.sandbox.marker`), and the failure names it; with
``on_death="skip"`` the pool then refuses that strategy's remaining tasks and keeps serving the
others, with ``"stop"`` it refuses all remaining tasks. A worker that dies without a note (killed
while stuck in one long C-level operation, or by the system) is reported with the strategies
its task held. Replies are Arrow tables or JSON, never pickles (:mod:`arena.sandbox.protocol`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Literal

from arena.market import SimulationOutput
from arena.sandbox.budget import DEFAULT_BUDGET
from arena.sandbox.marker import Marker
from arena.sandbox.protocol import (
    ProtocolError,
    RemoteError,
    decode_reply,
    read_frame,
    write_frame,
)
from arena.sandbox.worker import EXIT_STOPPED, LOAD, READY

__all__ = ["Limits", "SandboxPool", "WorkerFailed", "network_isolation", "run_isolated"]

_WORKER_ENV: Final = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
#: Parent variables workers need to import the parent's arena (a checkout on PYTHONPATH) and
#: to find what the parent prepared (compiled kernels).
_PASSED_ON: Final = ("PYTHONPATH", "NUMBA_CACHE_DIR")
OnDeath = Literal["skip", "stop"]
_TIMED_OUT: Final = object()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process.

    :param memory_bytes: address-space limit (``RLIMIT_AS``).
    :param cpu_seconds: CPU time allowed per task (``RLIMIT_CPU``, reset for each task).
    :param wall_seconds: wall-clock time per task before the parent stops the worker.
    :param budget: work units per strategy hook call (:mod:`arena.sandbox.budget`).
    :param grace_seconds: how long a worker asked to stop may take before it is killed.
    :param start_seconds: how long a new worker may take to import what it needs.
    :param isolate_network: give workers an empty network namespace when ``unshare`` can.
    """

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 3600
    wall_seconds: float = 5400.0
    budget: int = DEFAULT_BUDGET
    grace_seconds: float = 2.0
    start_seconds: float = 120.0
    isolate_network: bool = True


class WorkerFailed(Exception):
    """A worker died, ran out of time, or reported an error outside strategy code.

    :param owner: the strategy whose code was running when the worker was stopped, if known.
    :param blamed: True when ``owner`` is to blame (its remaining tasks may be refused).
    """

    def __init__(self, message: str, owner: str | None = None, blamed: bool = False) -> None:
        super().__init__(message)
        self.owner = owner
        self.blamed = blamed


@functools.cache
def network_isolation() -> tuple[str, ...]:
    """The command prefix that gives a worker no network, or ``()`` where none works here.

    ``unshare --net`` needs root or unprivileged user namespaces; each form is tried once.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    forms = [["--net"]] if os.geteuid() == 0 else []
    forms += [["--user", "--map-current-user", "--net"], ["--user", "--map-root-user", "--net"]]
    for flags in forms:
        try:
            probe = subprocess.run(
                [unshare, *flags, "true"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return (unshare, *flags)
    return ()


class _Worker:
    """One worker process, used for one task at a time.

    It imports what tasks need as soon as it is made; :meth:`load` then has it load the
    markets' compiled code, which the parent prepares meanwhile.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.marker = Marker.create()
        config = {
            "memory_bytes": limits.memory_bytes,
            "cpu_seconds": limits.cpu_seconds,
            "budget": limits.budget,
            "marker_fd": self.marker.fd,
        }
        prefix = network_isolation() if limits.isolate_network else ()
        self.process = subprocess.Popen(
            [
                *prefix,
                sys.executable,
                "-s",
                "-P",
                "-B",
                "-m",
                "arena.sandbox.worker",
                json.dumps(config),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_WORKER_ENV | {k: os.environ[k] for k in _PASSED_ON if k in os.environ},
            close_fds=True,
            pass_fds=(self.marker.fd,),
            start_new_session=True,
            cwd="/",
        )
        self._stderr: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        #: Whether the worker has loaded the markets' compiled code (:meth:`load`).
        self.loaded = False

    def load(self) -> None:
        """Have the worker load the markets' compiled code, once; call it when the markets are
        prepared (their compiled code is in the cache).

        :raises WorkerFailed: if the worker does not get ready (it is killed).
        """
        if self.loaded:
            return
        ready = self._exchange(LOAD, self.limits.start_seconds)
        if ready != READY:
            self.kill()
            raise self._failure("start", ready if isinstance(ready, BaseException) else None)
        self.loaded = True

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line[:500])
            del self._stderr[:-20]

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """Run ``fn(*args)`` in the worker and return its decoded reply.

        :raises WorkerFailed: if the worker dies, runs out of time or breaks the protocol
            (the worker is then gone), or reports an error (it stays usable).
        """
        answer = self._exchange(pickle.dumps((fn, args)), self.limits.wall_seconds)
        if answer is _TIMED_OUT:
            self.stop()
            raise self._failure("wall")
        if answer is None or isinstance(answer, BaseException):
            self.kill()
            raise self._failure(None, answer)
        assert isinstance(answer, bytes)
        try:
            return decode_reply(answer)
        except RemoteError as error:
            raise WorkerFailed(str(error)) from None
        except ProtocolError as error:
            self.kill()
            raise WorkerFailed(str(error)) from None

    def _exchange(self, message: bytes | None, seconds: float) -> object:
        """Send ``message`` (if any) and wait up to ``seconds`` for one reply frame.

        :returns: the reply (bytes), ``None`` at end of stream, the error met, or
            :data:`_TIMED_OUT`.
        """
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        reply: list[bytes | BaseException | None] = []

        def exchange() -> None:
            try:
                if message is not None:
                    write_frame(stdin, message)
                reply.append(read_frame(stdout))
            except (OSError, ProtocolError) as error:
                reply.append(error)

        thread = threading.Thread(target=exchange, daemon=True)
        thread.start()
        thread.join(seconds)
        return reply[0] if reply else _TIMED_OUT

    def _failure(self, reason: str | None, error: BaseException | None = None) -> WorkerFailed:
        """Describe why the worker is gone, and whose code it was running.

        :param reason: what the parent saw (``"wall"``, ``"start"``), if anything.
        """
        code = self.process.wait()
        note = self.marker.read()
        cause = note.get("cause") if code == EXIT_STOPPED else reason
        text = str(error) if isinstance(error, ProtocolError) else self._cause(code, cause)
        owner = note.get("owner")
        if owner is not None:
            owner = str(owner)
            message = f"strategy {owner!r} was running its code when the worker {text}"
        elif code == EXIT_STOPPED:
            message = f"the worker {text} while running the engine, not strategy code"
        else:
            message = f"the worker {text}"
        tail = b"".join(self._stderr).decode(errors="replace").strip().splitlines()[-1:]
        if tail and code != EXIT_STOPPED:
            message += f" ({tail[0]})"
        return WorkerFailed(message, owner, blamed=owner is not None)

    def _cause(self, code: int, cause: object) -> str:
        """What happened to the worker, in words (``cause`` as noted by the worker or parent)."""
        limits = self.limits
        noted = {
            "wall": f"ran longer than {limits.wall_seconds:g} s on one batch and was stopped",
            "cpu": f"used more than {limits.cpu_seconds} s of CPU time on one batch",
            "start": "did not start",
        }
        by_signal = {
            -signal.SIGKILL: "was killed (out of memory, or it did not stop when asked)",
            -signal.SIGSEGV: "crashed (segmentation fault)",
            -signal.SIGXCPU: noted["cpu"],
        }
        return noted.get(str(cause)) or by_signal.get(code, f"exited with status {code}")

    def stop(self) -> None:
        """Ask the worker to stop (it notes where it was); kill it if it does not."""
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(self.limits.grace_seconds)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """Kill the worker and anything it started."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        """Let the worker finish (closing its input ends it), then release its resources."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.release()

    def release(self) -> None:
        """Close the pipes and the note of a worker that has ended."""
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        self.marker.close()


def _owners(args: tuple[Any, ...]) -> frozenset[str]:
    """Labels of the strategies a task runs: a runner task's ``strategies``, or a strategy."""
    first = args[0] if args else None
    sources = getattr(first, "strategies", None) or ([first] if hasattr(first, "label") else [])
    return frozenset(str(s.label) for s in sources if hasattr(s, "label"))


class SandboxPool:
    """A fixed number of isolated workers serving tasks from a queue.

    :param workers: number of worker processes.
    :param limits: resource limits of each worker.
    :param on_death: after a worker dies while running a strategy's code, ``"skip"`` refuses
        that strategy's remaining tasks and keeps serving the others; ``"stop"`` refuses all
        remaining tasks.
    """

    def __init__(self, workers: int, limits: Limits = Limits(), on_death: OnDeath = "skip") -> None:
        self.limits = limits
        self.on_death = on_death
        self._lock = threading.Lock()
        self._culprits: dict[str, str] = {}
        self._stopped: str | None = None
        self._busy: set[_Worker] = set()  # workers in the middle of a task
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
        """Schedule ``fn(*args)`` in a worker; the future holds its reply."""
        future: Future[Any] = Future()
        self._tasks.put((future, fn, args))
        return future

    def _refusal(self, args: tuple[Any, ...]) -> WorkerFailed | None:
        with self._lock:
            if self._stopped is not None:
                return WorkerFailed(
                    f"not run: the run stopped after a worker died ({self._stopped})"
                )
            for owner in sorted(_owners(args)):
                if owner in self._culprits:
                    return WorkerFailed(
                        f"not run: strategy {owner!r} made a worker die earlier in this run "
                        f"({self._culprits[owner]})",
                        owner,
                        blamed=True,
                    )
        return None

    def _note_death(self, error: WorkerFailed) -> None:
        with self._lock:
            if self.on_death == "stop":
                self._stopped = self._stopped or str(error)
            elif error.blamed and error.owner is not None:
                self._culprits.setdefault(error.owner, str(error))

    def _spawn(self) -> _Worker | None:
        """A worker started now, to import while the parent prepares the markets (``None`` if it
        cannot start: the first task tries again and reports why)."""
        try:
            return _Worker(self.limits)
        except Exception:
            return None

    def _serve(self) -> None:
        worker = self._spawn()
        while (item := self._tasks.get()) is not None:
            future, fn, args = item
            if not future.set_running_or_notify_cancel():
                continue
            refusal = self._refusal(args)
            if refusal is not None:
                future.set_exception(refusal)
                continue
            try:
                worker = worker or _Worker(self.limits)
                worker.load()  # tasks are submitted once the markets are prepared
                with self._lock:
                    self._busy.add(worker)
                try:
                    future.set_result(worker.run(fn, args))
                finally:
                    with self._lock:
                        self._busy.discard(worker)
            except WorkerFailed as error:
                if worker is not None and worker.process.poll() is not None:
                    worker.release()
                    if worker.loaded:  # it died running the task, not starting
                        self._note_death(error)
                        if error.owner is None and _owners(args):
                            error = WorkerFailed(
                                f"{error} (its batch ran: {', '.join(sorted(_owners(args)))})"
                            )
                    worker = None
                future.set_exception(error)
            except BaseException as error:  # keep serving; the caller sees the error
                future.set_exception(error)
        if worker is not None:
            worker.close()

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers once the queue is done.

        With ``cancel`` (Ctrl-C), queued tasks are dropped and tasks under way are stopped
        now: their workers are killed, so their futures fail instead of being awaited.
        """
        if cancel:
            with self._lock:
                self._stopped = self._stopped or "the run was interrupted"
            while True:
                try:
                    item = self._tasks.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
            with self._lock:
                busy = list(self._busy)
            for worker in busy:
                worker.kill()
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()


def run_isolated(fn: Callable[..., Any], *args: Any, limits: Limits = Limits()) -> SimulationOutput:
    """Run one task in a fresh isolated worker (used on Dask workers)."""
    worker = _Worker(limits)
    try:
        worker.load()
        result: SimulationOutput = worker.run(fn, args)
        return result
    finally:
        worker.close()

"""Where batches of simulations run: one protocol, three backends.

* :class:`SequentialExecutor` runs each task when it is submitted, in this process. It is the
  test double and the debugging mode (you can step into your strategy with pdb); it gives no
  isolation, so use it only for code you trust.
* :class:`LocalExecutor` runs tasks in isolated worker processes on this machine (default).
* :class:`DaskExecutor` sends tasks to a ``distributed`` scheduler: the same code on a laptop's
  ``LocalCluster`` or a cluster. Each task still runs its strategies in an isolated process.

Results never depend on the backend: tasks are independent and the runner orders results by
simulation index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import as_completed as futures_as_completed
from typing import Any, Protocol, TypeVar

from arena.errors import ConfigError

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "SequentialExecutor",
    "default_workers",
    "make_executor",
]

T = TypeVar("T")


class Executor(Protocol):
    """The operations the runner needs from a backend."""

    workers: int

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Schedule ``fn(*args)``."""
        ...

    def as_completed(self, futures: Iterable[Future[T]]) -> Iterator[Future[T]]:
        """Yield futures as they finish."""
        ...

    def shutdown(self, cancel: bool = False) -> None:
        """Release workers; with ``cancel``, drop tasks that have not started."""
        ...


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SequentialExecutor:
    """Runs every task immediately, in this process, in submission order."""

    workers = 1

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(error)
        return future

    def as_completed(self, futures: Iterable[Future[T]]) -> Iterator[Future[T]]:
        return iter(list(futures))

    def shutdown(self, cancel: bool = False) -> None:
        """Nothing to release."""


class LocalExecutor:
    """Worker processes on this machine.

    :param workers: how many processes (default: every core).
    """

    def __init__(self, workers: int | None = None) -> None:
        from arena.sandbox.process import SandboxPool

        self.workers = workers or default_workers()
        self._pool = SandboxPool(self.workers)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(fn, *args)

    def as_completed(self, futures: Iterable[Future[T]]) -> Iterator[Future[T]]:
        return futures_as_completed(list(futures))

    def shutdown(self, cancel: bool = False) -> None:
        self._pool.shutdown(cancel=cancel)


class DaskExecutor:
    """Tasks on a ``distributed`` cluster.

    :param scheduler: the scheduler's address (``tcp://host:8786``), or a ``Client``.
    """

    def __init__(self, scheduler: Any) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "the dask executor needs the 'distributed' package: pip install 'arena[dask]'"
            ) from None
        self._client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        self._owns_client = not isinstance(scheduler, Client)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        # Dask's futures offer the concurrent.futures interface the runner uses.
        future: Future[T] = self._client.submit(_prepared_and_isolated, fn, *args, pure=False)  # type: ignore[assignment]
        return future

    def as_completed(self, futures: Iterable[Future[T]]) -> Iterator[Future[T]]:
        from distributed import as_completed

        return iter(as_completed(list(futures)))

    def shutdown(self, cancel: bool = False) -> None:
        if self._owns_client:
            self._client.close()


def _prepared_and_isolated(fn: Callable[..., T], *args: Any) -> T:
    """On a Dask worker: the markets' trusted set-up (compiling into this machine's cache, once
    per process), then the task in a fresh isolated worker, which may not write files."""
    from arena.plugins import prepare_markets
    from arena.sandbox.process import run_isolated

    prepare_markets()
    return run_isolated(fn, *args)  # type: ignore[return-value]


EXECUTORS = ("local", "sequential", "dask")


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Build the executor called ``name`` (one of :data:`EXECUTORS`)."""
    if name == "sequential":
        return SequentialExecutor()
    if name == "local":
        return LocalExecutor(workers)
    if name == "dask":
        if not scheduler:
            raise ConfigError(
                "--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)"
            )
        return DaskExecutor(scheduler)
    raise ConfigError(f"unknown executor {name!r} (choose from {', '.join(EXECUTORS)})")

"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor runs the same function, ``sim.experiments.runner.execute``, on a ``RunTask`` and yields its
``Outcome`` as soon as it finishes, in whatever order runs finish. Results do not depend
on that order: the store files each run under its key and the results folder is put
together in plan order (``sim.experiments.store``), so any executor and worker count give the same
bytes. A run that raises becomes an outcome with its error, never an exception here, so
one bad run cannot stop a sweep.

- ``local`` with 1 worker: runs in this process, one after another.
- ``local`` with N workers: a ``concurrent.futures`` process pool. On Linux, workers are
  forked (no start-up: the package is imported already) when this process runs no other
  Python thread, as forking a threaded process can deadlock; otherwise spawned,
  which costs each worker the package import (~2 s) and needs scripts to guard their
  entry point with ``if __name__ == "__main__":``.
- ``dask``: a ``dask.distributed`` client of the scheduler at ``scheduler`` (the
  workers need groupsim installed), or of a ``LocalCluster`` of N one-thread worker
  processes when no address is given.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import sys
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from .errors import InputError
from .plan import RunTask
from .runner import Outcome, execute


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def outcomes(tasks: list[RunTask], executor: str = "local", workers: int | None = None,
             scheduler: str | None = None) -> Iterator[Iterator[Outcome]]:
    """An iterator of the tasks' outcomes as they finish; leaving the block stops what is left."""
    workers = workers or default_workers()
    if executor == "dask":
        with _dask(tasks, workers, scheduler) as it:
            yield it
    elif executor != "local":
        raise InputError("--executor", "", f"unknown executor '{executor}'; allowed: local, dask")
    elif workers == 1 or len(tasks) <= 1:
        yield (execute(t) for t in tasks)
    else:
        with _pool(tasks, workers) as it:
            yield it


@contextmanager
def _pool(tasks, workers):
    fork = sys.platform.startswith("linux") and threading.active_count() == 1
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                               mp_context=multiprocessing.get_context("fork" if fork else "spawn"))
    with warnings.catch_warnings():
        # Python 3.12+ warns on forking any threaded process; the only threads here are
        # native idle pools (OpenBLAS, Arrow), which take no lock a child could inherit.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        futures = {pool.submit(execute, t): t for t in tasks}

    def each():
        for f in as_completed(futures):
            yield _result(f, futures.pop(f))

    try:
        yield each()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _dask(tasks, workers, scheduler):
    try:  # an optional dependency: imported when asked for
        from distributed import Client, LocalCluster
        from distributed import as_completed as finished
    except ImportError:
        raise InputError("--executor", "", "dask needs dask.distributed: pip install 'groupsim[dask]'") from None

    cluster = None
    if scheduler:
        try:
            _reachable(scheduler)
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError("--scheduler", "", f"cannot reach the Dask scheduler at '{scheduler}' ({e})") from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = client.map(execute, tasks, key=[f"groupsim-run-{t.key}" for t in tasks], pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks)}

        def each():
            for f in finished(futures):
                outcome = _result(f, by_key[f.key])
                f.release()
                yield outcome

        yield each()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _reachable(address: str) -> None:
    """Fail at once on a refused TCP address (the client itself retries until its timeout)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()


def _result(future, task: RunTask) -> Outcome:
    """A future's outcome; a worker that died (killed, out of memory) fails its run."""
    try:
        return future.result()
    except Exception as e:
        return Outcome(task, error=f"its worker process failed ({type(e).__name__}: {e}); it may have been killed "
                                   "or run out of memory, or a script calling sim.sweep lacks an "
                                   "`if __name__ == '__main__':` guard")

"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor runs the same function, ``sim.experiments.runner.execute``, on a ``RunTask`` and yields its
``Outcome`` as soon as it finishes, in whatever order runs finish. Results do not depend
on that order: the store files each run under its key and the results folder is put
together in plan order (``sim.experiments.store``), so any executor and worker count give the same
bytes. A run that raises becomes an outcome with its error, never an exception here, so
one bad run cannot stop a sweep.

- ``local`` with 1 worker: runs in this process, one after another.
- ``local`` with N workers: ``sim.experiments.workers.WorkerPool``, worker processes
  that fail only the run they held when they die and never outlive their parent.
- ``dask``: a ``dask.distributed`` client of the scheduler at ``scheduler`` (the
  workers need groupsim installed), or of a ``LocalCluster`` of N one-thread worker
  processes when no address is given.
"""
from __future__ import annotations

import logging
import os
import socket
import struct
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from .errors import InputError
from .plan import RunTask
from .runner import Outcome, execute
from .workers import WorkerPool

PROBE_SECONDS = 10.0


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
    pool = WorkerPool(min(workers, len(tasks)), execute)
    try:
        yield pool.run(tasks, _died)
    finally:
        pool.stop()


def _died(task: RunTask, exitcode) -> Outcome:
    how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return Outcome(task, error=f"its worker process died ({how}); it may have been killed or run out of memory. "
                               "The other runs went on; rerun the same command to retry this one")


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
            _probe(scheduler)
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


def _probe(address: str, seconds: float | None = None) -> None:
    """Refuse, within ``seconds``, an address where no Dask scheduler answers: refused,
    silent (an idle listener, an HTTP server waiting for a request), or answering with
    something that is not a Dask message (the client would wait or read a garbage length).
    A Dask scheduler sends its handshake as soon as a connection opens: an 8-byte length,
    then the message."""
    seconds = seconds or PROBE_SECONDS
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return
    with socket.create_connection((parts.hostname, parts.port), timeout=seconds) as s:
        s.settimeout(seconds)
        head = b""
        try:
            while len(head) < 8:
                chunk = s.recv(8 - len(head))
                if not chunk:
                    raise ValueError("it closed the connection without a word")
                head += chunk
        except socket.timeout:
            raise TimeoutError(f"no answer within {seconds:g} s: not a Dask scheduler") from None
    if head[:4] in (b"HTTP", b"<htm", b"<!DO") or not 8 < struct.unpack("<Q", head)[0] < 2**24:
        raise ValueError(f"it answered {head!r}, not as a Dask scheduler does")


def _result(future, task: RunTask) -> Outcome:
    """A future's outcome; a worker that died (killed, out of memory) fails its run."""
    try:
        return future.result()
    except Exception as e:
        return Outcome(task, error=f"its worker process failed ({type(e).__name__}: {e}); it may have been killed "
                                   "or run out of memory, or a script calling sim.sweep lacks an "
                                   "`if __name__ == '__main__':` guard")

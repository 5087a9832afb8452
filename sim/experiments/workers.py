"""A pool of worker processes that can die, be killed or lose their parent without harm.

Each worker holds one run at a time, sent over its own pipe, so the pool always knows
which run a worker held:

- a worker that dies (killed, out of memory) fails only that run, with a clear error,
  and a fresh worker takes its place for the runs still to do;
- workers notice their parent is gone: on Linux the kernel kills them with it
  (``PR_SET_PDEATHSIG``), elsewhere a watch thread sees the parent change within a
  second, so killing ``sweep`` (SIGKILL, SIGTERM) leaves no worker behind;
- workers ignore Ctrl-C (the terminal sends it to the whole process group): the parent
  stops them at once when it is interrupted (``stop``) and keeps every finished run.

On Linux, workers are forked when this process runs no other Python thread (no start-up:
the package is imported already); otherwise spawned, which costs each the package import
and needs scripts to guard their entry point with ``if __name__ == "__main__":``.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from multiprocessing.connection import wait
from typing import Callable, Iterator

PR_SET_PDEATHSIG = 1


class WorkerPool:
    def __init__(self, size: int, target: Callable):
        fork = sys.platform.startswith("linux") and threading.active_count() == 1
        self.context = multiprocessing.get_context("fork" if fork else "spawn")
        self.size, self.target = size, target
        self.workers: dict = {}  # connection -> (process, task or None)

    def _start(self):
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child_end, os.getpid(), self.target), daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns on forking any threaded process; the only threads here are
            # native idle pools (OpenBLAS, Arrow), which take no lock a child could inherit.
            warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
            process.start()
        child_end.close()
        self.workers[parent_end] = (process, None)

    def run(self, tasks, died: Callable) -> Iterator:
        """Each task's result as it finishes; ``died(task, exitcode)`` makes the result of a
        task whose worker died."""
        todo = deque(tasks)
        for _ in range(min(self.size, len(todo))):
            self._start()
        for conn in list(self.workers):
            self._give(conn, todo)
        while any(task is not None for _, task in self.workers.values()):
            sentinels = {p.sentinel: c for c, (p, t) in self.workers.items() if t is not None}
            for ready in wait(list(sentinels) + [c for c, (_, t) in self.workers.items() if t is not None]):
                conn = sentinels.get(ready, ready)
                if conn not in self.workers:
                    continue
                process, task = self.workers[conn]
                try:
                    result = conn.recv()
                except (EOFError, OSError):  # the worker died
                    process.join(1)
                    del self.workers[conn]
                    conn.close()
                    if task is None:  # after its last result: nothing was lost
                        continue
                    if todo:
                        self._start()
                        self._give(next(reversed(self.workers)), todo)
                    yield died(task, process.exitcode)
                    continue
                self.workers[conn] = (process, None)
                self._give(conn, todo)  # before yielding: the worker works while the result is stored
                yield result

    def _give(self, conn, todo: deque) -> None:
        """Send the next task to the worker at ``conn``; one that died idle is replaced."""
        while todo:
            task = todo.popleft()
            process = self.workers[conn][0]
            try:
                conn.send(task)
                self.workers[conn] = (process, task)
                return
            except OSError:  # it died after its last result: the task goes to a fresh worker
                todo.appendleft(task)
                process.join(1)
                del self.workers[conn]
                conn.close()
                self._start()
                conn = next(reversed(self.workers))

    def stop(self) -> None:
        """Stop every worker now (their runs in flight are lost; finished ones are stored)."""
        for conn, (process, _) in list(self.workers.items()):
            if process.is_alive():
                process.kill()
            conn.close()
        for process, _ in self.workers.values():
            process.join(2)
        self.workers.clear()


def _serve(conn, parent: int, target: Callable) -> None:
    """A worker: run each task it is sent, until the pipe closes or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (forked workers inherit it)
    _die_with(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(target(task))


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # gone before the kernel could be told
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()

"""Extraction processes the relay's threads call directly, one pipe each.

``concurrent.futures.ProcessPoolExecutor`` routes every call through a manager thread and a
queue-feeding thread: each page crosses three threads of the relay's process (and its GIL)
before it reaches a worker, and three back. Here the calling thread writes the call to an
idle process's pipe and reads the answer itself. Measured with 8 calling threads, 2
processes, a 63 KB argument and a 20 KB answer: 0.61 → 0.30 ms of the caller's CPU a call.

A call raises what the function raised in the process. A process that dies mid-call (killed,
or crashed by a native library) is replaced, and the call raises ``WorkerDied``; nothing else
is lost. A call given a ``timeout`` that has no answer by then kills its process (native code
cannot be interrupted any other way), which is replaced, and raises ``CallTimeout``: the
batch job's per-document time limit (a pathological page costs one record, not a worker).
Processes start when a call finds none idle, up to the pool's size (and a replacement when
the next call needs it): a relay's pass whose feeds all answered 304 starts none.

Each process is a fresh ``python -m newsdesk.pipeline.processes``, talking over a socket
pair, rather than a ``multiprocessing`` child: those re-import the parent's main module (the
CLI, with the HTTP client, the web framework...; a benchmark script) before their first
call. Here a process imports only the modules of the functions it is given
(``newsdesk.pipeline.page`` for the relay): measured on the 10k demo ingest, 63 → 58 MB of
peak RSS a process.
"""

from __future__ import annotations

import pickle
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from newsdesk.errors import ExtractionError

__all__ = ["CallTimeout", "ProcessPool", "WorkerDied"]

T = TypeVar("T")


class WorkerDied(ExtractionError):
    """The process running a call ended before it answered."""


class CallTimeout(ExtractionError):
    """A call had no answer within its time limit: its process was killed and replaced."""

    kind = "time_limit"


def _serve(conn: Connection) -> None:
    """A process's loop: run the initializer it is sent first, then each call it is sent,
    and answer with its value or its error, until the relay closes its end."""
    try:
        initializer = conn.recv()
    except (EOFError, OSError):
        return
    if initializer is not None:
        initializer()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):  # the relay closed its end: shut down
            return
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # every error goes back to the caller
            answer = (False, exc)
        try:
            conn.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an unpicklable answer
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        except OSError:
            return


class ProcessPool:
    """``processes`` worker processes; ``call`` runs a picklable function in an idle one
    (blocking the calling thread until it answers). Thread-safe."""

    def __init__(self, processes: int, *, initializer: Callable[[], None] | None = None):
        self._initializer = initializer
        self._idle: queue.Queue[tuple[Connection, subprocess.Popen[bytes]]] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[tuple[Connection, subprocess.Popen[bytes]]] = []
        self._size = max(1, processes)
        self._count = 0  # processes started (or starting) and not retired
        self._closed = False
        # Started on demand, when a call finds none idle: a pass whose feeds all answer 304
        # starts none (each costs ~0.4 s of CPU to import the page step), a small one few.

    def _start(self) -> tuple[Connection, subprocess.Popen[bytes]]:
        mine, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen(
                [sys.executable, "-m", "newsdesk.pipeline.processes", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        conn = Connection(mine.detach())
        conn.send(self._initializer)
        worker = (conn, process)
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.append(worker)
        if closed:  # shut down while it started: nobody will use or stop it
            conn.close()
            _stop(process)
            raise RuntimeError("the process pool is shut down")
        return worker

    def _take(self) -> tuple[Connection, subprocess.Popen[bytes]]:
        """An idle process, or a new one while fewer than ``processes`` run."""
        while True:
            if self._closed:
                raise RuntimeError("the process pool is shut down")
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                grow = self._count < self._size
                self._count += grow
            if grow:
                try:
                    return self._start()
                except BaseException:
                    with self._lock:
                        self._count -= 1
                    raise
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        worker = self._take()
        conn, process = worker
        try:
            conn.send((fn, args))
            if timeout is not None and not conn.poll(timeout):
                self._retire(worker, kill=True)  # the next call that needs one starts one
                raise CallTimeout(f"no answer within {timeout:g} s: process {process.pid} killed")
            ok, value = conn.recv()
        except (EOFError, OSError) as exc:
            self._retire(worker)
            raise WorkerDied(f"extraction process {process.pid} ended mid-call") from exc
        self._idle.put(worker)
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def _retire(
        self, worker: tuple[Connection, subprocess.Popen[bytes]], *, kill: bool = False
    ) -> None:
        conn, process = worker
        conn.close()
        if kill:
            process.kill()
        _stop(process)
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
                self._count -= 1

    def shutdown(self, *, timeout: float = 60.0) -> None:
        """Let the calls in flight finish (up to ``timeout``), then close every pipe (a
        process exits on it) and wait for the processes."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
            count = len(self._all)
        for _ in range(count):  # each idle worker taken back: no call is using it
            try:
                self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for conn, _ in workers:
            conn.close()
        for _, process in workers:
            _stop(process, timeout=10)

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Wait for a process whose pipe is closed (it exits on that); kill it if it does not."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


if __name__ == "__main__":  # a process of a ProcessPool: its socket's descriptor is argv[1]
    _serve(Connection(int(sys.argv[1])))

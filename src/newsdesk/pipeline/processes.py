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

``stream`` runs a generator function in a process and yields what it yields, as it comes,
with no call per item: the batch job's extraction process reads a whole partition itself and
sends its rows back in batches (no page crosses the pipe). The function is given a
``Channel`` and marks the index of the item it is on with ``channel.mark(i)``: a word of
memory the two processes share (a temporary file both map), written with no system call. An
index that stays the same for ``timeout`` seconds while nothing arrives has its process
killed and replaced, and ``CallTimeout`` says which index (``at``); a process that dies raises
``WorkerDied`` with the index it was on, so the caller can count that item and go on after it.

Each process is a fresh ``python -m newsdesk.pipeline.processes``, talking over a socket
pair, rather than a ``multiprocessing`` child: those re-import the parent's main module (the
CLI, with the HTTP client, the web framework...; a benchmark script) before their first
call. Here a process imports only the modules of the functions it is given
(``newsdesk.pipeline.page`` for the relay): measured on the 10k demo ingest, 63 → 58 MB of
peak RSS a process.
"""

from __future__ import annotations

import mmap
import os
import pickle
import queue
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from newsdesk.errors import ExtractionError

__all__ = ["CallTimeout", "Channel", "ProcessPool", "WorkerDied"]

T = TypeVar("T")

_MARK = struct.Struct("q")  # the shared word: the index a streaming call is on (-1: none yet)


class WorkerDied(ExtractionError):
    """The process running a call ended before it answered. ``at``: in a stream, the index
    the process had marked (-1 if none)."""

    def __init__(self, message: str, at: int = -1):
        super().__init__(message)
        self.at = at


class CallTimeout(ExtractionError):
    """A call had no answer within its time limit: its process was killed and replaced.
    ``at``: in a stream, the index that stayed marked for the whole limit."""

    kind = "time_limit"

    def __init__(self, message: str, at: int = -1):
        super().__init__(message)
        self.at = at


class Channel:
    """A streaming call's end in its process: ``mark`` the index of the item it is on."""

    def __init__(self, shared: mmap.mmap):
        self._shared = shared

    def mark(self, index: int) -> None:
        _MARK.pack_into(self._shared, 0, index)


def _serve(conn: Connection, shared: mmap.mmap | None = None) -> None:
    """A process's loop: run the initializer it is sent first, then each call it is sent,
    and answer with its value or its error, until the relay closes its end. A streaming
    call (a third element, True) sends ``(None, item)`` for each item its generator yields
    before its final answer."""
    try:
        initializer = conn.recv()
    except (EOFError, OSError):
        return
    if initializer is not None:
        initializer()
    while True:
        try:
            fn, args, *streaming = conn.recv()
        except (EOFError, OSError):  # the relay closed its end: shut down
            return
        try:
            if streaming and shared is not None:
                _MARK.pack_into(shared, 0, -1)
                for item in fn(*args, Channel(shared)):
                    try:
                        conn.send((None, item))
                    except OSError:  # the relay closed its end mid-stream
                        return
                answer: tuple[bool, Any] = (True, None)
            else:
                answer = (True, fn(*args))
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
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._size = max(1, processes)
        self._count = 0  # processes started (or starting) and not retired
        self._closed = False
        # Started on demand, when a call finds none idle: a pass whose feeds all answer 304
        # starts none (each costs ~0.4 s of CPU to import the page step), a small one few.

    def _start(self) -> _Worker:
        mine, theirs = socket.socketpair()
        with theirs, tempfile.TemporaryFile() as word:  # the shared word, unlinked already
            word.write(_MARK.pack(-1))
            word.flush()
            fds = (theirs.fileno(), word.fileno())
            process = subprocess.Popen(
                [sys.executable, "-m", "newsdesk.pipeline.processes", *map(str, fds)],
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
            )
            shared = mmap.mmap(word.fileno(), _MARK.size)
        conn = Connection(mine.detach())
        conn.send(self._initializer)
        worker = _Worker(conn, process, shared)
        with self._lock:
            closed = self._closed
            if not closed:
                self._all.append(worker)
        if closed:  # shut down while it started: nobody will use or stop it
            conn.close()
            _stop(process)
            shared.close()
            raise RuntimeError("the process pool is shut down")
        return worker

    def _take(self) -> _Worker:
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
        conn, process = worker.conn, worker.process
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

    def stream(
        self, fn: Callable[..., Iterator[T]], *args: Any, timeout: float | None = None
    ) -> Iterator[T]:
        """What ``fn(*args, channel)`` yields, run in an idle process, each item as it
        comes. With ``timeout``: an index the function marks (``Channel.mark``) that stays
        marked that long while no item arrives kills the process (``CallTimeout``, its
        ``at`` the index); the time before its first mark (imports, reading up to the first
        item) has no limit. Leaving the loop early kills the process too (it is mid-call)."""
        worker = self._take()
        conn, process = worker.conn, worker.process
        interval = None if timeout is None else max(0.01, min(1.0, timeout / 10))
        answer: tuple[bool | None, Any] | None = None
        at = -1
        _MARK.pack_into(worker.shared, 0, -1)  # not the index a previous stream left
        try:
            conn.send((fn, args, True))
            marked, since = worker.marked(), time.monotonic()
            while answer is None:
                if conn.poll(interval):
                    kind, value = conn.recv()
                    if kind is not None:
                        answer = (kind, value)
                        break
                    yield value
                    marked, since = worker.marked(), time.monotonic()
                    continue
                now = worker.marked()
                if now != marked:
                    marked, since = now, time.monotonic()
                elif now >= 0 and timeout is not None and time.monotonic() - since >= timeout:
                    break  # (before its first mark the process imports, reads: no limit)
        except (EOFError, OSError) as exc:
            at = worker.marked()
            self._retire(worker)
            raise WorkerDied(f"extraction process {process.pid} ended mid-call", at=at) from exc
        finally:
            if answer is None and not conn.closed:  # timed out, or the caller left: busy
                at = worker.marked()
                self._retire(worker, kill=True)
        if answer is None:
            raise CallTimeout(
                f"no progress within {timeout:g} s: process {process.pid} killed", at=at
            )
        self._idle.put(worker)
        if answer[0]:
            return
        raise answer[1]

    def _retire(self, worker: _Worker, *, kill: bool = False) -> None:
        conn, process = worker.conn, worker.process
        conn.close()
        if kill:
            process.kill()
        _stop(process)
        worker.shared.close()
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
        for worker in workers:
            worker.conn.close()
        for worker in workers:
            _stop(worker.process, timeout=10)
            worker.shared.close()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class _Worker:
    """One process of a pool: its pipe, its process, and the word of memory they share."""

    __slots__ = ("conn", "process", "shared")

    def __init__(self, conn: Connection, process: subprocess.Popen[bytes], shared: mmap.mmap):
        self.conn = conn
        self.process = process
        self.shared = shared

    def marked(self) -> int:
        value: int = _MARK.unpack_from(self.shared, 0)[0]
        return value


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Wait for a process whose pipe is closed (it exits on that); kill it if it does not."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


if __name__ == "__main__":  # a process of a ProcessPool: its socket's descriptor is argv[1],
    # the shared word's file argv[2]
    _word = int(sys.argv[2])
    _shared = mmap.mmap(_word, _MARK.size)
    os.close(_word)
    _serve(Connection(int(sys.argv[1])), _shared)

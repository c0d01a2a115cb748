"""Targets that misbehave (issue 17, bad input): each bounded in time and memory, recorded on
the delivery, and the other targets go on. Raw servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.rules.deliver import Deliverer
from newsdesk.store import Store, open_store
from newsdesk.store.rules import NewAction
from tests.rules.helpers import receiver, story, write

Behaviour = Callable[[socket.socket], None]


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """Reads each request's head, then lets ``behaviour`` answer on the socket."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                with suppress(OSError):
                    behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join()
        listener.close()


def _drip(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 100:
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def _huge(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 500 Oops\r\ncontent-length: 200000000\r\n\r\n")
    chunk = b"\xff\xfe" * 32768
    for _ in range(3000):  # 200 MB if it were all read
        conn.sendall(chunk)


def _redirect(conn: socket.socket) -> None:
    conn.sendall(
        b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://169.254.169.254/latest/meta-data"
        b"\r\ncontent-length: 0\r\n\r\n"
    )


def _latin1(conn: socket.socket) -> None:
    body = "Zugriff verweigert: ungültiger Schlüssel".encode("latin-1") + b"\xff\x00"
    conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: %d\r\n\r\n" % len(body) + body)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "n.db")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [
        (_drip, "no answer within 1 s"),
        (_huge, "HTTP 500"),
        (_redirect, "HTTP 307"),
        (_latin1, "HTTP 403: Zugriff verweigert: ung\ufffdltiger"),
    ],
)
def test_a_hostile_target_is_bounded_recorded_and_delays_no_other(
    store: Store, behaviour: Behaviour, error: str
) -> None:
    with raw_server(behaviour) as hostile, receiver() as good:
        before = datetime.now(UTC) - timedelta(hours=1)
        for name, url in (("a-hostile", hostile), ("b-good", good.url)):
            action = NewAction(kind="webhook", target=url, config={"secrets": []})
            store.add_rule(name, query="rotterdam", actions=[action], now=before)
        write(store, "https://o.example/feed", story("https://o.example/a"), now=datetime.now(UTC))
        settings = Settings(allow_private_networks=True, delivery_timeout=1.0)
        started = time.monotonic()
        with Deliverer(store, settings) as deliverer:
            report = deliverer.deliver_due()
        assert time.monotonic() - started < 4
        assert report.sent == 1 and len(good.received) == 1
    failed = store.deliveries(rule="a-hostile")[0]
    assert failed.status == "pending" and error in (failed.last_error or ""), failed.last_error

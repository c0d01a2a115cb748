"""Misbehaving servers on 127.0.0.1, for the fault suite: each speaks raw TCP so it can
misbehave the way real servers do (trickle headers or a body a byte at a time, accept and
say nothing, reset, lie in Content-Length). Every server stops by itself when the test ends,
and sleeps in short steps so that stopping it never waits long."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress

Behaviour = Callable[[socket.socket, bytes, threading.Event], None]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def request_path(request: bytes) -> str:
    line = request.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 else "/"


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """Serve ``behaviour(conn, request, stopping)`` for every connection; yield the base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stopping = threading.Event()
    connections: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            behaviour(conn, request, stopping)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        listener.close()
        thread.join(2)
        for conn in connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def trickle(conn: socket.socket, data: bytes, stopping: threading.Event, every: float) -> None:
    """Send ``data`` one byte every ``every`` seconds, until done or the server stops."""
    for i in range(len(data)):
        if stopping.wait(every):
            return
        conn.sendall(data[i : i + 1])


def trickled_headers(every: float = 0.2) -> Behaviour:
    def behave(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
        trickle(conn, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 100_000, stopping, every)

    return behave


def trickled_body(every: float = 0.2) -> Behaviour:
    def behave(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        )
        trickle(conn, b"<p>" + b"x" * 99_997, stopping, every)

    return behave


def silence(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
    """Accept, read the request, and say nothing until the server stops."""
    stopping.wait(600)


def reset(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
    """Close at once with a TCP reset."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def lying_length(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
    """Promise 5,000 bytes, send 10, then hang up."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n")
    conn.sendall(b"<p>short</p>")


def routes(table: Callable[[str], tuple[str, dict[str, str], bytes]]) -> Behaviour:
    """Answer each request with ``table(path)``: (status, headers, body)."""

    def behave(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
        status, headers, body = table(request_path(request))
        answer(status, headers, body)(conn, request, stopping)

    return behave


def answer(status: str, headers: dict[str, str], body: bytes = b"") -> Behaviour:
    def behave(conn: socket.socket, request: bytes, stopping: threading.Event) -> None:
        lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(body)}", "Connection: close"]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    return behave


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.monotonic()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - self.start


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>{home}</link>'
    "{items}</channel></rss>"
)
ITEM = (
    "<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
    "<description>{text}</description></item>"
)
ARTICLE = (
    "<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
    + "<p>{title}: a story long enough to be an article, told in a sentence or two. </p>" * 6
    + "</article></body></html>"
)


def rss(title: str, home: str, items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        ITEM.format(title=t, link=link, guid=f"{title}-{i}", text="Summary.")
        for i, (t, link) in enumerate(items)
    )
    return RSS.format(title=title, home=home, items=body).encode()


def xml(body: bytes) -> tuple[str, dict[str, str], bytes]:
    return "200 OK", {"Content-Type": "application/rss+xml"}, body


def page(title: str, head: str = "") -> tuple[str, dict[str, str], bytes]:
    html = ARTICLE.format(title=title, head=head).encode()
    return "200 OK", {"Content-Type": "text/html; charset=utf-8"}, html


class Hostile:
    """The hostile sources, each on a server of its own; ``feeds`` are their URLs."""

    def __init__(self, stack: ExitStack, *, big_items: int = 20_000) -> None:
        self.feeds: list[str] = []
        serve = lambda behaviour: stack.enter_context(raw_server(behaviour))  # noqa: E731
        for behaviour in (trickled_headers(0.2), trickled_body(0.2), silence, reset, lying_length):
            self.feeds.append(serve(behaviour) + "/feed.xml")
        loop = serve(answer("302 Found", {"Location": "/feed.xml"}))
        self.feeds.append(loop + "/feed.xml")
        self.feeds.append(serve(answer("302 Found", {"Location": "http://[zz/x"})) + "/feed.xml")
        bomb = gzip.compress(b"<rss>" + b" " * 60_000_000, compresslevel=9)
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        self.feeds.append(serve(answer("200 OK", headers, bomb)) + "/feed.xml")
        poison = b'{"version": "https://jsonfeed.org/version/1.1", "title": "P", "items": '
        poison += b"[" * 100_000 + b"]" * 100_000 + b"}"
        self.feeds.append(serve(answer("200 OK", {"Content-Type": "application/json"}, poison)))
        # A healthy-looking feed whose pages poison, trickle or cannot be requested.
        slow_pages = serve(trickled_body(0.2))
        deep = '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
        links = [(f"Slow {i}", f"{slow_pages}/s/{i}") for i in range(30)]
        links += [("Long link", "http://127.0.0.1/" + "a" * 200_000), ("Bad", "http://[zz/x")]
        self.poisoned_pages: list[str] = []

        # 9.8 MB of 895,000 short paragraphs: under the body cap, a gigabyte once extracted.
        huge = b"<html><body><article>" + b"<p>ab</p>" * 895_000 + b"</article></body></html>"
        html = {"Content-Type": "text/html; charset=utf-8"}

        def mixed(path: str) -> tuple[str, dict[str, str], bytes]:
            if path == "/feed.xml":
                more = [("Deep", mixed_base + "/deep"), ("Huge", mixed_base + "/huge")]
                return xml(rss("Mixed", mixed_base, [*links, *more]))
            if path == "/huge":
                return "200 OK", html, huge
            return page("Deep JSON-LD", head=deep)

        mixed_base = serve(routes(mixed))
        self.feeds.append(mixed_base + "/feed.xml")
        # A flood: a feed of big_items items on one host, every page fine.
        flood = [(f"Big {i}", f"/s/{i}") for i in range(big_items)]

        def big(path: str) -> tuple[str, dict[str, str], bytes]:
            if path == "/feed.xml":
                return xml(big_feed)
            return page(f"Big story {path}")

        big_base = serve(routes(big))
        big_feed = rss("Big", big_base, [(t, big_base + link) for t, link in flood])
        self.big = big_base + "/feed.xml"
        self.feeds.append(self.big)

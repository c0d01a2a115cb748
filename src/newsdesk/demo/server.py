"""Serve the demo newsroom on loopback: one HTTP server per outlet (its own port, so each is
its own host for politeness), with ETag/Last-Modified, 304s, gzip and robots.txt."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import parse_qs

from newsdesk.demo.generator import Newsroom, Outlet
from newsdesk.demo.site import render_feed, render_home, render_robots, render_story

FEED_PAGE = 50  # stories a feed page (a real site's feed lists its latest 10 to 100)

__all__ = ["FEED_PAGE", "RunningNewsroom", "answer", "serve_newsroom"]


@dataclass(frozen=True, slots=True)
class RunningNewsroom:
    room: Newsroom
    bases: dict[str, str]  # outlet slug -> http://127.0.0.1:port

    def feed_urls(self) -> list[str]:
        return [self.bases[o.slug] + o.feed_path for o in self.room.outlets]


def _handler(
    room: Newsroom, outlet: Outlet, base_ref: list[str], cache_limit: int, feed_page: int | None
) -> type[http.server.BaseHTTPRequestHandler]:
    index: dict[str, int] = {}
    lock = threading.Lock()
    # Rendered, compressed answers, as a real site's cache would hold them (bounded in bytes).
    cache: dict[str, tuple[str, bytes, str, str | None]] = {}
    cached_bytes = [0]

    def story_number(path: str) -> int | None:
        with lock:
            if not index:
                for number in range(room.per_outlet):
                    index[room.story(outlet.slug, number).path] = number
        return index.get(path)

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "DemoNewsroom/1.0"
        protocol_version = "HTTP/1.1"  # keep-alive
        # Buffered: each answer leaves in one write (headers and body apart would stall a
        # kept-alive connection ~40 ms on Nagle's algorithm and delayed ACKs).
        wbufsize = 1 << 16

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            wants_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
            hit = cache.get(self.path) if wants_gzip else None
            if hit is None:
                resource = answer(
                    room,
                    outlet,
                    base_ref[0],
                    path,
                    query,
                    feed_page=feed_page,
                    story_number=story_number,
                )
                if resource is None:
                    self.send_error(404)
                    return
                body, kind, modified = resource
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if wants_gzip:
                    hit = (etag, gzip.compress(body, 1), kind, modified)
                    with lock:
                        if cached_bytes[0] + len(hit[1]) <= cache_limit:
                            cache[self.path] = hit
                            cached_bytes[0] += len(hit[1])
            if hit is not None:
                etag, body, kind, modified = hit
            self._send(etag, body, kind, modified=modified, encoding="gzip" if wants_gzip else None)

        def _send(
            self,
            etag: str,
            body: bytes,
            kind: str,
            *,
            modified: str | None = None,
            encoding: str | None = None,
        ) -> None:
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", modified)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def answer(
    room: Newsroom,
    outlet: Outlet,
    base: str,
    path: str,
    query: str = "",
    *,
    feed_page: int | None = FEED_PAGE,
    story_number: Callable[[str], int | None] | None = None,
) -> tuple[bytes, str, str | None] | None:
    """What ``outlet``'s site (at ``base``) answers for ``path``: the body, its content
    type and its Last-Modified, or None for a 404. ``story_number`` finds a story's number
    by its path (a server keeps an index; without one, the outlet's stories are searched)."""
    if path == "/robots.txt":
        return render_robots(), "text/plain", None
    if path == outlet.feed_path:
        kind = {
            "rss": "application/rss+xml",
            "atom": "application/atom+xml",
            "jsonfeed": "application/feed+json",
            "sitemap": "application/xml",
        }
        asked = parse_qs(query).get("page", ["1"])[0]
        page = int(asked) if asked.isdigit() else 0
        feed = render_feed(room, outlet, base, page=page, per_page=feed_page)
        return None if feed is None else (feed, kind[outlet.feed] + "; charset=utf-8", None)
    if path == "/":
        return render_home(outlet, base), "text/html; charset=utf-8", None
    if story_number is None:
        numbers = {room.story(outlet.slug, n).path: n for n in range(room.per_outlet)}
        number = numbers.get(path)
    else:
        number = story_number(path)
    if number is None:
        return None
    story = room.story(outlet.slug, number)
    return (
        render_story(room, outlet, story, base),
        "text/html; charset=utf-8",
        format_datetime(story.published, usegmt=True),
    )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-answer (a timeout, a killed relay) is not an error here.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve_newsroom(
    room: Newsroom, *, cache_bytes: int = 64 << 20, feed_page: int | None = FEED_PAGE
) -> Iterator[RunningNewsroom]:
    """Start every outlet's server on 127.0.0.1 (free ports); stop them on exit.

    Each server keeps up to `cache_bytes` of rendered, gzipped answers, as a real site's
    cache would: the relay, not the newsroom, should be what a benchmark measures. Feeds
    are paged as real sites' are: ``feed_page`` stories a page, each page linking to the
    next, older one (None: one feed of every story; the news sitemap always lists all)."""
    servers = []
    bases: dict[str, str] = {}
    try:
        for outlet in room.outlets:
            base_ref = [""]
            server = _Server(
                ("127.0.0.1", 0),
                _handler(room, outlet, base_ref, cache_bytes // len(room.outlets), feed_page),
            )
            base_ref[0] = f"http://127.0.0.1:{server.server_address[1]}"
            bases[outlet.slug] = base_ref[0]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        yield RunningNewsroom(room=room, bases=bases)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()

"""Rendered answers kept until the database changes: a pure ASGI middleware.

A reader's article page, a search, a river page or an API answer is a function of the
request and of the database alone (no page shows the current time), so the bytes of a
``200`` answer can be served again, unchanged, for as long as nothing is committed. Every
request asks its thread's read connection for SQLite's ``PRAGMA data_version``, which
changes whenever another connection (the relay, an API write) commits; a change empties
the cache. A hit skips routing, validation, the queries and the template: it is what lets
a worker answer a repeated page in a fraction of the time (docs/benchmarks.md).

Not cached: anything but ``GET``; requests with ``Authorization`` or ``Cookie`` (what is
kept must be what anybody may read), conditional requests (``If-None-Match``,
``If-Modified-Since``: the routes answer those, with a 304 where they can); answers other
than ``200``, streamed ones and ones over ``max_item`` bytes; ``/static`` (the static files
have their own validators). The key is everything else that changes the answer: the
scheme (``https`` when a trusted proxy says so), the host, whether the client takes gzip
(``compress.Compress`` sits behind the cache, so what is kept is what was sent), the path and
the query string. The cache is bounded in bytes (least recently used out first); each server
process has its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsdesk.serve.compress import accepts_gzip

__all__ = ["CacheStats", "ResponseCache"]

_SKIP_HEADERS = frozenset({b"authorization", b"cookie", b"if-none-match", b"if-modified-since"})
_HIT = (b"x-newsdesk-cache", b"hit")


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0
    cleared: int = 0  # times the database changed and the cache was emptied


class ResponseCache:
    """Serve ``200`` answers again until ``version()`` (the database's) changes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        version: Callable[[], int],
        max_bytes: int,
        max_item: int = 1 << 20,
        skip_prefixes: tuple[str, ...] = ("/static",),
    ) -> None:
        self.app = app
        self.version = version
        self.max_bytes = max_bytes
        self.max_item = min(max_item, max_bytes)
        self.skip_prefixes = skip_prefixes
        self.stats = CacheStats()
        self._entries: OrderedDict[tuple[bytes, ...], tuple[Message, bytes]] = OrderedDict()
        self._bytes = 0
        self._version: int | None = None

    def _key(self, scope: Scope) -> tuple[bytes, ...] | None:
        if scope["type"] != "http" or scope["method"] != "GET" or self.max_bytes <= 0:
            return None
        path: str = scope["path"]
        if path.startswith(self.skip_prefixes):
            return None
        host = b""
        gzip = False
        for name, value in scope["headers"]:
            if name in _SKIP_HEADERS:
                return None
            if name == b"host":
                host = value
            elif name == b"accept-encoding":
                gzip = accepts_gzip(value)
        scheme: str = scope.get("scheme", "http")
        return (
            scheme.encode(),
            host,
            b"gzip" if gzip else b"",
            path.encode(),
            scope.get("query_string", b""),
        )

    def _fresh(self) -> None:
        current = self.version()
        if current != self._version:
            if self._entries:
                self.stats.cleared += 1
            self._entries.clear()
            self._bytes = 0
            self._version = current

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        self._fresh()
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
            self.stats.hits += 1
            await send(hit[0])
            await send({"type": "http.response.body", "body": hit[1], "more_body": False})
            return
        self.stats.misses += 1
        version = self._version
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                keep = message["status"] == 200
                start = message
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > self.max_item:
                    keep = False
                    chunks.clear()
                elif message.get("more_body", False):
                    keep = False  # streamed: served as it comes, not kept
                    chunks.clear()
                else:
                    chunks.append(body)
                    if start is not None and version == self._version:
                        self._store(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: tuple[bytes, ...], start: Message, body: bytes) -> None:
        headers = [*start.get("headers", []), _HIT]
        entry = ({"type": "http.response.start", "status": 200, "headers": headers}, body)
        cost = len(body) + 512  # the headers and the entry's own objects, roughly
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1]) + 512
        while self._entries and self._bytes + cost > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= len(dropped) + 512
        self._entries[key] = entry
        self._bytes += cost
        self.stats.stored += 1

"""gzip for the answers worth it: a pure ASGI middleware.

Feeds, pages and API answers are text and shrink five to ten times; every feed client asks
for gzip. An answer is compressed when the client accepts gzip (``Accept-Encoding``, a zero
``q`` refusing it), it is whole (not streamed), of a textual type, at least ``minimum``
bytes, not already encoded, and compression makes it smaller. Every answer of a textual type,
compressed or not, says ``Vary: Accept-Encoding``, and so does a ``304``.

A compressed answer's ``ETag`` becomes weak (``W/"…"``): the compressed bytes are another
representation of the same content, and a strong validator must not name two byte
sequences. A client sends it back in ``If-None-Match``, which compares weakly, so the
routes' cheap ``304`` path is unchanged (it reads no record and renders nothing; this
middleware then only rewrites the headers). Starlette's own ``GZipMiddleware`` is not used:
it leaves the ETag strong and says ``Vary`` only on the answers it compresses.

The output is deterministic (no timestamp in the gzip header), so the response cache in
front of this keeps one compressed copy per page and serves it again as it is.
"""

from __future__ import annotations

import gzip

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Compress", "accepts_gzip"]

_TEXTUAL = (
    b"text/",
    b"application/json",
    b"application/feed+json",
    b"application/atom+xml",
    b"application/rss+xml",
    b"application/xml",
    b"application/problem+json",
    b"image/svg+xml",
)
_VARY = (b"vary", b"Accept-Encoding")


def accepts_gzip(header: bytes) -> bool:
    """Does an ``Accept-Encoding`` value accept gzip? (``*`` counts; ``q=0`` refuses.)"""
    verdict: bool | None = None
    for part in header.decode("latin-1").lower().split(","):
        name, _, params = part.partition(";")
        name = name.strip()
        if name not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if name == "*" and verdict is not None:
            continue  # an explicit gzip entry decides over the wildcard
        verdict = quality > 0
    return bool(verdict)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _weak(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [
        (k, b"W/" + v if k.lower() == b"etag" and not v.startswith(b"W/") else v)
        for k, v in headers
    ]


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    vary = _header(headers, b"vary")
    if vary is None:
        return [*headers, _VARY]
    if b"accept-encoding" in vary.lower() or vary.strip() == b"*":
        return headers
    return [(k, v + b", Accept-Encoding" if k.lower() == b"vary" else v) for k, v in headers]


class Compress:
    """gzip the textual answers worth it, for clients that accept it."""

    def __init__(self, app: ASGIApp, *, minimum: int = 1024, level: int = 6) -> None:
        self.app = app
        self.minimum = minimum
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = accepts_gzip(_header(scope["headers"], b"accept-encoding") or b"")
        start: Message | None = None

        async def compressing(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held until the body says whether it is whole
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            head, start = start, None
            await self._answer(head, message, send, wanted=wanted)

        await self.app(scope, receive, compressing)

    async def _answer(self, head: Message, message: Message, send: Send, *, wanted: bool) -> None:
        headers: list[tuple[bytes, bytes]] = list(head.get("headers", []))
        status: int = head["status"]
        kind = _header(headers, b"content-type") or b""
        textual = kind.lower().startswith(_TEXTUAL)
        body: bytes = message.get("body", b"")
        if textual or status == 304:
            headers = _with_vary(headers)
            if wanted and status == 304:
                headers = _weak(headers)  # as the compressed 200 named it
        whole = not message.get("more_body", False)
        if (
            wanted
            and textual
            and whole
            and status == 200
            and len(body) >= self.minimum
            and _header(headers, b"content-encoding") is None
        ):
            packed = gzip.compress(body, compresslevel=self.level, mtime=0)
            if len(packed) < len(body):
                body = packed
                headers = [(k, v) for k, v in _weak(headers) if k.lower() != b"content-length"]
                headers += [(b"content-encoding", b"gzip"), (b"content-length", b"%d" % len(body))]
        await send({**head, "headers": headers})
        await send({**message, "body": body})

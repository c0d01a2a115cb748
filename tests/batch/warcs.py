"""WARC files for the batch tests, written with warcio (an independent writer), from the demo
newsroom's pages; and the damage the reader must survive, made by hand."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsdesk.demo.generator import Newsroom
from newsdesk.demo.site import render_story

Page = tuple[str, bytes]


def demo_pages(articles: int = 40, seed: int = 5) -> list[Page]:
    room = Newsroom(seed=seed, articles=articles)
    pages = []
    for outlet in room.outlets:
        base = f"https://{outlet.slug}.example"
        pages += [
            (base + s.path, render_story(room, outlet, s, base)) for s in room.stories(outlet.slug)
        ]
    return pages


def record(
    url: str,
    body: bytes,
    content_type: str | None = "text/html",
    *,
    status: str = "200 OK",
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """One gzip member holding one WARC response record (CC-NEWS's layout)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = [("Content-Type", content_type)] if content_type else []
    http = StatusAndHeaders(status, headers + (extra or []), protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
        )
    )
    return out.getvalue()


def raw_record(url: str, payload: bytes, warc_type: str = "response") -> bytes:
    """A record whose block is ``payload`` as it is, made by hand: warcio refuses to write a
    response without HTTP headers, which crawls hold all the same."""
    head = (
        f"WARC/1.0\r\nWARC-Type: {warc_type}\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-{len(payload):012d}>\r\n"
        f"WARC-Date: 2026-11-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n"
        f"Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return gzip.compress(head.encode() + payload + b"\r\n\r\n", 1)


def corrupt(member: bytes) -> bytes:
    """A gzip member with its deflate stream damaged: the reader cannot decompress it."""
    damaged = bytearray(member)
    middle = len(damaged) // 2
    damaged[middle : middle + 16] = b"\xff" * 16
    return bytes(damaged)


def write_warc(path: Path, members: list[bytes]) -> Path:
    path.write_bytes(b"".join(members))
    return path


def write_demo_warc(path: Path, pages: list[Page], content_type: str = "text/html") -> Path:
    return write_warc(path, [record(url, body, content_type) for url, body in pages])


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, 1)

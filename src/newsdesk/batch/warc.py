"""WARC files (CC-NEWS layout) → pages, with FastWARC.

Each ``response`` record with an HTTP 2xx status and an HTML Content-Type (or none, with a
body that starts like markup) becomes a ``RawPage`` with the Content-Type's charset and the
HTTP content encoding undone; ``resource`` records of HTML become pages too. Anything else is
a ``Skipped`` value that says why. Request, metadata, warcinfo and revisit records are not
pages and are passed over without a count.

A corrupt compressed member or a damaged record stops FastWARC's iterator: the reader then
looks for the next record start (the next gzip member, or the next ``WARC/1.`` line of an
uncompressed file) after the last good record and goes on from there, counting one
``corrupt_archive`` for the damaged stretch. Records before and after it are all read.
"""

from __future__ import annotations

import mmap
import zlib
from collections.abc import Iterator

import brotli
from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from newsdesk.batch.raw import RawPage, Skipped

__all__ = ["read_warc"]

_GZIP = b"\x1f\x8b\x08"
_PLAIN = b"WARC/1."
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+xhtml")
_PAGES = WarcRecordType.response | WarcRecordType.resource
MAX_RESYNCS = 10_000  # a file damaged in more places than this is given up on


def _magic(path: str) -> bytes | None:
    """What a record (member) of this file starts with, when the reader can look for the
    next one after damage; None for other compressions (zstd, lz4: the rest is lost)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_GZIP):
        return _GZIP
    if head.startswith(_PLAIN):
        return _PLAIN
    return None


def _next_start(path: str, magic: bytes, after: int) -> int:
    """The offset of the next ``magic`` past ``after``, or -1."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(magic, after + 1)


def read_warc(path: str, *, max_page_bytes: int) -> Iterator[RawPage | Skipped]:
    """Every page of the WARC file at ``path`` and every record skipped, in file order."""
    try:
        with open(path, "rb") as handle:
            empty = not handle.read(1)
        magic = _magic(path)
    except OSError as exc:
        yield Skipped("corrupt_archive", f"{path}: cannot be read: {exc}")
        return
    if empty:
        yield Skipped("empty_input", f"{path}: an empty file")
        return
    offset, resyncs = 0, 0
    while True:
        last_start = -1  # the offset of the last good record read from ``offset`` on
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                for record in ArchiveIterator(handle, record_types=_PAGES):
                    last_start = record.stream_pos
                    yield _page(record, max_page_bytes)
            return
        except OSError as exc:
            if last_start >= 0 or resyncs == 0:  # a new damaged stretch: counted once
                where = max(last_start, offset)
                yield Skipped("corrupt_archive", f"{path}: damaged after byte {where}: {exc}")
            resyncs += 1
            found = -1
            if magic is not None and resyncs <= MAX_RESYNCS:
                found = _next_start(path, magic, max(last_start, offset))
            if found < 0:
                return
            offset = found


def _page(record: WarcRecord, max_page_bytes: int) -> RawPage | Skipped:
    url = record.headers.get("WARC-Target-URI") or None
    record_id = record.record_id or None
    if url is None:
        return Skipped("no_url", "a record without WARC-Target-URI", record_id=record_id)
    if record.record_type == WarcRecordType.resource:
        content_type = (record.headers.get("Content-Type") or "").lower()
        charset = _charset(content_type)
        encoding = None
    else:
        status = record.http_headers.status_code if record.is_http else None
        if status is None:
            return Skipped("no_http_headers", "a response without HTTP headers", url, record_id)
        if not 200 <= status < 300:
            return Skipped("http_status", f"HTTP {status}", url, record_id)
        content_type = (record.http_content_type or "").lower()
        charset = record.http_charset or None
        encoding = (record.http_headers.get("Content-Encoding") or "").strip().lower() or None
    media = content_type.split(";")[0].strip()
    if media and media not in _HTML_TYPES:
        return Skipped("non_html", f"Content-Type {media}", url, record_id)
    if record.content_length > max_page_bytes:
        return Skipped("too_large", f"{record.content_length} bytes", url, record_id)
    body = record.reader.read()
    if len(body) < record.content_length:
        return Skipped("truncated", f"{len(body)} of {record.content_length} bytes", url, record_id)
    if encoding not in (None, "identity"):
        try:
            body = _decode(body, encoding, max_page_bytes)
        except (ValueError, zlib.error, brotli.error) as exc:
            return Skipped("bad_encoding", f"Content-Encoding {encoding}: {exc}", url, record_id)
    if not media and body.lstrip()[:1] != b"<":
        return Skipped("non_html", "no Content-Type, and not markup", url, record_id)
    return RawPage(url, body, charset, record_id)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'")
    return None


def _decode(body: bytes, encoding: str, limit: int) -> bytes:
    """The body with its HTTP content encoding undone, at most ``limit`` bytes of it."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(wbits=47 if encoding != "deflate" else 15)
        out = inflater.decompress(body, limit + 1)
    elif encoding == "br":
        out = brotli.decompress(body)
    else:
        raise ValueError("an encoding batch does not read")
    if len(out) > limit:
        raise ValueError(f"over {limit} bytes once decoded")
    return out

"""Bounded decompression: inflate gzip data without letting a bomb grow past a limit.

Pure (bytes in, bytes out). The feed parser and ``newsdesk extract``'s file reader both
take gzip input that a stranger made; each wraps ``GzipError`` in its own error.
"""

from __future__ import annotations

import zlib

__all__ = ["GzipError", "gunzip_bounded"]


class GzipError(ValueError):
    """The data is not one complete gzip stream, or inflates past the limit."""


def gunzip_bounded(data: bytes, max_bytes: int) -> bytes:
    """Decompress one gzip stream, refusing to inflate past ``max_bytes`` (a bomb stays
    small: at most ``max_bytes + 1`` bytes are ever produced)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise GzipError(f"not valid gzip ({exc})") from exc
    if len(out) > max_bytes:
        raise GzipError(f"decompresses to more than {max_bytes} bytes")
    if not inflater.eof:
        raise GzipError("truncated gzip")
    return out

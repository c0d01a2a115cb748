"""Bytes to text: BOM, declared charset, detection — a wrong declaration never garbles text."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from newsdesk.errors import ExtractionError

__all__ = ["decode_html", "decode_page", "reject_binary"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# WHATWG: these labels mean windows-1252 in browsers.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "l1": "cp1252",
}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF (WebP/WAV/AVI) file"),
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"BZh", "bzip2-compressed data (decompress it first)"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x00\x00\x00", "binary data"),
)


def reject_binary(data: bytes) -> None:
    """Raise :class:`ExtractionError` when ``data`` is plainly not text (PDF, image, archive)."""
    head = data[:16]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ExtractionError(f"input is {what}, not an HTML page")
    sample = data[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 8 and not _bom_encoding(sample):
        raise ExtractionError("input is binary data, not an HTML page")


def _bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _declared(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:8192])
    if not match:
        return None
    return _normalise_label(match.group(1).decode("ascii", "ignore"))


def _normalise_label(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode an HTML page (see :func:`decode_page` for the order of evidence)."""
    return decode_page(data, declared)[0]


def decode_page(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode an HTML page; return the text and the name of the encoding used.

    Order of evidence: a byte-order mark (reported as ``utf-8-sig``, ``utf-16-le``, ...);
    then strict UTF-8 when the bytes are valid UTF-8 (valid multi-byte UTF-8 is practically
    never an accident, so it beats a declaration of a single-byte charset); then the declared
    charset (``declared``, e.g. from an HTTP header, or the page's ``<meta charset>``) when the
    bytes decode under it; then detection (charset-normalizer); then windows-1252.
    """
    bom = _bom_encoding(data)
    if bom:
        skip = len(codecs.BOM_UTF8) if bom == "utf-8" else 0
        text = data[skip:].decode(bom, "replace").lstrip("\ufeff")
        return text, "utf-8-sig" if bom == "utf-8" else bom
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    label = (_normalise_label(declared) if declared else None) or _declared(data)
    if label and label != "utf-8":
        try:
            return data.decode(label), label
        except (UnicodeDecodeError, LookupError):
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, "replace"), best.encoding
    return data.decode("cp1252", "replace"), "cp1252"

"""Bytes to text, in the WHATWG order of evidence, and a record of what decided.

HTML pages (:func:`decode_page`): a byte-order mark; then the HTTP ``Content-Type`` charset;
then the page's own ``<meta charset>`` (or ``http-equiv`` Content-Type, or an XML
declaration). Labels are resolved through the WHATWG label table (``webencodings``), so
``latin1``, ``iso-8859-1`` and ``ascii`` mean windows-1252 and ``gb2312`` means GBK, as in every
browser. A declaration is believed unless it is clearly wrong:

* declared UTF-8 but with more invalid sequences than valid multi-byte ones (a Latin-1 page
  labelled UTF-8): the page is decoded as detected instead. One stray byte in a page that is
  otherwise UTF-8 keeps it UTF-8: that byte becomes U+FFFD and is counted.
* declared a legacy charset but the bytes are valid UTF-8 with multi-byte sequences (valid
  multi-byte UTF-8 is practically never an accident): UTF-8.

Only with nothing declared (or a declaration clearly wrong) is the encoding detected:
nearly-valid UTF-8 first, then charset-normalizer for the CJK multi-byte encodings, then the
single-byte code page whose text looks like words, windows-1252 winning ties (the WHATWG
default). charset-normalizer alone picks cp1250 or cp1257 for short Latin-1 text ("naïve"
becomes "naďve"), which is why its single-byte guesses are checked here.

``w3lib.encoding.html_to_unicode`` does the first part (BOM, header, ``<meta>``) but trusts any
declaration and replaces what does not decode under it, so a Latin-1 page labelled UTF-8
loses every accented letter; it is not used. Pure.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import webencodings
from charset_normalizer import from_bytes

from newsdesk.errors import ExtractionError
from newsdesk.model import Decoding

__all__ = ["Decoded", "decode_html", "decode_page", "decode_text_bytes", "reject_binary"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)
_PY_CODEC = {"utf-32le": "utf-32-le", "utf-32be": "utf-32-be"}
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']""")
_UTF8_BAD = "\ufffd"
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
# Single-byte code pages detection may choose among (WHATWG names).
_SINGLE_BYTE = frozenset(
    {"windows-1250", "windows-1251", "windows-1253", "windows-1254", "windows-1255"}
    | {"windows-1256", "windows-1257", "windows-1258", "koi8-r", "koi8-u", "iso-8859-2"}
    | {"iso-8859-5", "iso-8859-7", "iso-8859-15", "ibm866", "macintosh", "x-mac-cyrillic"}
)
_MULTI_BYTE = frozenset({"shift_jis", "euc-jp", "iso-2022-jp", "gbk", "gb18030", "big5", "euc-kr"})


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text and how it was decoded (see :class:`newsdesk.model.Decoding`)."""

    text: str
    decoding: Decoding


def reject_binary(data: bytes) -> None:
    """Raise :class:`ExtractionError` when ``data`` is plainly not text (PDF, image, archive)."""
    head = data[:16]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ExtractionError(f"input is {what}, not an HTML page")
    sample = data[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 8 and not _bom(sample):
        raise ExtractionError("input is binary data, not an HTML page")


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def _lookup(label: str | None) -> str | None:
    """The WHATWG name of an encoding label, or None when it is not one."""
    if not label:
        return None
    found = webencodings.lookup(label.strip().strip("\"'"))
    return found.name if found is not None else None


_PYTHON_NAMES = {  # charset-normalizer's Python codec names that are no WHATWG label
    "cp932": "shift_jis",
    "shift_jis_2004": "shift_jis",
    "shift_jisx0213": "shift_jis",
    "euc_jis_2004": "euc-jp",
    "euc_jisx0213": "euc-jp",
    "cp949": "euc-kr",
    "big5hkscs": "big5",
    "mac_cyrillic": "x-mac-cyrillic",
    "mac_roman": "macintosh",
    "latin_1": "windows-1252",
}


def _whatwg(python_name: str) -> str | None:
    """The WHATWG name of a Python codec name (``iso8859_7`` → ``iso-8859-7``)."""
    if python_name in _PYTHON_NAMES:
        return _PYTHON_NAMES[python_name]
    return _lookup(python_name) or _lookup(python_name.replace("_", "-"))


def _codec(name: str) -> str:
    """The Python codec that decodes the WHATWG encoding ``name``."""
    found = webencodings.lookup(name)
    return found.codec_info.name if found is not None else _PY_CODEC.get(name, name)


def _meta(data: bytes) -> str | None:
    head = data[:8192]
    match = _META_CHARSET.search(head) or _XML_ENCODING.match(head)
    name = _lookup(match.group(1).decode("ascii", "ignore")) if match else None
    # WHATWG: a page cannot declare itself UTF-16 in its own (ASCII-compatible) bytes.
    if name in ("utf-16le", "utf-16be"):
        return "utf-8"
    return None if name == "x-user-defined" else name


def _utf8_counts(data: bytes, *, count_good: bool = True) -> tuple[str, int, int]:
    """The bytes as UTF-8 with replacements, the characters replaced, the valid non-ASCII
    (0 when not ``count_good``: a page with no bad byte needs no count)."""
    if not count_good:
        try:  # the common case, valid UTF-8: nothing replaced, nothing to count
            return data.decode("utf-8"), 0, 0
        except UnicodeDecodeError:
            pass
    text = data.decode("utf-8", "replace")
    bad = text.count(_UTF8_BAD) - data.count(b"\xef\xbf\xbd")
    if not count_good:
        return text, bad, 0
    # Characters past ASCII, counted in C (a Python loop over the characters took a quarter
    # of all extraction time).
    non_ascii = 0 if data.isascii() else len(text) - len(text.encode("ascii", "ignore"))
    return text, bad, non_ascii - bad - data.count(b"\xef\xbf\xbd")


def _decoded(
    text: str, encoding: str, source: str, *, declared: str | None = None, replaced: int = 0
) -> Decoded:
    decoding = Decoding(encoding=encoding, source=source, declared=declared, replaced=replaced)
    return Decoded(text, decoding)


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode an HTML page (see :func:`decode_page` for the order of evidence)."""
    return decode_page(data, declared).text


def decode_page(data: bytes, declared: str | None = None) -> Decoded:
    """Decode an HTML page: ``declared`` is the HTTP header's charset, when there was one."""
    bom = _bom(data)
    if bom is not None:
        name, skip = bom
        text = data[skip:].decode(_codec(name), "replace")
        return _decoded(text, name, "bom", replaced=text.count(_UTF8_BAD))
    http = _lookup(declared)
    if http == "x-user-defined":
        http = None
    label, source = (http, "http") if http else (_meta(data), "meta")
    if label == "utf-8":
        text, bad, _ = _utf8_counts(data, count_good=False)
        # No bad byte, or nearly all valid: the declaration holds.
        if bad == 0 or bad <= _utf8_counts(data)[2]:
            return _decoded(text, "utf-8", source, declared="utf-8", replaced=bad)
        return _detect(data, declared="utf-8")
    if label is not None:
        text, bad, good = _utf8_counts(data)
        if bad == 0 and good > 0:  # valid multi-byte UTF-8 is no accident: the label is wrong
            return _decoded(text, "utf-8", "utf-8", declared=label)
        text = data.decode(_codec(label), "replace")
        replaced = text.count(_UTF8_BAD) - data.count(b"\xef\xbf\xbd")
        return _decoded(text, label, source, declared=label, replaced=max(replaced, 0))
    return _detect(data, declared=None)


def _detect(data: bytes, *, declared: str | None) -> Decoded:
    """Nothing declared, or the declaration clearly wrong: UTF-8 when nearly all valid, then
    a CJK multi-byte encoding when one fits, then the single-byte code page that reads."""
    if declared is None:
        try:  # valid UTF-8 (nothing replaced, so never fewer valid than replaced): no count
            return _decoded(data.decode("utf-8"), "utf-8", "utf-8", replaced=0)
        except UnicodeDecodeError:
            pass
    text, bad, good = _utf8_counts(data)
    if declared is None and bad <= good:
        return _decoded(text, "utf-8", "utf-8", replaced=bad)
    name = _guess(data)
    text = data.decode(_codec(name), "replace")
    return _decoded(text, name, "detected", declared=declared, replaced=text.count(_UTF8_BAD))


def _guess(data: bytes) -> str:
    """charset-normalizer's CJK multi-byte guesses; otherwise the single-byte candidate
    (windows-1252 and charset-normalizer's) whose text looks most like words."""
    sample = data[:200_000]
    candidates = ["windows-1252"]
    for match in from_bytes(sample):
        name = _whatwg(match.encoding)
        if name in _MULTI_BYTE and _mostly_cjk(sample, name):
            return name
        if name in _SINGLE_BYTE and name not in candidates:
            candidates.append(name)
    scored = [
        (_oddity(sample.decode(_codec(n), "replace")), i, n) for i, n in enumerate(candidates)
    ]
    return min(scored)[2]


def _mostly_cjk(data: bytes, name: str) -> bool:
    try:
        text = data.decode(_codec(name))
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if c > "\x7f"]
    cjk = sum(1 for c in wide if _is_cjk(ord(c)))
    return bool(wide) and cjk * 2 >= len(wide)


def _is_cjk(point: int) -> bool:
    return (
        0x3000 <= point <= 0x30FF
        or 0x3400 <= point <= 0x9FFF
        or 0xAC00 <= point <= 0xD7AF
        or 0xF900 <= point <= 0xFAFF
        or 0xFF01 <= point <= 0xFF5E
    )


_ALL_ACCENTED = re.compile(r"(?<![^\W\d_])[\u00c0-\u024f]{3,}(?![^\W\d_])")


def _oddity(text: str) -> int:
    """How unlike words a decoding reads: a symbol wedged between letters, a word mixing
    scripts (Latin letters beside Cyrillic or Greek), a control or undefined character, a
    word of three or more letters all accented Latin ones ("Ìîñêâà": Cyrillic read as
    windows-1252)."""
    odd = len(_ALL_ACCENTED.findall(text))
    previous_script = ""
    for index, char in enumerate(text):
        if char <= "\x7f":
            previous_script = "latin" if char.isalpha() else ""
            continue
        category = unicodedata.category(char)
        if category[0] == "L":
            script = _script(char)
            odd += bool(previous_script) and script != previous_script
            previous_script = script
            continue
        if category[0] == "C" or char == _UTF8_BAD:
            odd += 2
        elif category not in ("Pi", "Pf", "Pd", "Zs", "Po") and _between_letters(text, index):
            odd += 1
        previous_script = ""
    return odd


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0].lower() if name else ""


def _between_letters(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isalpha() and text[index + 1].isalpha()


def decode_text_bytes(data: bytes) -> Decoded:
    """Plain text (``newsdesk clean``): a BOM (UTF-8, UTF-16, UTF-32) decides; UTF-16 without
    one is recognised by its zero bytes; otherwise each line is UTF-8 when it is (nearly) all
    valid and the file's detected code page when not — files stitched together by relays mix
    the two. Raises :class:`ExtractionError` for binary data."""
    bom = _bom(data)
    if bom is not None:
        name, skip = bom
        text = data[skip:].decode(_codec(name), "replace")
        return _decoded(text, name, "bom", replaced=text.count(_UTF8_BAD))
    wide = _utf16_without_bom(data[:4096])
    if wide:
        text = data.decode(_codec(wide), "replace")
        return _decoded(text, wide, "detected", replaced=text.count(_UTF8_BAD))
    if b"\x00" in data[:65536]:
        raise ExtractionError("input is binary data, not text")
    text, bad, _ = _utf8_counts(data)
    if bad == 0:
        return _decoded(text, "utf-8", "utf-8")
    legacy = _guess(b"\n".join(line for line in data.split(b"\n") if _legacy_line(line)))
    lines, replaced, used_legacy = [], 0, False
    for line in data.split(b"\n"):
        if _legacy_line(line):
            lines.append(line.decode(_codec(legacy), "replace"))
            used_legacy = True
        else:
            decoded, line_bad, _ = _utf8_counts(line)
            lines.append(decoded)
            replaced += line_bad
    if not used_legacy:
        return _decoded("\n".join(lines), "utf-8", "utf-8", replaced=replaced)
    return _decoded("\n".join(lines), legacy, "detected", replaced=replaced)


def _legacy_line(line: bytes) -> bool:
    """A line more invalid than valid as UTF-8 (so in a legacy code page)."""
    _, bad, good = _utf8_counts(line)
    return bad > good


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text with no BOM: zeros in nearly every odd (LE) or even (BE) byte."""
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16be"
    return None

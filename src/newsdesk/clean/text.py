"""Plain text in, paragraphs out: normalisation and paragraph recovery. Pure."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import Any, TypeVar, cast

from newsdesk.clean.embeds import continues_post, is_post_signature, is_standalone_remnant

__all__ = ["decode_text", "is_list_item", "join_lines", "normalize_text", "strip_xml_invalid"]

_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ud800-\udfff\ufffe\uffff]"
)
# What XML 1.0 forbids (its Char production): C0 controls but tab, LF and CR; surrogates
# (lone ones: a str holding one cannot even be encoded); U+FFFE and U+FFFF.
_XML_INVALID = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_TERMINAL = re.compile(r"[.!?:;…\"'”’»)\]]$")
_LIST_ITEM = re.compile(r"^(?:[-*•·▪–]\s+|\d{1,3}[.)]\s+)")


def decode_text(data: bytes) -> str:
    """Bytes of plain text to str. UTF-8 (with or without BOM) when the whole input is valid
    UTF-8; otherwise line by line, UTF-8 where a line is valid and Windows-1252 where it is
    not — files stitched together by relays mix the two."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", "replace"))
    return "\n".join(lines)


def strip_xml_invalid(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (C0 controls but tab, LF and CR, lone
    surrogates, U+FFFE, U+FFFF): what no feed, OPML or sitemap may carry, and what extraction
    removes so that the stored text is clean too."""
    return _XML_INVALID.sub("", text) if _XML_INVALID.search(text) else text


T = TypeVar("T")


def strip_xml_invalid_fields(value: T) -> T:
    """``value`` (a record: an Article, a parsed feed, their parts) with every string in it
    through ``strip_xml_invalid``: a lone surrogate (JSON's ``"\ud800"``) cannot even be
    stored as UTF-8, and a C0 control would make every feed we write ill-formed."""
    return cast(T, _scrub(value))


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    # dataclasses.fields() filters the class's fields anew on every call: an Article's
    # walk asked it a hundred times.
    return tuple(f.name for f in fields(kind))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return strip_xml_invalid(value)
    if isinstance(value, tuple):
        return tuple(_scrub(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for name in _field_names(type(value)):
            old = getattr(value, name)
            if isinstance(old, str | tuple) or is_dataclass(old):
                new = _scrub(old)
                if new != old:
                    changed[name] = new
        return replace(value, **changed) if changed else value
    return value


def normalize_text(text: str) -> str:
    """NFC, HTML entities decoded, one kind of line break, no control or zero-width
    characters, runs of spaces collapsed (line breaks kept)."""
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text)


def _post_line(line: str) -> str | None:
    """What a line is to an embedded post's remnant: its "signature" ("— Name (@handle)
    Date"), a remnant that stands "alone", or nothing (None)."""
    if is_post_signature(line):
        return "signature"
    if is_standalone_remnant(line):
        return "alone"
    return None


def is_list_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line))


def join_lines(lines: list[str]) -> list[str]:
    """Rejoin the lines of one chunk (lines between blank lines) into paragraphs.

    A line continues into the next when it does not end a sentence and either the next line
    starts in lower case or the line is long (hard-wrapped prose). A short line without a
    sentence end before a capitalised line stands alone (a subheading); list items stand alone.
    An embedded post's remnant is never merged with the story around it: its signature line
    ("— Name (@handle) Date") joins the one line before it (the post's text) and only the
    post's URL may follow it; an Instagram remnant line stands alone.
    """
    if not lines:
        return []
    widest = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current = lines[0]
    post = [_post_line(line) for line in lines]
    for index, line in enumerate(lines[1:], 1):
        previous_last = current.rsplit("\n", 1)[-1]
        following = post[index + 1] if index + 1 < len(lines) else None
        if post[index - 1] in ("signature", "alone"):  # a post's end: only its URL may follow
            continues = continues_post(line)
        elif post[index] == "signature":  # the post's text is the line before
            continues = True
        elif post[index] == "alone" or following == "signature":  # a post starts here
            continues = False
        else:
            continues = (
                not _TERMINAL.search(previous_last)
                and not is_list_item(line)
                and (line[:1].islower() or len(previous_last) >= 0.6 * widest >= 40)
            )
        if continues:
            if current.endswith("-") and line[:1].islower():  # "well-" + "known"
                current += line
            else:
                current = f"{current} {line}"
        else:
            paragraphs.append(current)
            current = line
    paragraphs.append(current)
    return paragraphs

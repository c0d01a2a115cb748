"""Mend the common malformations of feeds, sitemaps and OPML before a strict XML parse. Pure.

* A stray ``&`` (``Tom & Jerry``, ``?a=1&b=2``) becomes ``&amp;``.
* An HTML entity XML does not know (``&eacute;``, ``&nbsp;``) becomes its character reference.
* Any other undeclared entity reference (``&lol9;``, thousands of ``&a;``) is dropped. No entity
  is ever expanded, declared or not: DTDs stay refused by the parsers.
* A character reference to what XML 1.0 forbids (``&#1;``, ``&#xD800;``, ``&#xFFFF;``) is
  dropped: expat refuses the whole document for one.

A UTF-16 or UTF-32 body (a BOM, or zero bytes in its first characters) is left as it is: its
bytes are not ASCII-compatible.

CDATA sections and comments are left as they are. Every change is counted and reported as a
problem, so a mended document still says it was malformed.
"""

from __future__ import annotations

import html.entities
import re

__all__ = ["mend_xml"]

_PROTECTED = re.compile(rb"(<!\[CDATA\[.*?\]\]>|<!--.*?-->)", re.S)
# The five XML entities (nearly every '&' of a full-content feed) are not even matched.
_AMPERSAND = re.compile(
    rb"&(?!(?:amp|lt|gt|quot|apos);)(?:#(\d{1,7}|x[0-9a-fA-F]{1,6});|([A-Za-z_][\w.-]{0,63});)?"
)
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_HTML = html.entities.name2codepoint


def _xml_char(point: int) -> bool:
    """Whether XML 1.0 allows the character ``point`` (its ``Char`` production)."""
    return (
        point in (0x9, 0xA, 0xD)
        or 0x20 <= point <= 0xD7FF
        or 0xE000 <= point <= 0xFFFD
        or 0x10000 <= point <= 0x10FFFF
    )


def mend_xml(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    """``body`` with stray ampersands escaped and unknown entities resolved or dropped, and
    the problems found (none when nothing changed)."""
    if b"&" not in body or body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        return body, ()
    counts = {"stray": 0, "html": 0, "invalid": 0}
    dropped: dict[str, int] = {}

    def fix(match: re.Match[bytes]) -> bytes:
        if match.group(1):
            number = match.group(1)
            if _xml_char(int(number[1:], 16) if number[:1] == b"x" else int(number)):
                return match.group(0)
            counts["invalid"] += 1
            return b""
        name = match.group(2)
        if name is None:
            counts["stray"] += 1
            return b"&amp;"
        if name in _XML_ENTITIES:
            return match.group(0)
        html_point = _HTML.get(name.decode("ascii", "replace"))
        if html_point is not None:
            counts["html"] += 1
            return b"&#%d;" % html_point
        key = name.decode("ascii", "replace")
        dropped[key] = dropped.get(key, 0) + 1
        return b""

    parts = _PROTECTED.split(body)
    mended = b"".join(
        part if index % 2 else _AMPERSAND.sub(fix, part) for index, part in enumerate(parts)
    )
    problems = []
    if counts["stray"]:
        problems.append(f"{counts['stray']} unescaped '&' read as '&amp;'")
    if counts["invalid"]:
        problems.append(f"{counts['invalid']} references to characters XML forbids dropped")
    if counts["html"]:
        problems.append(f"{counts['html']} HTML entities not declared in XML read as characters")
    if dropped:
        total = sum(dropped.values())
        names = ", ".join(f"&{name};" for name in list(dropped)[:5])
        more = ", ..." if len(dropped) > 5 else ""
        problems.append(f"{total} undeclared entity references dropped ({names}{more})")
    return mended, tuple(problems)

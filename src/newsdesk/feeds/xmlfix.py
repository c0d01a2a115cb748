"""Mend the common malformations of feeds, sitemaps and OPML before a strict XML parse. Pure.

* A stray ``&`` (``Tom & Jerry``, ``?a=1&b=2``) becomes ``&amp;``.
* An HTML entity XML does not know (``&eacute;``, ``&nbsp;``) becomes its character reference.
* Any other undeclared entity reference (``&lol9;``, thousands of ``&a;``) is dropped. No entity
  is ever expanded, declared or not: DTDs stay refused by the parsers.

CDATA sections and comments are left as they are. Every change is counted and reported as a
problem, so a mended document still says it was malformed.
"""

from __future__ import annotations

import html.entities
import re

__all__ = ["mend_xml"]

_PROTECTED = re.compile(rb"(<!\[CDATA\[.*?\]\]>|<!--.*?-->)", re.S)
_AMPERSAND = re.compile(rb"&(?:(#\d{1,7};|#x[0-9a-fA-F]{1,6};)|([A-Za-z_][\w.-]{0,63});)?")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_HTML = html.entities.name2codepoint


def mend_xml(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    """``body`` with stray ampersands escaped and unknown entities resolved or dropped, and
    the problems found (none when nothing changed)."""
    if b"&" not in body:
        return body, ()
    counts = {"stray": 0, "html": 0}
    dropped: dict[str, int] = {}

    def fix(match: re.Match[bytes]) -> bytes:
        if match.group(1):
            return match.group(0)
        name = match.group(2)
        if name is None:
            counts["stray"] += 1
            return b"&amp;"
        if name in _XML_ENTITIES:
            return match.group(0)
        point = _HTML.get(name.decode("ascii", "replace"))
        if point is not None:
            counts["html"] += 1
            return b"&#%d;" % point
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
    if counts["html"]:
        problems.append(f"{counts['html']} HTML entities not declared in XML read as characters")
    if dropped:
        total = sum(dropped.values())
        names = ", ".join(f"&{name};" for name in list(dropped)[:5])
        more = ", ..." if len(dropped) > 5 else ""
        problems.append(f"{total} undeclared entity references dropped ({names}{more})")
    return mended, tuple(problems)

"""The reader's HTML fragments: provenance in words, what cleaning removed, snippets.

The article body itself is ``clean.sanitize.article_body_html``: the store keeps it
rendered (docs/serving.md). Everything is built from the Article's values with escaping,
and what is markup passes through the sanitiser as a second line of defence.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from newsdesk.clean.sanitize import sanitize_html
from newsdesk.model import Article, Provenance

__all__ = [
    "format_when",
    "highlight_snippet",
    "provenance_words",
    "removed_html",
]

# Marks FTS5 puts around matched words in a snippet: control characters no text contains
# after cleaning, so escaping the snippet cannot touch them.
SNIPPET_MARKS = ("\x02", "\x03")


def provenance_words(provenance: Provenance | None, site_name: str | None) -> str | None:
    """How the story reached us, in words: "Relayed by X from Y; original at URL; credit: Z"."""
    if provenance is None:
        return None
    parts: list[str] = []
    if provenance.via and provenance.source:
        parts.append(f"relayed by {provenance.via} from {provenance.source}")
    elif provenance.via:
        parts.append(f"relayed by {provenance.via}")
    elif provenance.source and provenance.source != site_name:
        parts.append(f"from {provenance.source}")
    if provenance.original_url or provenance.link:
        parts.append(f"original at {provenance.original_url or provenance.link}")
    if provenance.credits:
        parts.append("credit: " + ", ".join(provenance.credits))
    words = "; ".join(parts)
    return words[:1].upper() + words[1:] if words else None


def removed_html(article: Article) -> str:
    """What cleaning removed, as a list with the reason for each (for a details toggle)."""
    items = [
        f'<li><span class="reason">{escape(r.reason)}</span> {escape(r.text)}</li>'
        for r in article.removed
    ]
    return sanitize_html("<ul>" + "".join(items) + "</ul>") if items else ""


def highlight_snippet(snippet: str) -> str:
    """An FTS snippet made with ``SNIPPET_MARKS``: escaped, the matches in <mark>."""
    text = escape(snippet)
    return text.replace(SNIPPET_MARKS[0], "<mark>").replace(SNIPPET_MARKS[1], "</mark>")


_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def format_when(when: datetime, style: str = "card") -> str:
    """A time as the pages show it, in English whatever the locale: "long" is
    ``%d %B %Y, %H:%M %Z``, "card" ``%d %b %Y, %H:%M``, "short" ``%d %b %H:%M`` and "date"
    ``%d %b %Y``. Written out: in a py-spy profile of the article page, its line with ``strftime``
    (and ``isoformat``) was ~5 % of the page."""
    month = _MONTHS[when.month - 1]
    day = f"{when.day:02d}"
    clock = f"{when.hour:02d}:{when.minute:02d}"
    if style == "long":
        zone = when.tzname() or ""
        return f"{day} {month} {when.year:04d}, {clock} {zone}".rstrip()
    if style == "short":
        return f"{day} {month[:3]} {clock}"
    if style == "date":
        return f"{day} {month[:3]} {when.year:04d}"
    return f"{day} {month[:3]} {when.year:04d}, {clock}"

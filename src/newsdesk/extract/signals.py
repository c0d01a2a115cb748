"""The elements a page's metadata is read from, found once, and what several fields' cascades
share: the short texts of byline and date furniture, a headline's neighbourhood."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdesk.dates import parse_date

__all__ = ["Page", "Signals", "clean_value", "gather", "inside", "similar", "visible_meta_texts"]

WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# Short page furniture that states when (and often by whom) a story was published.
_VISIBLE_META = (
    ", ".join(
        f'[class*="{word}"]:not(form *)'
        for word in ("byline", "meta", "date", "publish", "posted", "created", "author", "datum")
    )
    + ', [id*="date"]:not(form *), time, abbr.published'
)
# A comment thread's containers (WordPress ``li.comment#comment-57873``, ``ol.commentlist``,
# ``div.comment-meta``): its dates and names are the readers', not the story's.
_COMMENTS = re.compile(r"(?:^|\s)comment(?!s-(?:open|closed))", re.I)


_SIGNAL_SELECTOR = (
    'meta, script[type="application/ld+json"], title, link[rel="canonical"], h1, '
    'time[datetime], [itemprop="datePublished"], [itemprop="dateModified"]'
)


@dataclass(slots=True)
class Signals:
    """Every element metadata is read from, found in one pass of the selector engine."""

    metas: list[LexborNode] = field(default_factory=list)
    jsonld: list[LexborNode] = field(default_factory=list)
    title: LexborNode | None = None
    canonical: LexborNode | None = None
    h1s: list[LexborNode] = field(default_factory=list)
    times: list[LexborNode] = field(default_factory=list)
    itemprops: dict[str, LexborNode] = field(default_factory=dict)
    headline: LexborNode | None = None  # the h1 that is the story's headline (read_metadata)
    visible: list[str] | None = None  # visible_meta_texts, once found


def gather(tree: LexborHTMLParser) -> Signals:
    signals = Signals()
    for node in tree.css(_SIGNAL_SELECTOR):
        tag = node.tag
        if tag == "meta":
            signals.metas.append(node)
        elif tag == "script":
            signals.jsonld.append(node)
        elif tag == "title":
            signals.title = signals.title or node
        elif tag == "link":
            signals.canonical = signals.canonical or node
        elif tag == "h1":
            signals.h1s.append(node)
        elif tag == "time":
            signals.times.append(node)
        prop = node.attributes.get("itemprop") if tag != "meta" else None
        if prop in ("datePublished", "dateModified"):
            signals.itemprops.setdefault(prop, node)
    return signals


def clean_value(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = WS.sub(" ", html.unescape(value) if "&" in value else value).strip()
    return text or None


def similar(a: str, b: str) -> bool:
    words_a, words_b = set(_WORD.findall(a.casefold())), set(_WORD.findall(b.casefold()))
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) / len(words_a | words_b) >= 0.7


def visible_meta_texts(tree: LexborHTMLParser, signals: Signals) -> list[str]:
    """Short texts of byline and date furniture, in page order (the first twenty); found
    once per page (authors and dates both ask)."""
    if signals.visible is not None:
        return signals.visible
    texts: list[str] = []
    signals.visible = texts
    for node in tree.css(_VISIBLE_META)[:40]:
        if _in_comments(node):
            continue
        text = WS.sub(" ", node.text(deep=True, separator=" ")).strip()
        tooltip = node.attrs.get("title")
        if tooltip and parse_date(text) is None:  # "3 hours ago": the date is a tooltip
            text = tooltip
        if 6 <= len(text) <= 150:
            texts.append(text)
            if len(texts) == 20:
                break
    return texts


def _in_comments(node: LexborNode) -> bool:
    """Whether ``node`` sits in a comment thread: an element, or one of its ancestors, whose
    class or id starts a word with "comment"."""
    current: LexborNode | None = node
    for _ in range(30):
        if current is None or current.tag in ("body", "html"):
            return False
        attrs = current.attrs
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if "omment" in names and _COMMENTS.search(names):
            return True
        current = current.parent
    return False


def inside(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    for _ in range(12):
        if parent is None:
            return False
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


@dataclass
class Page:
    """What every field's cascade reads: the DOM, the gathered signals, JSON-LD and metas."""

    tree: LexborHTMLParser
    url: str | None
    html: str | None
    signals: Signals
    objects: list[dict[str, Any]]  # the JSON-LD objects, the article's first
    ld: dict[str, Any]  # the first of them (or nothing)
    publisher: str | None
    metas: dict[str, str]
    article_tags: list[str]

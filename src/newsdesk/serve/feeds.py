"""Feeds out: Atom 1.0 and JSON Feed 1.1 with the full clean content, and conditional GET.

The builders are pure functions of the items; the routes in ``app`` feed them from the store.
Atom follows RFC 4287 and the W3C validator's rules: a feed id, title, updated, author and
``rel="self"`` link; each entry an id, title, updated, an alternate link and content.

Every entry names its own author: the story's bylines, else its outlet, so that no client
credits a story to the feed's author (rss2email did, with "newsdesk"). An entry carries
``xml:lang`` from the article's language. Characters XML 1.0 forbids never reach the output
(``strip_xml_invalid`` on the whole document): one ``U+0001`` would make every feed holding
that article ill-formed. Entries' ``updated`` times are told apart (``entry_time``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from newsdesk.clean.text import strip_xml_invalid
from newsdesk.dates import parse_http_date

__all__ = [
    "FeedDoc",
    "FeedItem",
    "atom_feed",
    "entry_time",
    "etag_for",
    "json_feed",
    "language_tag",
    "not_modified",
]

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    id: str  # a permanent IRI: the reader's URL of the article
    url: str  # where a reader reads it (here)
    external_url: str | None  # the original story
    title: str
    content_html: str  # sanitised
    content_text: str
    summary: str | None
    published: datetime | None
    updated: datetime
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    language: str | None
    outlet: str | None = None  # who published it: the author named when no byline is known
    number: int = 0  # the article's id: tells apart entries updated in the same second


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedDoc:
    title: str
    id: str
    self_url: str  # this feed's own URL
    home_url: str  # the page it mirrors
    updated: datetime
    items: tuple[FeedItem, ...]
    description: str | None = None
    author: str = "newsdesk"  # the feed's: the source for a source's feed
    hub_url: str | None = None  # its WebSub hub (rel="hub", JSON Feed hubs)


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def language_tag(value: str | None) -> str | None:
    """``value`` as a BCP 47 tag ("en_US" → "en-US"), or None when it is not one."""
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    return tag if _LANGUAGE.match(tag) else None


def entry_time(when: datetime, number: int) -> datetime:
    """An entry's ``updated``: ``when``, and when it is whole seconds (as most stories'
    times are), the article's id as its microseconds. Stories published or fetched in the
    same second would otherwise share the value, which the W3C validator warns of (clients
    tell an entry's revisions apart by it); derived from the id, it is the same in every feed
    and on every request, and stays within the second it says."""
    if when.microsecond or number <= 0:
        return when
    return when.replace(microsecond=number % 1_000_000)


def _common_language(items: tuple[FeedItem, ...]) -> str | None:
    tags = {language_tag(i.language) for i in items}
    return tags.pop() if len(tags) == 1 else None


def _authors(item: FeedItem) -> tuple[str, ...]:
    return item.authors or ((item.outlet,) if item.outlet else ())


def atom_feed(doc: FeedDoc) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    feed = ET.Element(f"{{{ATOM}}}feed")
    common = _common_language(doc.items)
    if common:
        feed.set(XML_LANG, common)
    sub(feed, "id", doc.id)
    sub(feed, "title", doc.title)
    if doc.description:
        sub(feed, "subtitle", doc.description)
    sub(feed, "updated", _rfc3339(doc.updated))
    sub(feed, "link", rel="self", href=doc.self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=doc.home_url, type="text/html")
    if doc.hub_url:
        sub(feed, "link", rel="hub", href=doc.hub_url)
    author = sub(feed, "author")
    sub(author, "name", doc.author)
    sub(feed, "generator", "newsdesk")
    for item in doc.items:
        entry = sub(feed, "entry")
        language = language_tag(item.language)
        if language and language != common:
            entry.set(XML_LANG, language)
        sub(entry, "id", item.id)
        sub(entry, "title", item.title or "(untitled)")
        sub(entry, "updated", _rfc3339(entry_time(item.updated, item.number)))
        if item.published:
            sub(entry, "published", _rfc3339(item.published))
        for name in _authors(item):
            sub(sub(entry, "author"), "name", name)
        sub(entry, "link", rel="alternate", href=item.url, type="text/html")
        if item.external_url:
            sub(entry, "link", rel="related", href=item.external_url, type="text/html")
        for tag in item.tags:
            sub(entry, "category", term=tag)
        if item.summary:
            sub(entry, "summary", item.summary)
        sub(entry, "content", item.content_html, type="html")
    text = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + strip_xml_invalid(text)).encode("utf-8")


def _clean(value: object) -> object:
    """A JSON value with what XML forbids removed from every string (JSON could escape the
    controls, but whoever turns the item into HTML or XML would choke on them; a lone
    surrogate cannot even be encoded)."""
    if isinstance(value, str):
        return strip_xml_invalid(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def json_feed(doc: FeedDoc) -> bytes:
    items = []
    for item in doc.items:
        out: dict[str, object] = {
            "id": item.id,
            "url": item.url,
            "title": item.title or "(untitled)",
            "content_html": item.content_html,
            "content_text": item.content_text,
            "date_modified": _rfc3339(entry_time(item.updated, item.number)),
        }
        if item.external_url:
            out["external_url"] = item.external_url
        if item.summary:
            out["summary"] = item.summary
        if item.published:
            out["date_published"] = _rfc3339(item.published)
        authors = _authors(item)
        if authors:
            out["authors"] = [{"name": name} for name in authors]
        if item.tags:
            out["tags"] = list(item.tags)
        language = language_tag(item.language)
        if language:
            out["language"] = language
        items.append(out)
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.self_url,
        "authors": [{"name": doc.author}],
        "items": items,
    }
    if doc.hub_url:
        feed["hubs"] = [{"type": "WebSub", "url": doc.hub_url}]
    common = _common_language(doc.items)
    if common:
        feed["language"] = common
    if doc.description:
        feed["description"] = doc.description
    return json.dumps(_clean(feed), ensure_ascii=False, indent=1).encode("utf-8")


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(
    *, etag: str, last_modified: datetime, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = parse_http_date(if_modified_since)
    return since is not None and last_modified.replace(microsecond=0) <= since


def http_date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)

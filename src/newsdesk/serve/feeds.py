"""Feeds out: Atom 1.0 and JSON Feed 1.1 with the full clean content, and conditional GET.

The builders are pure functions of the items; the routes in ``app`` feed them from the store.
Atom follows RFC 4287 and the W3C validator's rules: a feed id, title, updated, author and
``rel="self"`` link; each entry an id, title, updated, an alternate link and content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from newsdesk.dates import parse_http_date

__all__ = ["FeedDoc", "FeedItem", "atom_feed", "etag_for", "json_feed", "not_modified"]

ATOM = "http://www.w3.org/2005/Atom"
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


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedDoc:
    title: str
    id: str
    self_url: str  # this feed's own URL
    home_url: str  # the page it mirrors
    updated: datetime
    items: tuple[FeedItem, ...]
    description: str | None = None


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def atom_feed(doc: FeedDoc) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", doc.id)
    sub(feed, "title", doc.title)
    if doc.description:
        sub(feed, "subtitle", doc.description)
    sub(feed, "updated", _rfc3339(doc.updated))
    sub(feed, "link", rel="self", href=doc.self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=doc.home_url, type="text/html")
    author = sub(feed, "author")
    sub(author, "name", "newsdesk")
    sub(feed, "generator", "newsdesk")
    for item in doc.items:
        entry = sub(feed, "entry")
        sub(entry, "id", item.id)
        sub(entry, "title", item.title or "(untitled)")
        sub(entry, "updated", _rfc3339(item.updated))
        if item.published:
            sub(entry, "published", _rfc3339(item.published))
        for name in item.authors:
            sub(sub(entry, "author"), "name", name)
        sub(entry, "link", rel="alternate", href=item.url, type="text/html")
        if item.external_url:
            sub(entry, "link", rel="related", href=item.external_url, type="text/html")
        for tag in item.tags:
            sub(entry, "category", term=tag)
        if item.summary:
            sub(entry, "summary", item.summary)
        sub(entry, "content", item.content_html, type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def json_feed(doc: FeedDoc) -> bytes:
    items = []
    for item in doc.items:
        out: dict[str, object] = {
            "id": item.id,
            "url": item.url,
            "title": item.title or "(untitled)",
            "content_html": item.content_html,
            "content_text": item.content_text,
            "date_modified": _rfc3339(item.updated),
        }
        if item.external_url:
            out["external_url"] = item.external_url
        if item.summary:
            out["summary"] = item.summary
        if item.published:
            out["date_published"] = _rfc3339(item.published)
        if item.authors:
            out["authors"] = [{"name": name} for name in item.authors]
        if item.tags:
            out["tags"] = list(item.tags)
        if item.language:
            out["language"] = item.language
        items.append(out)
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.self_url,
        "authors": [{"name": "newsdesk"}],
        "items": items,
    }
    if doc.description:
        feed["description"] = doc.description
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")


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

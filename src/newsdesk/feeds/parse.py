"""Feed bodies to entries: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 (feedparser), JSON Feed
1.0/1.1, and (news) sitemaps. Pure. Sitemaps are parsed with defusedxml: no DTDs, no entity
expansion, no external references."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import feedparser
from defusedxml import DefusedXmlException

from newsdesk.clean.text import strip_xml_invalid_fields
from newsdesk.compression import GzipError, gunzip_bounded
from newsdesk.dates import parse_date
from newsdesk.errors import FeedParseError
from newsdesk.feeds.xmlfix import mend_xml
from newsdesk.model import Enclosure, FeedEntry, ParsedFeed
from newsdesk.urls import absolute_url

# feedparser guesses a feed's encoding with chardet when one is installed and no declared
# one fits: chardet is pure Python and takes minutes on a 10 MB body (a relay pass would
# stall on one mis-encoded feed). Without it feedparser goes on to utf-8, then windows-1252:
# what the decoding rules choose for an undeclared body anyway (extract/decode.py).
feedparser.encodings.lazy_chardet_encoding = None

__all__ = ["MAX_FEED_BYTES", "MAX_SITEMAP_CHILDREN", "parse_feed"]

_SITEMAP_ROOT = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)?"
    rb"<(?:\w+:)?(urlset|sitemapindex)\b",
    re.S,
)
_WS = re.compile(r"\s+")


MAX_FEED_BYTES = 50_000_000  # a gzipped body's cap once decompressed (the sitemap limit)
_GZIP = b"\x1f\x8b"
_JSON_FEED_VERSIONS = ("1", "1.0", "1.1")


def parse_feed(body: bytes, url: str) -> ParsedFeed:
    """Parse a feed, a sitemap or a sitemap index (kind ``sitemap_index``: no entries, its
    child sitemaps in ``children``). A gzip-compressed body (``sitemap.xml.gz`` served
    without Content-Encoding) is decompressed first, to at most ``MAX_FEED_BYTES``. Malformed
    but usable input keeps what is there and lists its ``problems``; FeedParseError is
    raised only when there is no feed in it at all."""
    if not body or not body.strip():
        raise FeedParseError(f"{url}: empty feed body")
    problems: tuple[str, ...] = ()
    if body.startswith(_GZIP):
        body = _gunzip(body, url, MAX_FEED_BYTES)
        problems = ("gzip-compressed body without Content-Encoding (decompressed)",)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        parsed = _json_feed(stripped, url)
    elif _SITEMAP_ROOT.match(stripped[:4096]):
        parsed = _sitemap(stripped, url)
    else:
        parsed = _xml_feed(body, url)
    parsed = strip_xml_invalid_fields(parsed)  # no lone surrogate, no C0 control
    return replace(parsed, problems=problems + parsed.problems) if problems else parsed


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    """Decompress a gzip body, refusing to inflate past ``max_bytes`` (a bomb stays small)."""
    try:
        return gunzip_bounded(body, max_bytes)
    except GzipError as exc:
        raise FeedParseError(f"{url}: gzip body: {exc}") from exc


def _clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = _WS.sub(" ", text).strip()
    return cleaned or None


def _guid(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()[:32]


def _struct_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _xml_feed(body: bytes, url: str) -> ParsedFeed:
    # feedparser's own HTML sanitising and URI rewriting are off: an entry's content is
    # only ever input to ``extract`` (which resolves links against the entry's URL), and
    # nh3 sanitises whatever is shown (clean.sanitize). They cost ~60 % of the parse time
    # of a full-content feed (the demo relay's 2,000 items: 3.7 s → 1.5 s).
    mended, mend_problems = mend_xml(body)
    mended, utf8_problems = _mend_utf8(mended)
    mend_problems += utf8_problems
    parsed = feedparser.parse(
        mended,
        response_headers={"content-location": url, "content-type": "application/xml"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problems = list(mend_problems)
    if parsed.get("bozo"):
        problems.append(f"malformed feed: {parsed.get('bozo_exception')}")
    version = str(parsed.get("version") or "")
    if not version and not parsed.entries:
        detail = problems[-1] if problems else "no feed elements found"
        raise FeedParseError(f"{url}: not a feed ({detail})")
    feed = parsed.feed
    links = _links(feed.get("links", []), url)
    ttl = feed.get("ttl")
    image = feed.get("image")
    icon = feed.get("icon") or feed.get("logo") or (image.get("href") if image else None)
    return ParsedFeed(
        kind="atom" if version.startswith("atom") else "rss",
        url=url,
        title=_clean(feed.get("title")),
        site_url=absolute_url(feed.get("link"), url),
        entries=tuple(_xml_entry(item, url) for item in parsed.entries),
        ttl_seconds=int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None,
        problems=tuple(problems),
        next_url=links.get("next") or links.get("prev-archive"),
        self_url=links.get("self"),
        hub_url=links.get("hub"),
        icon=absolute_url(icon, url) if isinstance(icon, str) else None,
        language=_clean(feed.get("language")),
        authors=_authors(feed),
    )


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)["']""")


def _mend_utf8(body: bytes) -> tuple[bytes, tuple[str, ...]]:
    """A feed declared UTF-8 (or declaring nothing) with a few invalid bytes among valid
    multi-byte UTF-8: those bytes become U+FFFD. feedparser would otherwise read the whole
    feed as windows-1252 ("Café" as "CafÃ©"). A feed with more invalid sequences than valid
    ones (a Latin-1 feed labelled UTF-8) is left to feedparser's fallback."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        return body, ()
    declared = _XML_ENCODING.match(body[:512])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return body, ()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
        good = sum(1 for char in text if char > "\x7f") - text.count("\ufffd")
        if good >= bad:
            return text.encode("utf-8"), (f"{bad} bytes that are not UTF-8 replaced",)
    return body, ()


def _links(links: list[Any], base: str) -> dict[str, str]:
    """The first http(s) URL of each ``rel`` of a list of feedparser links."""
    found: dict[str, str] = {}
    for link in links:
        rel = str(link.get("rel") or "alternate")
        href = absolute_url(link.get("href"), base)
        if href and rel not in found:
            found[rel] = href
    return found


_EMAIL_NAME = re.compile(r"^\S+@\S+\s*\((.+)\)\s*$")


def _authors(node: Any) -> tuple[str, ...]:
    """Names of a feed's or entry's authors (RSS ``email (Name)`` read as Name)."""
    single = node.get("author")
    if isinstance(single, str) and (match := _EMAIL_NAME.match(single)):
        return (match.group(1).strip(),)
    names = [_clean(a.get("name")) for a in node.get("authors", []) if isinstance(a, dict)]
    return tuple(dict.fromkeys(n for n in names if n))


def _xml_entry(item: Any, url: str) -> FeedEntry:
    link = absolute_url(item.get("link"), url)
    title = _clean(item.get("title"))
    content = item["content"][0].get("value") if item.get("content") else None
    summary = item.get("summary")
    # dict.get: feedparser's own get maps a missing updated_parsed to published_parsed, warning
    updated = _struct_time(dict.get(item, "updated_parsed"))
    published = _struct_time(dict.get(item, "published_parsed")) or updated
    links = _links([x for x in item.get("links", []) if x.get("rel") == "replies"], url)
    comments = absolute_url(item.get("comments"), url) or links.get("replies")
    tags = (_clean(t.get("label") or t.get("term")) for t in item.get("tags", []))
    return FeedEntry(
        guid=str(item.get("id") or link or _guid(title, summary)),
        url=link,
        title=title,
        published=published,
        authors=_authors(item),
        summary=summary,
        content=content or summary,
        updated=updated,
        categories=tuple(dict.fromkeys(t for t in tags if t)),
        enclosures=tuple(_enclosures(item.get("enclosures", []), url)),
        comments_url=comments,
    )


def _enclosures(items: list[Any], base: str) -> list[Enclosure]:
    found = []
    for item in items:
        href = absolute_url(item.get("href") or item.get("url"), base)
        if not href:
            continue
        length = item.get("length") or item.get("size_in_bytes")
        kind = item.get("type") or item.get("mime_type")
        found.append(
            Enclosure(
                url=href,
                type=_clean(kind),
                length=int(length) if str(length).strip().isdigit() else None,
            )
        )
    return found


def _json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:  # not JSON, or nested past any real feed
        raise FeedParseError(f"{url}: not valid JSON ({exc})") from exc
    version = str(data.get("version", "")) if isinstance(data, dict) else ""
    problems: list[str] = []
    if version.strip() in _JSON_FEED_VERSIONS:
        problems.append(f"JSON Feed version {version!r} is not a version URL (read as 1.x)")
    elif "jsonfeed.org/version" not in version:
        raise FeedParseError(f"{url}: JSON without a JSON Feed version")
    assert isinstance(data, dict)
    items = data.get("items")
    if not isinstance(items, list):
        problems.append("JSON Feed without an items list")
        items = []
    entries = []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"item {number} is not an object")
            continue
        if item.get("id") is None:
            problems.append(f"item {number} has no id")
        entries.append(_json_entry(item, url))
    hubs = [h.get("url") for h in data.get("hubs") or () if isinstance(h, dict)]
    icon = data.get("icon") or data.get("favicon")
    return ParsedFeed(
        kind="jsonfeed",
        url=url,
        title=_clean(data.get("title")),
        site_url=_url(data.get("home_page_url"), url),
        entries=tuple(entries),
        problems=tuple(problems),
        next_url=_url(data.get("next_url"), url),
        self_url=_url(data.get("feed_url"), url),
        hub_url=next((u for u in (_url(h, url) for h in hubs) if u), None),
        icon=_url(icon, url),
        language=_clean(data.get("language")),
        authors=_json_authors(data),
    )


def _url(value: Any, base: str) -> str | None:
    return absolute_url(value, base) if isinstance(value, str) else None


def _json_authors(node: dict[str, Any]) -> tuple[str, ...]:
    raw = node.get("authors") or ([node["author"]] if node.get("author") else [])
    if not isinstance(raw, list):
        return ()
    names = (_clean(a.get("name")) for a in raw if isinstance(a, dict))
    return tuple(dict.fromkeys(n for n in names if n))


def _json_entry(item: dict[str, Any], url: str) -> FeedEntry:
    link = _url(item.get("url"), url) or _url(item.get("external_url"), url)
    guid = item.get("id")
    published = parse_date(str(item.get("date_published") or ""))
    updated = parse_date(str(item.get("date_modified") or ""))
    html = item.get("content_html")
    text = item.get("content_text")
    tags = _list(item.get("tags"))
    attachments = _list(item.get("attachments"))
    return FeedEntry(
        guid=str(guid if guid is not None else link or _guid(str(item.get("title")))),
        url=link,
        title=_clean(item.get("title")),
        published=published.value if published else None,
        authors=_json_authors(item),
        summary=_clean(item.get("summary")),
        content=html if isinstance(html, str) else text if isinstance(text, str) else None,
        updated=updated.value if updated else None,
        categories=tuple(dict.fromkeys(c for c in (_clean(t) for t in tags) if c)),
        enclosures=tuple(_enclosures([a for a in attachments if isinstance(a, dict)], url)),
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    for child in element.iter():
        if child is not element and _local(child.tag) == name:
            return child
    return None


MAX_SITEMAP_CHILDREN = 50_000  # the sitemap protocol's limit on an index


def _sitemap(body: bytes, url: str) -> ParsedFeed:
    mended, mend_problems = mend_xml(body)
    try:
        root = SafeET.fromstring(
            mended, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedParseError(f"{url}: unsafe or malformed sitemap ({exc})") from exc
    if _local(root.tag) == "sitemapindex":
        return _sitemap_index(root, url, list(mend_problems))
    entries = []
    problems = list(mend_problems)
    for node in root:
        loc = _child(node, "loc")
        location = (loc.text or "").strip() if loc is not None else ""
        link = absolute_url(location, url)
        if not link:
            what = f"a <loc> that is no http(s) URL ({location[:80]!r})" if location else "<loc>"
            problems.append(f"an entry without {what}")
            continue
        title_node = _child(node, "title")
        date_node = _child(node, "publication_date")
        if date_node is None:
            date_node = _child(node, "lastmod")
        published = parse_date(date_node.text if date_node is not None else None)
        entries.append(
            FeedEntry(
                guid=link,
                url=link,
                title=_clean(title_node.text) if title_node is not None else None,
                published=published.value if published else None,
            )
        )
    return ParsedFeed(kind="sitemap", url=url, entries=tuple(entries), problems=tuple(problems))


def _sitemap_index(root: Element, url: str, problems: list[str]) -> ParsedFeed:
    """A sitemap index: never an article nor entries, only its child sitemaps' URLs."""
    children: list[str] = []
    for node in root:
        loc = _child(node, "loc")
        location = (loc.text or "").strip() if loc is not None else ""
        child = absolute_url(location, url)
        if not child:
            problems.append(f"a sitemap without an http(s) <loc> ({location[:80]!r})")
        elif len(children) >= MAX_SITEMAP_CHILDREN:
            problems.append(f"more than {MAX_SITEMAP_CHILDREN} sitemaps: the rest are ignored")
            break
        elif child not in children:
            children.append(child)
    return ParsedFeed(
        kind="sitemap_index", url=url, children=tuple(children), problems=tuple(problems)
    )

"""Article metadata from every signal a page gives: JSON-LD, OpenGraph, meta tags, microdata,
``<time>`` elements and byline patterns. Read before the DOM is pruned. The elements read are
found once (``signals``); the publication and update times have their own module
(``published``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdesk.dates import date_from_url
from newsdesk.extract.published import published_of, updated_of
from newsdesk.extract.signals import (
    WS,
    Page,
    Signals,
    clean_value,
    gather,
    similar,
    visible_meta_texts,
)
from newsdesk.urls import absolute_url, is_http_url

__all__ = ["Metadata", "read_metadata"]

_ARTICLE_TYPES = frozenset(
    {
        "newsarticle",
        "article",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "socialmediaposting",
        "liveblogposting",
        "techarticle",
        "scholarlyarticle",
        "webpage",
        "posting",
        "report",
        "advertisercontentarticle",
        "satiricalarticle",
        "medicalwebpage",
        "creativework",
    }
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—·•:»«/]|::)\s+")
_BY = re.compile(
    r"^\s*(?:(?:posted|written|words|story|text|reported)\s+)?"
    r"(?:by|por|von|par|di|de|door|av|przez)\s*[:\-]?\s+",
    re.I,
)
# Connectors between names are lower-case words ("Ann Lee and Bo Chen"): an upper-case "E."
# is a middle initial, not Portuguese "e".
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|;|\||\s(?:and|AND|y|und|et|e|with)\s)\s*")
# Where a byline's names end: a date, "on Monday", "Updated ...", a separator.
_BYLINE_TAIL = re.compile(
    r"\s(?:on|updated|published|posted|am|le|el|il|em)\s|\s[-–—|•·]\s|\d|\s@", re.I
)


@dataclass(slots=True)
class Metadata:
    url: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    image: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    article_body: str | None = None


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.lower() for v in values if isinstance(v, str)}


def _walk_jsonld(data: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            _walk_jsonld(item, out, depth + 1)
    elif isinstance(data, dict):
        if _types(data) & _ARTICLE_TYPES:
            out.append(data)
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement"):
            if key in data:
                _walk_jsonld(data[key], out, depth + 1)


def _jsonld_objects(signals: Signals) -> tuple[list[dict[str, Any]], str | None]:
    found: list[dict[str, Any]] = []
    publisher = None
    for node in signals.jsonld:
        raw = node.text(deep=True)
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw.strip().rstrip(";"))
            _walk_jsonld(data, found)
            if publisher is None:
                publisher = _publisher_of(data)
        except (ValueError, RecursionError):  # not JSON, or nested past any real use
            continue
    # Most specific type first: a NewsArticle beats a generic WebPage.
    found.sort(key=lambda o: "webpage" in _types(o) or "creativework" in _types(o))
    return found, publisher


def _publisher_of(data: Any) -> str | None:
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            pub = item.get("publisher")
            if isinstance(pub, dict):
                return clean_value(pub.get("name"))
            graph = item.get("@graph")
            if isinstance(graph, list):
                for node in graph:
                    if isinstance(node, dict) and "organization" in _types(node):
                        return clean_value(node.get("name"))
    return None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return _names(name) if name else []
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def _first_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _first_url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list) and value:
        return _first_url(value[0])
    return None


def _meta_map(signals: Signals) -> tuple[dict[str, str], list[str]]:
    """First value of each meta name/property, and every ``article:tag`` (it repeats)."""
    metas: dict[str, str] = {}
    article_tags: list[str] = []
    for node in signals.metas:
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content and content.strip():
            key = key.strip().lower()
            if key == "article:tag":
                article_tags.append(content.strip())
            metas.setdefault(key, content.strip())
    return metas, article_tags


def _split_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for v in value for t in _split_tags(v)]
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return []


def _clean_author(raw: str) -> list[str]:
    text = _BY.sub("", WS.sub(" ", raw).strip())
    text = _BYLINE_TAIL.split(text, maxsplit=1)[0]  # "Ann Lee on Monday, ..." -> "Ann Lee"
    if not text or is_http_url(text) or text.startswith("/"):
        return []
    names = []
    for raw_part in _AUTHOR_SPLIT.split(text):
        part = raw_part.strip(" .:-–—")
        if 2 <= len(part) <= 60 and not any(ch.isdigit() or ch in "@()[]{}<>" for ch in part):
            names.append(part)
    return names


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _dedupe_names(names: list[str]) -> list[str]:
    """Drop repeats, and a name that merely extends another ("Ann Lee Staff Writer")."""
    unique = _dedupe(names)
    keys = [n.casefold() for n in unique]
    return [
        name
        for name, key in zip(unique, keys, strict=True)
        if not any(other != key and key.startswith(other + " ") for other in keys)
    ]


def _title_candidates(ld: dict[str, Any], metas: dict[str, str], signals: Signals) -> list[str]:
    title_node = signals.title
    raw = [
        clean_value(ld.get("headline")),
        clean_value(metas.get("og:title")),
        clean_value(metas.get("twitter:title")),
        clean_value(metas.get("headline")),
        clean_value(title_node.text()) if title_node is not None else None,
    ]
    return [t for t in raw if t]


def _strip_site_name(title: str, site: str | None) -> str:
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site:
        key = site.casefold()
        kept = [p for p in parts if p.casefold() != key and key not in p.casefold()[: len(key) + 4]]
        if kept and len(kept) < len(parts):
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # Without a known site name, drop a short last (or first) segment.
    if len(parts[-1]) <= 30 and len(parts[0]) > len(parts[-1]):
        return (
            _TITLE_SEPARATORS.split(title, maxsplit=len(parts) - 2)[0]
            if len(parts) > 2
            else parts[0]
        )
    return title


def _pick_title(candidates: list[str], site: str | None, h1_texts: list[str]) -> str | None:
    if not candidates:
        return h1_texts[0] if h1_texts else None
    h1_keys = {h.casefold() for h in h1_texts}
    for cand in candidates:
        if cand.casefold() in h1_keys:
            return cand
    for cand in candidates:
        stripped = _strip_site_name(cand, site)
        if stripped.casefold() in h1_keys:
            return stripped
    for h1 in h1_texts:  # the visible headline, when a candidate is nearly the same words
        if len(h1) > 15 and any(similar(h1, c) for c in candidates):
            return h1
    for h1 in h1_texts:  # an h1 that a candidate starts or ends with is the clean headline
        key = h1.casefold()
        if len(h1) > 15 and any(
            c.casefold().startswith(key) or c.casefold().endswith(key) for c in candidates
        ):
            return h1
    return _strip_site_name(candidates[0], site)


def _byline_authors(tree: LexborHTMLParser, signals: Signals) -> list[str]:
    found: list[str] = []
    for node in tree.css(
        '[rel="author"]:not(form *), [itemprop="author"]:not(form *), '
        '[class*="byline"]:not(form *), [class*="author"]:not(form *)'
    ):
        if len(found) >= 4:
            break
        if node.attributes.get("itemprop") == "author":
            name_node = node.css_first('[itemprop="name"]')
            text = (
                (name_node.attributes.get("content") or name_node.text())
                if name_node
                else node.text()
            )
        else:
            text = node.text(deep=True, separator=" ")
        text = WS.sub(" ", text or "").strip()
        if 3 <= len(text) <= 80:
            found.extend(_clean_author(text))
    if not found:
        for text in visible_meta_texts(tree, signals):
            if _BY.match(text):
                found.extend(_clean_author(text))
                break
    return found


def _pick_headline(
    tree: LexborHTMLParser, h1s: list[LexborNode], title: str | None
) -> LexborNode | None:
    """The heading that is the story's headline: the ``h1`` that reads as the title (a
    site's logo is often an ``h1`` too), else an ``h2`` or ``h3`` that does (templates that
    keep ``h1`` for the site's name), else the first ``h1`` with text."""
    texts = [(node, WS.sub(" ", node.text()).strip()) for node in h1s[:5]]
    texts = [(node, text) for node, text in texts if text]
    if title:
        for node, text in texts:
            if text.casefold() == title.casefold() or similar(text, title):
                return node
        for node in tree.css("h2, h3")[:10]:
            text = WS.sub(" ", node.text()).strip()
            if len(text) > 15 and (text.casefold() == title.casefold() or similar(text, title)):
                return node
    return texts[0][0] if texts else None


# Each field's cascade: the first usable value wins, in this order.
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
    "citation_author",
)
_LANGUAGE_KEYS = ("og:locale", "content-language")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


def read_metadata(tree: LexborHTMLParser, url: str | None, html: str | None = None) -> Metadata:
    """Collect metadata from the unpruned DOM. ``url`` resolves relative URLs; ``html`` is
    the page's markup, for dates only its comments hold (an RDF block's ``dc:date``)."""
    signals = gather(tree)
    objects, publisher = _jsonld_objects(signals)
    metas, article_tags = _meta_map(signals)
    page = Page(
        tree, url, html, signals, objects, objects[0] if objects else {}, publisher, metas,
        article_tags,
    )  # fmt: skip
    meta = Metadata()
    meta.url = _url_of(page)
    meta.site_name = (
        clean_value(metas.get("og:site_name"))
        or publisher
        or clean_value(metas.get("application-name"))
    )
    h1_texts = [t for t in (clean_value(h.text()) for h in signals.h1s[:3]) if t]
    meta.title = _pick_title(_title_candidates(page.ld, metas, signals), meta.site_name, h1_texts)
    signals.headline = _pick_headline(tree, signals.h1s, meta.title)
    meta.authors = _authors_of(page)
    meta.language = _language_of(page)
    meta.published = published_of(page, meta.url, meta.language)
    meta.updated = updated_of(page)
    meta.description = clean_value(metas.get("og:description")) or clean_value(
        metas.get("description")
    )
    meta.description = (
        meta.description
        or clean_value(page.ld.get("description"))
        or clean_value(metas.get("twitter:description"))
    )
    image = metas.get("og:image") or metas.get("og:image:url") or _first_url(page.ld.get("image"))
    meta.image = absolute_url(image or metas.get("twitter:image"), url)
    section = page.ld.get("articleSection")
    if isinstance(section, list):
        section = section[0] if section else None
    meta.section = clean_value(metas.get("article:section")) or clean_value(section)
    tags = (
        _split_tags(article_tags)
        or _split_tags(page.ld.get("keywords"))
        or _split_tags(metas.get("news_keywords") or metas.get("keywords"))
    )
    meta.tags = _dedupe(tags)[:30]
    if meta.published is None and meta.image:  # the lead image's upload day, last
        image_day = date_from_url(meta.image)
        meta.published = image_day.value if image_day is not None else None
    body = page.ld.get("articleBody")
    meta.article_body = body if isinstance(body, str) else None
    return meta


def _url_of(page: Page) -> str | None:
    """The canonical link, og:url, JSON-LD's mainEntityOfPage or url: the first that is an
    absolute http(s) URL once resolved."""
    canonical = page.signals.canonical
    for candidate in (
        canonical.attributes.get("href") if canonical is not None else None,
        page.metas.get("og:url"),
        _first_url(page.ld.get("mainEntityOfPage")),
        page.ld.get("url"),
    ):
        resolved = absolute_url(candidate if isinstance(candidate, str) else None, page.url)
        if resolved and is_http_url(resolved):
            return resolved
    return None


def _authors_of(page: Page) -> list[str]:
    """JSON-LD's authors, else the first author meta key that names someone, else the
    byline under the headline."""
    authors = [n for raw in _names(page.ld.get("author")) for n in _clean_author(raw)]
    for key in _AUTHOR_KEYS:
        if authors:
            break
        if key in page.metas:
            authors = _clean_author(page.metas[key])
    if not authors:
        authors = _byline_authors(page.tree, page.signals)
    return _dedupe_names(authors)


def _language_of(page: Page) -> str | None:
    """``<html lang>``, JSON-LD's inLanguage, og:locale or Content-Language, as a tag."""
    root = page.tree.root
    lang = (root.attributes.get("lang") if root is not None else None) or clean_value(
        page.ld.get("inLanguage")
    )
    for key in _LANGUAGE_KEYS:
        lang = lang or page.metas.get(key)
    if not lang:
        return None
    lang = lang.strip().replace("_", "-")
    return lang if _LANGUAGE_TAG.fullmatch(lang) else None

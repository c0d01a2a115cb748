"""Article metadata from every signal a page gives: JSON-LD, OpenGraph, meta tags, microdata,
``<time>`` elements and byline patterns. Read before the DOM is pruned."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdesk.dates import ParsedDate, date_from_url, in_local_time, parse_date
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
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_PUBLISHED_LINE = re.compile(r"^\s*(?:by|published|posted|por|von|par|di)\b", re.I)
_UPDATED = re.compile(r"^\s*(?:updated|modified|last (?:updated|modified))\b", re.I)
# Where a byline's names end: a date, "on Monday", "Updated ...", a separator.
_BYLINE_TAIL = re.compile(
    r"\s(?:on|updated|published|posted|am|le|el|il|em)\s|\s[-–—|•·]\s|\d|\s@", re.I
)
# Short page furniture that states when (and often by whom) a story was published.
_VISIBLE_META = (
    ", ".join(
        f'[class*="{word}"]:not(form *)'
        for word in ("byline", "meta", "date", "publish", "posted", "created", "author", "datum")
    )
    + ", time, abbr.published"
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


_SIGNAL_SELECTOR = (
    'meta, script[type="application/ld+json"], title, link[rel="canonical"], h1, '
    'time[datetime], [itemprop="datePublished"], [itemprop="dateModified"]'
)


@dataclass(slots=True)
class _Signals:
    """Every element metadata is read from, found in one pass of the selector engine."""

    metas: list[LexborNode] = field(default_factory=list)
    jsonld: list[LexborNode] = field(default_factory=list)
    title: LexborNode | None = None
    canonical: LexborNode | None = None
    h1s: list[LexborNode] = field(default_factory=list)
    times: list[LexborNode] = field(default_factory=list)
    itemprops: dict[str, LexborNode] = field(default_factory=dict)
    headline: LexborNode | None = None  # the h1 that is the story's headline (read_metadata)
    visible: list[str] | None = None  # _visible_meta_texts, once found


def _gather(tree: LexborHTMLParser) -> _Signals:
    signals = _Signals()
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


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = _WS.sub(" ", html.unescape(value) if "&" in value else value).strip()
    return text or None


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


def _jsonld_objects(signals: _Signals) -> tuple[list[dict[str, Any]], str | None]:
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
                return _clean(pub.get("name"))
            graph = item.get("@graph")
            if isinstance(graph, list):
                for node in graph:
                    if isinstance(node, dict) and "organization" in _types(node):
                        return _clean(node.get("name"))
    return None


def _all_ld(objects: list[dict[str, Any]], key: str) -> list[str | None]:
    """``key`` from every JSON-LD article object, most specific type first."""
    return [obj[key] for obj in objects if isinstance(obj.get(key), str)]


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


def _meta_map(signals: _Signals) -> tuple[dict[str, str], list[str]]:
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
    text = _BY.sub("", _WS.sub(" ", raw).strip())
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


def _pick_date(candidates: list[str | None], local: tuple[ParsedDate, ...] = ()) -> datetime | None:
    """The first (most trusted) date; a later signal on the same day with more precision wins.
    A UTC instant is then put in the page's own offset when the other signals (or ``local``,
    the URL's day) tell it (dates.in_local_time)."""
    parsed: list[ParsedDate] = [p for p in map(parse_date, candidates) if p is not None]
    if not parsed:
        return None
    best = parsed[0]
    for other in parsed[1:]:
        same_day = abs((other.value - best.value).total_seconds()) < 36 * 3600
        if other.precision > best.precision and same_day:
            best = other
    return in_local_time(best, [*parsed, *local])


def _title_candidates(ld: dict[str, Any], metas: dict[str, str], signals: _Signals) -> list[str]:
    title_node = signals.title
    raw = [
        _clean(ld.get("headline")),
        _clean(metas.get("og:title")),
        _clean(metas.get("twitter:title")),
        _clean(metas.get("headline")),
        _clean(title_node.text()) if title_node is not None else None,
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


def _similar(a: str, b: str) -> bool:
    words_a, words_b = set(_WORD.findall(a.casefold())), set(_WORD.findall(b.casefold()))
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) / len(words_a | words_b) >= 0.7


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
        if len(h1) > 15 and any(_similar(h1, c) for c in candidates):
            return h1
    for h1 in h1_texts:  # an h1 that a candidate starts or ends with is the clean headline
        key = h1.casefold()
        if len(h1) > 15 and any(
            c.casefold().startswith(key) or c.casefold().endswith(key) for c in candidates
        ):
            return h1
    return _strip_site_name(candidates[0], site)


def _byline_authors(tree: LexborHTMLParser, signals: _Signals) -> list[str]:
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
        text = _WS.sub(" ", text or "").strip()
        if 3 <= len(text) <= 80:
            found.extend(_clean_author(text))
    if not found:
        for text in _visible_meta_texts(tree, signals):
            if _BY.match(text):
                found.extend(_clean_author(text))
                break
    return found


def _visible_meta_texts(tree: LexborHTMLParser, signals: _Signals) -> list[str]:
    """Short texts of byline and date furniture, in page order (the first twenty); found
    once per page (authors and dates both ask)."""
    if signals.visible is not None:
        return signals.visible
    texts: list[str] = []
    signals.visible = texts
    for node in tree.css(_VISIBLE_META)[:40]:
        text = _WS.sub(" ", node.text(deep=True, separator=" ")).strip()
        tooltip = node.attrs.get("title")
        if tooltip and parse_date(text) is None:  # "3 hours ago": the date is a tooltip
            text = tooltip
        if 6 <= len(text) <= 150:
            texts.append(text)
            if len(texts) == 20:
                break
    return texts


def _visible_date(tree: LexborHTMLParser, signals: _Signals) -> str | None:
    """A date stated in byline or date furniture ("By Ann Lee on Monday, May 4th, 2026")."""
    texts = [t for t in _visible_meta_texts(tree, signals) if not _UPDATED.match(t)]
    # A byline or "Published" line first: other date furniture may belong to other stories.
    texts.sort(key=lambda t: not _PUBLISHED_LINE.match(t))
    return next((t for t in texts if parse_date(t) is not None), None)


# Publication dates that scripts state for analytics and ads ("datePublished" in a JSON-LD
# block that does not parse, var publication_date = "...", a data layer's
# "first-publication"): read only when no metadata, <time> or visible date is found.
_SCRIPT_KEYS = (
    "datePublished",
    "publicationDate",
    "publication_date",
    "publish_date",
    "publishDate",
    "pubDate",
    "first-publication",
    "firstPublished",
    "dateCreated",
    "DateCreation",
)
_SCRIPT_VALUE = re.compile(r"""["']?\s*[:=]\s*["']([^"'<>]{8,40})["']""")


_DATE_KEY = re.compile(r"publish|pubdate|created|uploaded|(?:^|[:._-])date$")
_RDF_DATE = re.compile(r"""dc:date=["']([^"']{8,40})["']""")


def _other_meta_dates(metas: dict[str, str], html: str | None) -> list[str | None]:
    """Dates in meta tags no vocabulary above names (``<site>:uploaded``, ``x:date``), then an
    RDF block's ``dc:date`` (blogs put one in a comment)."""
    found: list[str | None] = [
        value
        for key, value in metas.items()
        if _DATE_KEY.search(key) and "modified" not in key and "update" not in key
    ]
    if html is not None:
        match = _RDF_DATE.search(html, 0, 2_000_000)
        found.append(match.group(1) if match else None)
    return found[:6]


def _first_text_date(tree: LexborHTMLParser) -> str | None:
    """The first short line of the page's text that is a date (within its first 20,000
    characters): the last resort before the URL's day."""
    body = tree.body
    if body is None:
        return None
    text = body.text(deep=True, separator="\n")[:20_000]
    # A date that is a link or quoted is another story's or an embedded post's.
    foreign: set[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if 6 <= len(line) <= 60 and any(c.isdigit() for c in line) and parse_date(line):
            if foreign is None:
                foreign = {n.text().strip() for n in body.css("a, blockquote, blockquote *")}
            if line not in foreign:
                return line
    return None


def _date_near_headline(signals: _Signals) -> str | None:
    """The first short line that is a date in the headline's surroundings (up to three
    containers up, within about 1,500 characters before and 2,500 after it): where a page
    without date metadata states when it was published ("Datum: 22.12.2012", "am 20.06.2018")."""
    headline = signals.headline
    if headline is None:
        return None
    key = _WS.sub(" ", headline.text()).strip()
    node = headline.parent
    for _ in range(3):
        if node is None:
            break
        text = node.text(deep=True, separator="\n")
        at = text.find(key) if key else 0
        window = text[max(0, at - 1500) : at + len(key) + 2500]
        for raw in window.splitlines():
            line = raw.strip()
            if 6 <= len(line) <= 100 and any(c.isdigit() for c in line) and parse_date(line):
                return line
        node = node.parent
    return None


def _script_dates(tree: LexborHTMLParser, html: str | None) -> list[str | None]:
    """Up to five dates that scripts state under a publication key, in page order. Each key
    is looked for with ``str.find`` in the page's markup (a regex scan of every position of
    a large page cost more than the rest of metadata together)."""
    text = html if html is not None else "\n".join(n.text() or "" for n in tree.css("script"))
    found: list[tuple[int, str]] = []
    for key in _SCRIPT_KEYS:
        start = 0
        while True:
            at = text.find(key, start, 3_000_000)
            if at < 0:
                break
            start = at + len(key)
            match = _SCRIPT_VALUE.match(text, start)
            if match:
                found.append((at, match.group(1)))
                break
    return [value for _, value in sorted(found)[:5]]


def _microdata(signals: _Signals, prop: str) -> str | None:
    node = signals.itemprops.get(prop)
    if node is None:
        return None
    attrs = node.attributes
    return attrs.get("content") or attrs.get("datetime") or _clean(node.text())


def _time_elements(signals: _Signals, *, near: bool) -> list[str | None]:
    """``<time datetime>`` values: with ``near``, those closest to the headline (in its
    parent, else its grandparent), else the others (all are near on a page without a
    headline). On a page whose headline has no time beside it, the first
    times belong to teasers of other stories."""
    times = signals.times[:10]
    levels = _headline_containers(signals)
    if not levels:
        return [node.attributes.get("datetime") for node in times[:5]] if near else []
    for level in levels:
        close = [node for node in times if _inside(node, {level})]
        if close:
            chosen = close if near else [node for node in times if node not in close]
            return [node.attributes.get("datetime") for node in chosen[:5]]
    return [] if near else [node.attributes.get("datetime") for node in times[:5]]


def _headline_containers(signals: _Signals) -> list[int]:
    ids: list[int] = []
    node = signals.headline.parent if signals.headline is not None else None
    for _ in range(2):
        if node is None or node.tag in ("body", "html"):
            break
        ids.append(node.mem_id)
        node = node.parent
    return ids


def _pick_headline(h1s: list[LexborNode], title: str | None) -> LexborNode | None:
    """The ``h1`` that is the story's headline: the one that reads as the title (a site's
    logo is often an ``h1`` too), else the first one with text."""
    texts = [(node, _WS.sub(" ", node.text()).strip()) for node in h1s[:5]]
    texts = [(node, text) for node, text in texts if text]
    if title:
        for node, text in texts:
            if text.casefold() == title.casefold() or _similar(text, title):
                return node
    return texts[0][0] if texts else None


def _inside(node: LexborNode, ids: set[int]) -> bool:
    parent = node.parent
    for _ in range(12):
        if parent is None:
            return False
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


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
# Meta keys of the publication time, before and after the microdata ``datePublished``.
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
)
_PUBLISHED_LATER_KEYS = (
    "og:published_time",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
    "date",
    "citation_publication_date",
    "dcterms.date",
    "dcterms.created",
    "dc.date.created",
    "publication_date",
)
_UPDATED_KEYS = ("article:modified_time", "og:updated_time", "datemodified")
_LANGUAGE_KEYS = ("og:locale", "content-language")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


@dataclass
class _Page:
    """What every field's cascade reads: the DOM, the gathered signals, JSON-LD and metas."""

    tree: LexborHTMLParser
    url: str | None
    html: str | None
    signals: _Signals
    objects: list[dict[str, Any]]  # the JSON-LD objects, the article's first
    ld: dict[str, Any]  # the first of them (or nothing)
    publisher: str | None
    metas: dict[str, str]
    article_tags: list[str]


def read_metadata(tree: LexborHTMLParser, url: str | None, html: str | None = None) -> Metadata:
    """Collect metadata from the unpruned DOM. ``url`` resolves relative URLs; ``html`` is
    the page's markup, for dates only its comments hold (an RDF block's ``dc:date``)."""
    signals = _gather(tree)
    objects, publisher = _jsonld_objects(signals)
    metas, article_tags = _meta_map(signals)
    page = _Page(
        tree, url, html, signals, objects, objects[0] if objects else {}, publisher, metas,
        article_tags,
    )  # fmt: skip
    meta = Metadata()
    meta.url = _url_of(page)
    meta.site_name = (
        _clean(metas.get("og:site_name")) or publisher or _clean(metas.get("application-name"))
    )
    h1_texts = [t for t in (_clean(h.text()) for h in signals.h1s[:3]) if t]
    meta.title = _pick_title(_title_candidates(page.ld, metas, signals), meta.site_name, h1_texts)
    signals.headline = _pick_headline(signals.h1s, meta.title)
    meta.authors = _authors_of(page)
    meta.published = _published_of(page, meta.url)
    meta.updated = _pick_date(
        [
            *_all_ld(objects, "dateModified"),
            *(metas.get(key) for key in _UPDATED_KEYS),
            _microdata(signals, "dateModified"),
            metas.get("last-modified"),
        ]
    )
    meta.language = _language_of(page)
    meta.description = _clean(metas.get("og:description")) or _clean(metas.get("description"))
    meta.description = (
        meta.description
        or _clean(page.ld.get("description"))
        or _clean(metas.get("twitter:description"))
    )
    image = metas.get("og:image") or metas.get("og:image:url") or _first_url(page.ld.get("image"))
    meta.image = absolute_url(image or metas.get("twitter:image"), url)
    section = page.ld.get("articleSection")
    if isinstance(section, list):
        section = section[0] if section else None
    meta.section = _clean(metas.get("article:section")) or _clean(section)
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


def _url_of(page: _Page) -> str | None:
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


def _authors_of(page: _Page) -> list[str]:
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


def _published_of(page: _Page, canonical: str | None) -> datetime | None:
    """The publication time: the declared ones (JSON-LD, metas, microdata, ``<time>`` near
    the headline), then what scripts, the headline's neighbourhood, visible text and the
    URL's day say, in that order. A day in the URL decides between a date's readings."""
    signals, metas, ld = page.signals, page.metas, page.ld
    url_day = date_from_url(canonical) or date_from_url(page.url)
    local = (url_day,) if url_day is not None else ()
    created = ld.get("dateCreated")
    declared = _pick_date(
        [
            *_all_ld(page.objects, "datePublished"),
            *(metas.get(key) for key in _PUBLISHED_KEYS),
            _microdata(signals, "datePublished"),
            *(metas.get(key) for key in _PUBLISHED_LATER_KEYS),
            created if isinstance(created, str) else None,
            *_time_elements(signals, near=True),
        ],
        local,
    )
    return (
        declared
        or _pick_date(_script_dates(page.tree, page.html), local)
        or _pick_date([_date_near_headline(signals)], local)
        or _pick_date([_visible_date(page.tree, signals)], local)
        or _pick_date(_time_elements(signals, near=False), local)
        or _pick_date(_other_meta_dates(metas, page.html), local)
        or _pick_date([_first_text_date(page.tree)], local)
        or (url_day.value if url_day is not None else None)
    )


def _language_of(page: _Page) -> str | None:
    """``<html lang>``, JSON-LD's inLanguage, og:locale or Content-Language, as a tag."""
    root = page.tree.root
    lang = (root.attributes.get("lang") if root is not None else None) or _clean(
        page.ld.get("inLanguage")
    )
    for key in _LANGUAGE_KEYS:
        lang = lang or page.metas.get(key)
    if not lang:
        return None
    lang = lang.strip().replace("_", "-")
    return lang if _LANGUAGE_TAG.fullmatch(lang) else None

"""A page's publication and update times, each from its cascade of signals, in the page's own
offset (DESIGN §3: ``published`` and ``updated`` are told apart)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsdesk.dates import (
    DATE_ONLY,
    WITH_OFFSET,
    ParsedDate,
    date_from_url,
    in_local_time,
    month_from_url,
    parse_date,
)
from newsdesk.extract.signals import WS, Page, Signals, clean_value, inside, visible_meta_texts

__all__ = ["published_of", "updated_of"]

_PUBLISHED_LINE = re.compile(r"^\s*(?:by|published|posted|por|von|par|di)\b", re.I)
_UPDATED = re.compile(r"^\s*(?:updated|modified|last (?:updated|modified))\b", re.I)
# Words that make a date an update's, anywhere in a short line, in the lexicon's languages.
_UPDATE_WORDS = re.compile(
    r"updated|modified|aktualisiert|geändert|mis à jour|modifié|actualizado|atualizado|"
    r"aggiornato|bijgewerkt",
    re.I,
)


def _all_ld(objects: list[dict[str, Any]], key: str) -> list[str | None]:
    """``key`` from every JSON-LD article object, most specific type first."""
    return [obj[key] for obj in objects if isinstance(obj.get(key), str)]


@dataclass(frozen=True, slots=True)
class _Reading:
    """How a page's numeric dates that read both ways ("8/09/2012", "11.12.12") are read:
    the reading in the month its URL states (``/2012/08/``), else month first on a page in
    American English, else day first."""

    url_month: tuple[int, int] | None = None
    month_first: bool = False

    def parse(self, raw: str | None) -> ParsedDate | None:
        parsed = parse_date(raw, month_first=self.month_first)
        if parsed is None or self.url_month is None:
            return parsed
        if (parsed.value.year, parsed.value.month) == self.url_month:
            return parsed
        other = parse_date(raw, month_first=not self.month_first)
        if other is not None and (other.value.year, other.value.month) == self.url_month:
            return other
        return parsed


_DEFAULT_READING = _Reading()


def _pick_date(
    candidates: list[str | None],
    local: tuple[ParsedDate, ...] = (),
    reading: _Reading = _DEFAULT_READING,
) -> datetime | None:
    """The first (most trusted) date; a later signal on the same day with more precision wins.
    A UTC instant is then put in the page's own offset when the other signals (or ``local``,
    the URL's day) tell it (dates.in_local_time)."""
    parsed: list[ParsedDate] = [p for p in map(reading.parse, candidates) if p is not None]
    if not parsed:
        return None
    best = parsed[0]
    for other in parsed[1:]:
        same_day = abs((other.value - best.value).total_seconds()) < 36 * 3600
        if other.precision > best.precision and same_day:
            best = other
    return in_local_time(best, [*parsed, *local])


def _visible_date(tree: LexborHTMLParser, signals: Signals) -> str | None:
    """A date stated in byline or date furniture ("By Ann Lee on Monday, May 4th, 2026")."""
    texts = [t for t in visible_meta_texts(tree, signals) if not _UPDATED.match(t)]
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


_CODE_COMMENTS = ("/*", "//", "<!--", "* ")
_DIGIT = re.compile(r"\d")


def _is_date_line(line: str) -> bool:
    """A line of the page's text that states a date, and is not a script's comment ("/*
    banner 728x90, created 02.06.10 */": no one's date; a script that writes the date,
    showDate("2020/04/17 01:43"), states the page's)."""
    return (
        len(line) >= 6
        and _DIGIT.search(line) is not None
        and not line.startswith(_CODE_COMMENTS)
        and parse_date(line) is not None
    )


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
        if len(line) <= 60 and _is_date_line(line):
            if foreign is None:
                foreign = {n.text().strip() for n in body.css("a, blockquote, blockquote *")}
            if line not in foreign:
                return line
    return None


def _date_near_headline(signals: Signals) -> str | None:
    """The first short line that is a date in the headline's surroundings (up to three
    containers up, within about 1,500 characters before and 2,500 after it): where a page
    without date metadata states when it was published ("Datum: 22.12.2012", "am 20.06.2018")."""
    headline = signals.headline
    if headline is None:
        return None
    key = WS.sub(" ", headline.text()).strip()
    node = headline.parent
    for _ in range(3):
        if node is None:
            break
        text = node.text(deep=True, separator="\n")
        at = text.find(key) if key else 0
        window = text[max(0, at - 1500) : at + len(key) + 2500]
        for raw in window.splitlines():
            line = raw.strip()
            # The headline itself may hold a date ("Sunday Superlatives 8/5/2012"): not when.
            if len(line) <= 100 and line != key and _is_date_line(line):
                return line
        node = node.parent
    return None


# Every key holds one of these stems: the page is scanned once per stem, not once per key.
_STEMS = ("ublish", "ublication", "ubDate", "ateCreat")
_BY_STEM = {
    stem: [
        (key, key.index(stem))
        for key in _SCRIPT_KEYS
        if next(s for s in _STEMS if s in key) == stem
    ]
    for stem in _STEMS
}
_SCRIPT_LIMIT = 3_000_000


def _script_dates(tree: LexborHTMLParser, html: str | None) -> list[str | None]:
    """Up to five dates that scripts state under a publication key (each key's first
    occurrence followed by a value), in page order. The keys are found with ``str.find`` of
    their stems in the page's markup (a regex scan of every position of a large page cost
    more than the rest of metadata together; ten scans, one per key, half of it)."""
    text = html if html is not None else "\n".join(n.text() or "" for n in tree.css("script"))
    found: list[tuple[int, str]] = []
    for stem, keys in _BY_STEM.items():
        pending = dict(keys)  # key -> offset of the stem in it
        after = dict.fromkeys(pending, 0)  # where each key's next occurrence may start
        position = text.find(stem, 0, _SCRIPT_LIMIT)
        while position >= 0 and pending:
            for key, offset in list(pending.items()):
                at = position - offset
                if at < after[key] or not text.startswith(key, at, _SCRIPT_LIMIT):
                    continue
                after[key] = at + len(key)
                match = _SCRIPT_VALUE.match(text, at + len(key))
                if match:
                    found.append((at, match.group(1)))
                    del pending[key]
            position = text.find(stem, position + 1, _SCRIPT_LIMIT)
    return [value for _, value in sorted(found)[:5]]


def _microdata(signals: Signals, prop: str) -> str | None:
    node = signals.itemprops.get(prop)
    if node is None:
        return None
    attrs = node.attributes
    return attrs.get("content") or attrs.get("datetime") or clean_value(node.text())


def _time_elements(signals: Signals, *, near: bool) -> list[str | None]:
    """``<time datetime>`` values: with ``near``, those closest to the headline (in its
    parent, else its grandparent), else the others (all are near on a page without a
    headline). On a page whose headline has no time beside it, the first
    times belong to teasers of other stories."""
    times = signals.times[:10]
    levels = _headline_containers(signals)
    if not levels:
        return _time_values(times[:5]) if near else []
    for level in levels:
        close = [node for node in times if inside(node, {level})]
        if close:
            return _time_values(close[:5] if near else [n for n in times if n not in close][:5])
    return [] if near else _time_values(times[:5])


def _time_values(nodes: list[LexborNode]) -> list[str | None]:
    """Each ``<time>``'s ``datetime``, after its visible text when that states another day
    ("Publié le 29 juin 2019" over a ``datetime`` of the 3 July: the attribute is often when
    the page was indexed or edited). The reader's day is the text's; a UTC ``datetime`` on a
    neighbouring day then takes its day from the text (dates.in_local_time)."""
    values: list[str | None] = []
    for node in nodes:
        value = node.attributes.get("datetime")
        text = WS.sub(" ", node.text()).strip()
        if 6 <= len(text) <= 80 and not _UPDATE_WORDS.search(text):
            stated = parse_date(value)
            # Either reading of a numeric date ("8/9/2012") agreeing with the attribute is
            # agreement: the text then says nothing the attribute does not.
            shown = [parse_date(text, month_first=first) for first in (False, True)]
            days = {p.value.date() for p in shown if p is not None}
            if days and (stated is None or stated.value.date() not in days):
                values.append(text)
        values.append(value)
    return values


def _headline_containers(signals: Signals) -> list[int]:
    ids: list[int] = []
    node = signals.headline.parent if signals.headline is not None else None
    for _ in range(2):
        if node is None or node.tag in ("body", "html"):
            break
        ids.append(node.mem_id)
        node = node.parent
    return ids


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


def published_of(page: Page, canonical: str | None, language: str | None) -> datetime | None:
    """The publication time: the declared ones (JSON-LD, metas, microdata, ``<time>`` near
    the headline), then what scripts, the headline's neighbourhood, visible text and the
    URL's day say, in that order. A day in the URL decides between a date's readings."""
    signals, metas, ld = page.signals, page.metas, page.ld
    url_day = date_from_url(canonical) or date_from_url(page.url)
    local = (url_day,) if url_day is not None else ()
    reading = _Reading(
        month_from_url(canonical) or month_from_url(page.url),
        (language or "").lower().startswith("en-us"),
    )
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
        reading,
    )
    if declared is not None:
        return _script_local_day(declared, page) if not local else declared
    return (
        _pick_date(_script_dates(page.tree, page.html), local, reading)
        or _pick_date([_date_near_headline(signals)], local, reading)
        or _pick_date([_visible_date(page.tree, signals)], local, reading)
        or _pick_date(_time_elements(signals, near=False), local, reading)
        or _pick_date(_other_meta_dates(metas, page.html), local, reading)
        or _pick_date([_first_text_date(page.tree)], local, reading)
        or (url_day.value if url_day is not None else None)
    )


def _script_local_day(declared: datetime, page: Page) -> datetime:
    """A UTC instant's local day from a day that a script states under a publication key
    (``"publishDate": "2020-08-24"`` beside ``2020-08-25T00:23:33Z``: an evening story in
    Ottawa), when no URL day already decided it."""
    if declared.utcoffset() != timedelta(0) or declared.time() == time(0):
        return declared
    days = [p for p in map(parse_date, _script_dates(page.tree, page.html)) if p is not None]
    days = [p for p in days if p.precision == DATE_ONLY]
    if not days:
        return declared
    return in_local_time(ParsedDate(declared, WITH_OFFSET), days)


def updated_of(page: Page) -> datetime | None:
    """The last update: modification signals only, never a publication one."""
    return _pick_date(
        [
            *_all_ld(page.objects, "dateModified"),
            *(page.metas.get(key) for key in _UPDATED_KEYS),
            _microdata(page.signals, "dateModified"),
            page.metas.get("last-modified"),
        ]
    )

"""Date strings from pages to timezone-aware datetimes, with how precise each one is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import NamedTuple

__all__ = [
    "ParsedDate",
    "date_from_url",
    "in_local_time",
    "month_from_url",
    "parse_date",
    "parse_http_date",
]

# Precision: a full timestamp with an offset beats a naive time (taken as UTC), which beats
# a bare date. "The most specific signal wins" compares these.
WITH_OFFSET, NAIVE_TIME, DATE_ONLY = 3, 2, 1


class ParsedDate(NamedTuple):
    value: datetime
    precision: int


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP header's date (Last-Modified, If-Modified-Since, Retry-After, Expires) as an
    aware datetime (UTC when the header gives no zone); None when it is not a date."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# Month names in the languages pages are most often dated in: English, French, German,
# Spanish, Portuguese, Italian, Dutch, the Scandinavian languages, Romanian, Polish, Russian
# and Ukrainian (genitive, as dates use them), Turkish and Arabic (the Gregorian names and the
# Levantine ones, often written together: "24 نيسان / أبريل 2020"). "_" is a space.
_MONTH_NAMES = (
    "january jan janvier januar enero janeiro gennaio januari ianuarie stycznia января "
    "січня ocak يناير كانون_الثاني",
    "february feb février februar febrero fevereiro febbraio februari februarie lutego "
    "февраля лютого şubat فبراير شباط",
    "march mar mars märz marzo março maart martie marca марта березня mart مارس آذار",
    "april apr avril abril aprile aprilie kwietnia апреля квітня nisan أبريل إبريل نيسان",
    "may mai mayo maio maggio mei maj maja мая травня mayıs مايو أيار",
    "june jun juin juni junio junho giugno iunie czerwca июня червня haziran يونيو حزيران",
    "july jul juillet juli julio julho luglio iulie lipca июля липня temmuz يوليو تموز",
    "august aug août agosto augustus augusti sierpnia августа серпня ağustos أغسطس آب",
    "september sep sept septembre septiembre setembro settembre septembrie września "
    "сентября вересня eylül سبتمبر أيلول",
    "october oct octobre oktober octubre outubro ottobre octombrie października октября "
    "жовтня ekim أكتوبر تشرين_الأول",
    "november nov novembre noviembre novembro noiembrie listopada ноября листопада kasım "
    "نوفمبر تشرين_الثاني",
    "december dec décembre dezember diciembre dezembro dicembre decembrie grudnia декабря "
    "грудня aralık ديسمبر كانون_الأول",
)
_MONTHS = {
    name.replace("_", " "): i + 1 for i, names in enumerate(_MONTH_NAMES) for name in names.split()
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))


def _fold(name: str) -> str:
    # Matching ignores case, and Turkish "I" matches "ı": look names up case-folded, dotless.
    return name.casefold().replace("ı", "i").replace("i̇", "i")


_FOLDED = {_fold(name): month for name, month in _MONTHS.items()}
# A second name for the same month after a slash ("24 نيسان / أبريل 2020", "März/March").
_ALSO = rf"(?:\s*/\s*(?:{_MONTH_RE}))?"
_MDY = re.compile(rf"\b({_MONTH_RE}){_ALSO}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:\.|st|nd|rd|th)?\s+(?:de\s+|of\s+)?({_MONTH_RE}){_ALSO}\.?,?\s+"
    rf"(?:de\s+)?(\d{{4}})\b",
    re.I,
)
_NUMERIC = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
# Day first with dots ("06.10.2017", German and most of Europe); with slashes day first unless
# the day cannot be ("17/03/2020", but "08/23/2017" is month first).
_NUMERIC_DMY = re.compile(r"(?<![\d.])(\d{1,2})([./])(\d{1,2})\2((?:19|20)\d{2})(?!\d|\.\d)")
# Day first with a two-digit year ("30.10.23", "8.5.12"): dots only, and not inside a longer
# run of numbers or a word ("v1.2.23", "1.2.23.4").
_SHORT_DMY = re.compile(r"(?<![\w.])(\d{1,2})\.(\d{1,2})\.(\d{2})(?!\w|\.\w)")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?", re.I)
_TZ_ABBR = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
    "bst": 1,
    "cet": 1,
    "cest": 2,
    "ist": 5.5,
    "jst": 9,
    "kst": 9,
    "aest": 10,
    "aedt": 11,
}
# A zone's name, or GMT/UTC with an offset ("GMT+10", "UTC+5:30", "GMT-0400").
_TZ_RE = re.compile(
    r"\b(" + "|".join(_TZ_ABBR) + r")\b(?:\s?([+-])(\d{1,2})(?::?(\d{2}))?\b)?", re.I
)
_YEAR = re.compile(r"\d{4}")
_OFFSET_NO_COLON = re.compile(r"([+-])(\d{2})(\d{2})$")


def _sane(value: datetime) -> bool:
    return 1990 <= value.year <= 2100


def parse_date(raw: str | None, *, month_first: bool = False) -> ParsedDate | None:
    """Parse ISO 8601, RFC 2822, epoch seconds or milliseconds, or a written-out date.

    A numeric date that reads both ways ("08/09/2012", "11.12.12") is day first, or month
    first with ``month_first`` (the page is American English, or its URL's month says so).
    Returns None when nothing date-like is found or the year is implausible.
    """
    if not raw:
        return None
    text = raw.strip()[:200]
    # Every form below has a run of four digits but the two-digit year's: most lines of a
    # page are tested, and most have neither.
    if not text or (_YEAR.search(text) is None and _SHORT_DMY.search(text) is None):
        return None
    for parser in (_iso, _epoch, _rfc2822):
        parsed = parser(text)
        if parsed is not None and _sane(parsed.value):
            return parsed
    parsed = _written(text, month_first)
    return parsed if parsed is not None and _sane(parsed.value) else None


def _iso(text: str) -> ParsedDate | None:
    if not text[:4].isdigit():  # every ISO 8601 form starts with the year
        return None
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    candidate = _OFFSET_NO_COLON.sub(r"\1\2:\3", candidate)
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if value.tzinfo is not None:
        return ParsedDate(value, WITH_OFFSET)
    if "T" in candidate:
        return ParsedDate(value.replace(tzinfo=UTC), NAIVE_TIME)
    return ParsedDate(value.replace(tzinfo=UTC), DATE_ONLY)


def _epoch(text: str) -> ParsedDate | None:
    if not re.fullmatch(r"\d{10}(?:\d{3})?", text):
        return None
    seconds = int(text) / (1000 if len(text) == 13 else 1)
    return ParsedDate(datetime.fromtimestamp(seconds, tz=UTC), WITH_OFFSET)


def _rfc2822(text: str) -> ParsedDate | None:
    if not re.match(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", text):
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if value.tzinfo is None:
        return ParsedDate(value.replace(tzinfo=UTC), NAIVE_TIME)
    return ParsedDate(value, WITH_OFFSET)


def _written(text: str, month_first: bool = False) -> ParsedDate | None:
    found = _find_written(text, month_first)
    if found is None:
        return None
    (year, month, day), match = found
    try:
        value = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    rest = text[match.end() :]
    time_match = _TIME.search(rest)
    if not time_match:
        return ParsedDate(value, DATE_ONLY)
    hour, minute = int(time_match.group(1)), int(time_match.group(2))
    second = int(time_match.group(3) or 0)
    meridiem = (time_match.group(4) or "").lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return ParsedDate(value, DATE_ONLY)
    value = value.replace(hour=hour, minute=minute, second=second)
    tz_match = _TZ_RE.search(rest[time_match.end() :])
    if tz_match:
        hours = _TZ_ABBR[tz_match.group(1).lower()]
        sign, shift, minutes = tz_match.group(2, 3, 4)
        if sign and hours == 0 and int(shift) <= 14:
            hours = int(shift) + int(minutes or 0) / 60
            hours = -hours if sign == "-" else hours
        offset = timezone(timedelta(hours=hours))
        return ParsedDate(value.replace(tzinfo=offset), WITH_OFFSET)
    return ParsedDate(value, NAIVE_TIME)


def _find_written(
    text: str, month_first: bool = False
) -> tuple[tuple[int, int, int], re.Match[str]] | None:
    """The first written-out or numeric date in ``text``: (year, month, day) and its match."""
    if _YEAR.search(text) is None:  # every form but the two-digit year's has four digits
        match = _SHORT_DMY.search(text)
        if match is None:
            return None
        day, month, year = (int(g) for g in match.groups())
        if month_first and day <= 12:
            day, month = month, day
        return (year + (1900 if year >= 90 else 2000), month, day), match
    match = _MDY.search(text)
    if match:
        month, day = _FOLDED[_fold(match.group(1))], int(match.group(2))
        return (int(match.group(3)), month, day), match
    match = _DMY.search(text)
    if match:
        day, month = int(match.group(1)), _FOLDED[_fold(match.group(2))]
        return (int(match.group(3)), month, day), match
    match = _NUMERIC.search(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return (year, month, day), match
    match = _NUMERIC_DMY.search(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        if (match.group(2) == "/" and second > 12 >= first) or (month_first and first <= 12):
            first, second = second, first  # month first: asked for, or the "day" cannot be a month
        return (year, second, first), match
    return None


def _url_path(url: str) -> str:
    """A URL's path: without its query and fragment, and without its scheme and host."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    scheme_end = path.find("//")
    return path[path.find("/", scheme_end + 2) :] if scheme_end >= 0 else path


_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$|\d{6})"
)


def date_from_url(url: str | None) -> ParsedDate | None:
    """The day a URL's path states (``/2023/11/08/``, ``/2020-08-24-``, ``/20200413/``), at
    day precision; None when the path holds no full date."""
    if not url:
        return None
    match = _URL_DATE.search(_url_path(url))
    if match is None:
        return None
    try:
        year, month, day = (int(g) for g in match.groups())
        value = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    return ParsedDate(value, DATE_ONLY) if _sane(value) else None


_URL_MONTH = re.compile(r"/((?:19|20)\d{2})[/_-](0[1-9]|1[0-2])(?=[/_-])")


def month_from_url(url: str | None) -> tuple[int, int] | None:
    """The (year, month) a URL's path states (``/2012/08/slug``), or None."""
    if not url:
        return None
    match = _URL_MONTH.search(_url_path(url))
    return (int(match.group(1)), int(match.group(2))) if match else None


_UTC = timedelta(0)
_DAY = timedelta(days=1)


def in_local_time(best: ParsedDate, others: list[ParsedDate]) -> datetime:
    """``best`` in the page's own time when it is a UTC instant and the page says where it was.

    An evening story stamped ``2023-11-09T01:09:55Z`` was published on the 8th where it was
    written; the day must be taken in the page's offset, never in UTC. The offset comes from
    ``others`` (the page's other date signals): the same instant with a local offset; a naive
    wall-clock time for it (the offset is their difference, a whole quarter hour); else a
    local day (a date-only signal, a URL's date) one day before or after the UTC one, which
    then gives the day, at day precision, since its offset is unknown.
    """
    value = best.value
    if best.precision != WITH_OFFSET or value.utcoffset() != _UTC:
        return value
    for other in others:
        offset = other.value.utcoffset()
        if (
            other.precision == WITH_OFFSET
            and offset
            and abs((other.value - value).total_seconds()) < 60
        ):
            return value.astimezone(other.value.tzinfo)
    for other in others:
        if other.precision != NAIVE_TIME:
            continue
        gap = other.value.replace(tzinfo=None) - value.replace(tzinfo=None)
        seconds = gap.total_seconds()
        if gap != _UTC and abs(seconds) <= 14 * 3600 and seconds % 900 == 0:
            return value.astimezone(timezone(gap))
    for other in others:
        if other.precision != DATE_ONLY:
            continue
        day = other.value.date()
        if day == value.date():
            return value
        # The local day must be reachable by a real offset (UTC-12 to UTC+14).
        earlier = day == value.date() - _DAY and value.hour < 12
        later = day == value.date() + _DAY and value.hour >= 10
        if earlier or later:
            return other.value
    return value

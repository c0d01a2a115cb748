"""When to check a source again (the polling policy)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from itertools import pairwise

from newsdesk.config import Settings
from newsdesk.dates import parse_http_date
from newsdesk.model import FetchResult, ParsedFeed

DEFAULT_INTERVAL = 3600


def _max_age(cache_control: str | None) -> int | None:
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and value.strip().isdigit():
            return int(value.strip())
    return None


def _seconds_until(header: str | None, now: datetime) -> int | None:
    if not header:
        return None
    if header.strip().isdigit():
        return int(header.strip())
    when = parse_http_date(header)
    return max(0, int((when - now).total_seconds())) if when else None


def next_check(
    now: datetime,
    settings: Settings,
    *,
    result: FetchResult | None = None,
    feed: ParsedFeed | None = None,
    error_count: int = 0,
    retry_after: float | None = None,
) -> datetime:
    """When to check a source again: from its publishing frequency (half the median gap
    between entries), ``ttl``, Cache-Control, Expires and Retry-After, within the configured
    bounds. A failing source backs off exponentially, but is never dropped."""
    if error_count:
        interval = settings.min_interval * 2 ** min(error_count, 16)
        if retry_after:
            interval = max(interval, int(retry_after))
    else:
        interval = DEFAULT_INTERVAL
        if feed is not None:
            stamps = sorted(e.published for e in feed.entries if e.published is not None)
            gaps = [(b - a).total_seconds() for a, b in pairwise(stamps)]
            gaps = [g for g in gaps if g > 0]
            if len(gaps) >= 2:
                interval = int(statistics.median(gaps) / 2)
            if feed.ttl_seconds:
                interval = max(interval, feed.ttl_seconds)
        if result is not None:
            for hint in (
                _max_age(result.cache_control),
                _seconds_until(result.expires, now),
                _seconds_until(result.retry_after, now),
            ):
                if hint:
                    interval = max(interval, hint)
    interval = min(max(interval, settings.min_interval), settings.max_interval)
    return now + timedelta(seconds=interval)

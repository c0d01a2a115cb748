"""Following a source: a feed, or a site whose feeds are discovered."""

from __future__ import annotations

from datetime import datetime

from newsdesk.errors import FeedParseError, FetchError
from newsdesk.feeds import discover_feeds, parse_feed
from newsdesk.fetch import Fetcher
from newsdesk.model import Source
from newsdesk.store import Store


def add_source(store: Store, fetcher: Fetcher, url: str, *, now: datetime) -> Source:
    """Follow ``url``: a feed, or a site or page whose feeds (or news sitemap) are found.
    When none is, the error says first why ``url`` itself is not a feed (a refused DTD, a
    truncated or compressed body, an HTML page), then what discovery tried."""
    result = fetcher.get(url)
    try:
        feed = parse_feed(result.body, result.final_url)
    except FeedParseError as exc:
        reason = _unprefixed(str(exc), result.final_url, url)
    else:
        if feed.entries or feed.title or getattr(feed, "children", ()):
            return store.add_source(
                result.final_url, kind=feed.kind, title=feed.title, site_url=feed.site_url, now=now
            )
        reason = "a feed with no title and no entries"
    tried: list[str] = []
    for candidate in discover_feeds(result.body, result.final_url):
        try:
            found = fetcher.get(candidate)
            feed = parse_feed(found.body, found.final_url)
        except (FetchError, FeedParseError) as exc:
            tried.append(f"{candidate} ({_unprefixed(str(exc), candidate)})")
            continue
        if feed.entries or feed.title:
            return store.add_source(
                found.final_url,
                kind=feed.kind,
                title=feed.title,
                site_url=feed.site_url or result.final_url,
                now=now,
            )
        tried.append(f"{candidate} (a feed with no title and no entries)")
    listed = "; ".join(tried[:3]) + ("; ..." if len(tried) > 3 else "")
    raise FeedParseError(
        f"{url}: {reason}. Discovery found no feed or news sitemap there either "
        f"({len(tried)} addresses tried{': ' + listed if tried else ''})"
    )


def _unprefixed(message: str, *urls: str) -> str:
    """``message`` without a leading "URL: " (the caller names the URL once)."""
    for url in urls:
        if message.startswith(url + ": "):
            return message[len(url) + 2 :]
    return message

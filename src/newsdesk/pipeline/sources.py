"""Following a source: a feed, or a site whose feeds are discovered.

``newsdesk add`` fetches at once (``add_source``) and says what it found. The API records
the URL only (``follow_later``): the web process never fetches, and the relay's first check
of a source never read as a feed runs the same discovery (``find_feed``) on what it fetched.
"""

from __future__ import annotations

from datetime import datetime

from newsdesk.errors import FeedParseError, FetchError
from newsdesk.feeds import discover_feeds, parse_feed
from newsdesk.fetch import Fetcher, refuse_unfetchable
from newsdesk.model import FetchResult, ParsedFeed, Source
from newsdesk.store import Store


def add_source(store: Store, fetcher: Fetcher, url: str, *, now: datetime) -> Source:
    """Follow ``url``: a feed, or a site or page whose feeds (or news sitemap) are found.
    When none is, the error says first why ``url`` itself is not a feed (a refused DTD, a
    truncated or compressed body, an HTML page), then what discovery tried."""
    result = fetcher.get(url)
    found, feed = find_feed(fetcher, url, result)
    return store.add_source(
        found.final_url,
        kind=feed.kind,
        title=feed.title,
        site_url=feed.site_url or (None if found is result else result.final_url),
        now=now,
    )


def follow_later(store: Store, url: str, *, now: datetime, allow_private: bool) -> Source:
    """Record ``url`` as a source without fetching it: the relay's next pass reads it (and
    discovers its feed when it is a site). What can be refused without contacting anything
    is refused here (a malformed URL, another scheme, a private address literal), with the
    ``FetchError`` the fetcher would raise."""
    refuse_unfetchable(url, allow_private=allow_private)
    return store.add_source(url, now=now)


def find_feed(fetcher: Fetcher, url: str, result: FetchResult) -> tuple[FetchResult, ParsedFeed]:
    """The feed ``result`` (what ``url`` answered) is, or else the first feed its page
    links to that parses, with the answer it came in. Raises ``FeedParseError`` saying why
    ``url`` is not a feed and what discovery tried."""
    try:
        feed = parse_feed(result.body, result.final_url)
    except FeedParseError as exc:
        reason = _unprefixed(str(exc), result.final_url, url)
    else:
        if feed.entries or feed.title or getattr(feed, "children", ()):
            return result, feed
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
            return found, feed
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

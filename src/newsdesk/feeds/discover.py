"""Where a site's feeds are: ``<link rel="alternate">`` in its HTML, then common paths. Pure."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from newsdesk.urls import absolute_url

__all__ = ["COMMON_PATHS", "discover_feeds"]

_FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
}
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/all.atom.xml",
    "/news-sitemap.xml",
    "/sitemap_news.xml",
    "/sitemap-news.xml",
)


def discover_feeds(html: str | bytes, url: str) -> list[str]:
    """Feed URLs a page declares, in page order, then the common paths to try (deduplicated)."""
    tree = LexborHTMLParser(html)
    found: list[str] = []
    for link in tree.css('link[rel~="alternate"][href], link[rel="feed"][href]'):
        kind = (link.attributes.get("type") or "").split(";")[0].strip().lower()
        if kind in _FEED_TYPES or link.attributes.get("rel") == "feed":
            resolved = absolute_url(link.attributes.get("href"), url)
            if resolved:
                found.append(resolved)
    for path in COMMON_PATHS:
        resolved = absolute_url(path, url)
        if resolved:
            found.append(resolved)
    return list(dict.fromkeys(found))

"""Feeds: parsing (RSS, Atom, JSON Feed, sitemaps), discovery, OPML. Pure (DESIGN §4.1)."""

from __future__ import annotations

from newsdesk.feeds.discover import COMMON_PATHS, discover_feeds
from newsdesk.feeds.opml import (
    OpmlImport,
    Outline,
    Skipped,
    outlines_from_sources,
    parse_opml,
    read_opml,
    render_opml,
)
from newsdesk.feeds.parse import parse_feed

__all__ = [
    "COMMON_PATHS",
    "OpmlImport",
    "Outline",
    "Skipped",
    "discover_feeds",
    "outlines_from_sources",
    "parse_feed",
    "parse_opml",
    "read_opml",
    "render_opml",
]

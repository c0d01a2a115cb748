"""Feeds: parsing (RSS, Atom, JSON Feed, sitemaps), discovery, OPML. Pure (DESIGN §4.1)."""

from __future__ import annotations

from newsdesk.feeds.discover import COMMON_PATHS, discover_feeds
from newsdesk.feeds.opml import Outline, parse_opml, render_opml
from newsdesk.feeds.parse import parse_feed

__all__ = ["COMMON_PATHS", "Outline", "discover_feeds", "parse_feed", "parse_opml", "render_opml"]

"""newsdesk — a news relay: follow sources, extract clean Articles, repair relayed text,
dedupe, store and serve.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

import logging

from newsdesk.clean import Boilerplate, BoilerplateCounter, clean_text
from newsdesk.errors import CleanError, ExtractionError, NewsdeskError
from newsdesk.extract import ExtractOptions, extract
from newsdesk.feeds import parse_feed
from newsdesk.model import (
    Article,
    Block,
    Embed,
    FeedEntry,
    Link,
    ParsedFeed,
    Provenance,
    Quote,
    Removed,
    article_from_dict,
    article_from_json,
    article_to_dict,
    article_to_json,
)

__all__ = [
    "Article",
    "Block",
    "Boilerplate",
    "BoilerplateCounter",
    "CleanError",
    "Embed",
    "ExtractOptions",
    "ExtractionError",
    "FeedEntry",
    "Link",
    "NewsdeskError",
    "ParsedFeed",
    "Provenance",
    "Quote",
    "Removed",
    "__version__",
    "article_from_dict",
    "article_from_json",
    "article_to_dict",
    "article_to_json",
    "clean_text",
    "extract",
    "parse_feed",
]

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

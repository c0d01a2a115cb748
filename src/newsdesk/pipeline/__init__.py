"""The one composition of the stages (DESIGN §1). Order, for each source due:

1. fetch the feed with a conditional GET (``fetch``); 304 or an unchanged body: done;
2. parse it (``feeds.parse_feed``) and record its entries (``store``): only new ones go on;
3. fetch each new entry's page, concurrently across hosts (``fetch``);
4. extract the Article from the page (``extract``, which runs ``clean.repair``), make its
   stored form with its HTML (``pages.make_record``: the store renders nothing) and
   fingerprint it (``linking.article_prints``);
5. an exact duplicate of a stored article (same text, another URL) is recorded as a
   sighting of it; anything else is stored with the raw page, the entry marked done in the
   same transaction (``store``), and linked to its copies and story cluster (``linking``).

Steps 1–4 run in the workers (threads; parsing and step 4 in the extraction processes when
``extract_processes`` is set), step 5 in the one writer. Sources are checked concurrently and
their pages start as soon as their feed is recorded.

When a page cannot be fetched or extracted, the feed's own content for the entry is
extracted instead and stored with the problem recorded. Every failure ends as an error kind
on the source or the entry; nothing stored is lost and the loop goes on.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.pipeline.ingest import ReextractReport, fetch_one, reextract
    from newsdesk.pipeline.page import WORKER_NICENESS, make_record, process_page
    from newsdesk.pipeline.run import extraction_processes, run_once
    from newsdesk.pipeline.sources import add_source, follow_later
    from newsdesk.pipeline.write import RunReport

__all__ = [
    "WORKER_NICENESS",
    "ReextractReport",
    "RunReport",
    "add_source",
    "extraction_processes",
    "fetch_one",
    "follow_later",
    "make_record",
    "process_page",
    "reextract",
    "run_once",
]

# Where each name lives. Imported on first use (PEP 562): an extraction process imports
# ``newsdesk.pipeline.page`` alone, not the fetcher and the store the pass needs.
_HOMES = {
    "RunReport": "write",
    "ReextractReport": "ingest",
    "WORKER_NICENESS": "page",
    "add_source": "sources",
    "fetch_one": "ingest",
    "follow_later": "sources",
    "process_page": "page",
    "reextract": "ingest",
    "run_once": "run",
    "extraction_processes": "run",
    "make_record": "page",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'newsdesk.pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(f"newsdesk.pipeline.{home}"), name)

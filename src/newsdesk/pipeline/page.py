"""A fetched page made ready to store: the CPU work of the relay, with no I/O.

This is what the relay's extraction processes run (``newsdesk.pipeline.processes``):
extract and clean the page, make its stored form and its dedupe fingerprints. It imports
only what that work needs (not the HTTP client, not the CLI), so an extraction process
stays small: each is a fresh ``python -m newsdesk.pipeline.processes`` that imports this
module when the first page arrives (the package's ``__init__`` imports nothing eagerly).
"""

from __future__ import annotations

import os
from dataclasses import replace

from newsdesk.errors import ExtractionError
from newsdesk.extract import DEFAULT_OPTIONS, ExtractOptions, extract
from newsdesk.model import Article, FeedEntry
from newsdesk.pipeline.link import Prints, article_prints
from newsdesk.render import article_body_html, story_html
from newsdesk.store import Record, prepare_record

__all__ = ["WORKER_NICENESS", "lower_priority", "prepare_page", "process_page"]

WORKER_NICENESS = 5


def process_page(body: bytes, url: str, *, charset: str | None = None) -> Article:
    """A fetched page to an Article: decode with the HTTP charset, extract (and clean)."""
    options = ExtractOptions(charset=charset) if charset else DEFAULT_OPTIONS
    return replace(extract(body, url=url, options=options), fetched_url=url)


def prepare_page(  # noqa: PLR0917 (called through ProcessPool.call, which passes args only)
    body: bytes, url: str, charset: str | None, entry: FeedEntry, dedupe: bool, compress: bool
) -> tuple[Record, Prints | None]:
    """Everything a page needs before it is written, all CPU work done where extraction
    runs: extract (the feed entry fills a missing title or date), the stored form
    (JSON, and the page compressed unless ``compress`` is false: then the caller has it
    compressed already) and the dedupe's fingerprints. The writer only writes."""
    article = process_page(body, url, charset=charset)
    if not article.title and entry.title:
        article = replace(article, title=entry.title)
    if article.published is None and entry.published is not None:
        article = replace(article, published=entry.published)
    record = make_record(article, body if compress else None)
    return record, article_prints(article) if dedupe else None


def prepare_fallback(entry: FeedEntry, dedupe: bool) -> tuple[Record, Prints | None] | None:
    """What is stored for an entry whose page failed: the feed's own content for it,
    extracted as a page is (the entry fills the title, date and URL), with its stored form
    and fingerprints; ``None`` when the entry carries nothing usable. Run where extraction
    runs, like ``prepare_page``: the writer only writes."""
    if not entry.content:
        return None
    try:
        article = extract(entry.content, url=entry.url)
    except ExtractionError:
        return None
    if not (article.text or entry.title) or not (entry.url or article.url):
        return None
    article = replace(
        article,
        title=article.title or entry.title,
        published=article.published or entry.published,
        url=entry.url or article.url,
        fetched_url=entry.url,
    )
    prints = article_prints(article) if dedupe and article.text else None
    return make_record(article), prints


def make_record(article: Article, raw_page: bytes | None = None) -> Record:
    """The stored form of ``article``, with its HTML forms (the body, and the article page's
    story) rendered here: the store renders nothing."""
    body = article_body_html(article)
    return prepare_record(article, raw_page, html=(body, story_html(article, body)))


def lower_priority() -> None:
    """An extraction process yields the CPU to the relay's own process: its one writer is
    the pipeline's serial stage, and on a busy machine a writer waiting for a core holds
    every page behind it (measured on 3,000 demo pages: the writer's wall time a page fell
    from ~6 to ~4 ms; at 10,000 the throughput did not move measurably)."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)

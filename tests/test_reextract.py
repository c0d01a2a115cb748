"""`newsdesk reextract` keeps the dedupe index true: an article whose text changed is linked
exactly as a fresh ingest of the same pages links it (text key, fingerprint, LSH keys, its
original and its story cluster)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.fetch import Fetcher
from newsdesk.model import Block
from newsdesk.pipeline import reextract, run_once
from newsdesk.pipeline.link import article_prints, link_article
from newsdesk.store import ArticleQuery, Store, open_store
from tests.memory_newsroom import memory_newsroom
from tests.storeview import text_keys

# Extraction in the pass's threads: these tests are about the pipeline's logic, and each
# pass would start its extraction processes afresh (~0.4 s of CPU each); the end-to-end
# ingest, the worker-process and the kill tests run them.
SETTINGS = Settings(allow_private_networks=True, per_host_delay=0.0, workers=4, extract_processes=0)


def _ingest(db: Path, feeds: list[str], transport: httpx.MockTransport) -> Store:
    store = open_store(db)
    for url in feeds:
        store.add_source(url, now=datetime.now(UTC))
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        run_once(store, fetcher, SETTINGS)
    return store


def _links(store: Store) -> dict[str, tuple[str, str | None, str | None, str | None]]:
    """For every stored article's URL: its text key, and the URLs of its original and of
    its cluster's representative."""
    rows = {s.id: s for s in store.list_articles(ArticleQuery(limit=1000))}
    keys = text_keys(store)
    out = {}
    for row in rows.values():
        original = rows[row.original_id].article.url if row.original_id else None
        cluster = rows[row.cluster_id].article.url if row.cluster_id else None
        out[row.article.url or ""] = (keys[row.id], original, cluster, row.article.text[:40])
    return out


def test_reextract_links_as_a_fresh_ingest_would(tmp_path: Path) -> None:
    room, transport = memory_newsroom(Newsroom(seed=3, articles=60))
    feeds = room.feed_urls()
    store = _ingest(tmp_path / "old.db", feeds, transport)
    fresh = _ingest(tmp_path / "fresh.db", feeds, transport)
    expected = _links(fresh)
    assert any(original for _, original, _, _ in expected.values())  # copies are linked
    # An older extractor stored other text for every third article, and linked that.
    for article_id in list(store.article_ids())[::3]:
        article = store.article(article_id)
        assert article is not None
        garbled = f"Cookie banner and navigation only, page {article_id}."
        article = replace(article, text=garbled, blocks=(Block(kind="paragraph", text=garbled),))
        store.replace_article(article_id, article)
        link_article(store, article_id, article, article_prints(article))
    assert _links(store) != expected
    report = reextract(store)
    assert report.done == len(expected) and not report.failed
    assert _links(store) == expected

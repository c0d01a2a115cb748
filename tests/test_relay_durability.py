"""Nothing lost: a paged feed interrupted after its first page is finished by the next
pass (whose first page is answered 304); a page that fails is read again; a sitemap index
is followed to its child sitemaps, never stored as an article."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.errors import HTTPStatusError
from newsdesk.fetch import Fetcher
from newsdesk.model import FetchResult
from newsdesk.pipeline import run_once
from newsdesk.store import ArticleQuery, Store, open_store
from tests.memory_newsroom import memory_newsroom
from tests.storeview import entry_keys

# Extraction in the pass's threads: these tests are about the pipeline's logic, and each
# pass would start its extraction processes afresh (~0.4 s of CPU each); the end-to-end
# ingest, the worker-process and the kill tests run them.
SETTINGS = Settings(allow_private_networks=True, per_host_delay=0.0, workers=4, extract_processes=0)


def _follow(db: Path, urls: list[str]) -> Store:
    store = open_store(db)
    for url in urls:
        store.add_source(url, now=datetime.now(UTC))
    return store


def _clean_pass(db: Path, feeds: list[str], transport: httpx.MockTransport) -> set[tuple[int, str]]:
    """The entries one uninterrupted pass records."""
    clean = _follow(db, feeds)
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        run_once(clean, fetcher, SETTINGS)
    return _entries(clean)


def _entries(store: Store) -> set[tuple[int, str]]:
    return entry_keys(store)


class StopAfterFirstPages:
    """``stop`` for run_once: true once every source's first feed page is recorded (as
    when the relay is stopped, or killed, right after recording them)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self) -> bool:
        return all(source.last_check is not None for source in self.store.sources())


def test_an_interrupted_paged_feed_is_finished_by_the_next_pass(tmp_path: Path) -> None:
    room, transport = memory_newsroom(Newsroom(seed=11, articles=120), feed_page=6)
    feeds = room.feed_urls()
    expected = _clean_pass(tmp_path / "clean.db", feeds, transport)

    store = _follow(tmp_path / "n.db", feeds)
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        run_once(store, fetcher, SETTINGS, stop=StopAfterFirstPages(store))
    assert len(_entries(store)) < len(expected)
    assert store.feed_pages(), "the next pages are queued, durably"
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        again = run_once(store, fetcher, SETTINGS)
    assert again.not_modified >= 4  # the first pages did not change...
    assert _entries(store) == expected  # ...and the older pages were read all the same
    assert store.pending_count() == 0 and store.feed_pages() == []


def test_a_failing_later_page_is_read_again_next_pass(tmp_path: Path) -> None:
    room, transport = memory_newsroom(Newsroom(seed=11, articles=60), feed_page=6)
    feeds = room.feed_urls()
    expected = _clean_pass(tmp_path / "clean.db", feeds, transport)
    failing = {"on": True}
    store = _follow(tmp_path / "n.db", feeds)
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        real_get = fetcher.get

        def flaky(url: str, **kwargs: Any) -> FetchResult:
            if failing["on"] and "page=2" in url:
                raise HTTPStatusError(f"{url}: HTTP 503", 503)
            return real_get(url, **kwargs)

        fetcher.get = flaky  # type: ignore[method-assign]
        first = run_once(store, fetcher, SETTINGS)
        assert first.errors.get("http_status", 0) >= 1
        assert _entries(store) < expected and store.feed_pages()
        failing["on"] = False
        run_once(store, fetcher, SETTINGS)
    assert _entries(store) == expected and store.feed_pages() == []


def test_a_sitemap_index_is_followed_to_its_sitemaps(tmp_path: Path) -> None:
    pages = {
        "/sitemap_index.xml": (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<sitemap><loc>https://news.test/s1.xml</loc></sitemap>"
            "<sitemap><loc>https://news.test/s2.xml</loc></sitemap></sitemapindex>"
        ),
    }
    for n in (1, 2):
        urls = "".join(
            f"<url><loc>https://news.test/{n}/story-{i}.html</loc></url>" for i in range(3)
        )
        pages[f"/s{n}.xml"] = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>"
        )

    def site(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in pages:
            return httpx.Response(
                200, headers={"Content-Type": "application/xml"}, text=pages[path]
            )
        if path.endswith(".html"):
            body = f"<html><head><title>{path}</title></head><body><article><h1>{path}</h1>"
            body += (
                f"<p>The story of {path}, told in enough words to be one. </p>" * 5
                + "</article></body></html>"
            )
            return httpx.Response(200, headers={"Content-Type": "text/html"}, text=body)
        return httpx.Response(404)

    settings = Settings(per_host_delay=0.0, respect_robots=False, extract_processes=0)
    store = open_store(tmp_path / "n.db")
    store.add_source("https://news.test/sitemap_index.xml", now=datetime.now(UTC))
    resolver = lambda host, port: ["93.184.216.34"]  # noqa: E731  never contacted
    with Fetcher(settings, transport=httpx.MockTransport(site), resolver=resolver) as fetcher:
        report = run_once(store, fetcher, settings)
    assert report.new_entries == 6 and report.stored == 6, report
    titles = {a.article.title for a in store.list_articles(ArticleQuery(limit=100))}
    assert all(t and t.endswith(".html") for t in titles)  # no index stored as an article

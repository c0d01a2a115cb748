"""The writer returns what it did with each page as an ``Outcome`` value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsdesk.config import Settings
from newsdesk.errors import FetchTimeout
from newsdesk.model import Article, FeedEntry
from newsdesk.pipeline.link import article_prints
from newsdesk.pipeline.page import make_record, prepare_fallback
from newsdesk.pipeline.write import DUPLICATE, FAILED, FALLBACK, STORED, _Page, store_page
from newsdesk.store import open_store

NOW = datetime(2026, 12, 7, tzinfo=UTC)
TEXT = "The harbour bridge reopened on Monday after two years of repairs. " * 8


def _page(store_entry: int, url: str, text: str = TEXT) -> _Page:
    article = Article(url=url, title="Harbour bridge reopens", text=text, site_name=url[8:20])
    entry = FeedEntry(guid=url, url=url, title=article.title)
    return _Page(store_entry, 1, entry, make_record(article), None, article_prints(article))


def test_each_page_s_outcome(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    source = store.add_source("https://feed.example/rss", now=NOW)
    entries = [FeedEntry(guid=f"g{i}", url=f"https://e{i}.example/a") for i in range(4)]
    store.record_entries(source.id, entries, now=NOW)
    settings = Settings()
    with store.batch():
        first = store_page(store, _page(1, "https://one.example/a"), NOW, settings)
        again = store_page(store, _page(2, "https://two.example/a"), NOW, settings)
        failed = _Page(
            3, 1, FeedEntry(guid="g2", url="https://e2.example/a"), None, FetchTimeout("t")
        )
        content = FeedEntry(
            guid="g3", url="https://e3.example/a", content="<p>" + TEXT[:200] + "</p>"
        )
        fallback = prepare_fallback(content, True)  # made where pages are extracted
        fell = _Page(4, 1, content, None, FetchTimeout("t"), fallback=fallback)
        lost = store_page(store, failed, NOW, settings)
        kept = store_page(store, fell, NOW, settings)
    assert first.kind == STORED and first.article_id
    assert again.kind == DUPLICATE and again.article_id == first.article_id
    assert (lost.kind, lost.reason) == (FAILED, "timeout")
    assert (kept.kind, kept.reason) == (FALLBACK, "timeout") and kept.article_id


def test_an_edit_that_now_repeats_another_outlet_is_a_sighting(tmp_path: Path) -> None:
    """A page whose URL is stored already, edited so that its text is now another stored
    article's: a sighting of that one (the better original cannot take a URL another
    article holds), never a failure of the write."""
    store = open_store(tmp_path / "n.db")
    source = store.add_source("https://feed.example/rss", now=NOW)
    urls = ["https://o0.example/story", "https://o1.example/story", "https://o0.example/story"]
    store.record_entries(
        source.id, [FeedEntry(guid=f"g{i}", url=url) for i, url in enumerate(urls)], now=NOW
    )
    early, late = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    pages = [
        Article(url=urls[0], title="Bridge", text="An earlier draft. " + TEXT, published=early),
        Article(url=urls[1], title="Bridge", text=TEXT, published=late),
        Article(url=urls[2], title="Bridge", text=TEXT, published=early),
    ]
    outcomes = []
    with store.batch():
        for number, article in enumerate(pages, start=1):
            entry = FeedEntry(guid=f"g{number - 1}", url=article.url)
            page = _Page(number, 1, entry, make_record(article), None, article_prints(article))
            outcomes.append(store_page(store, page, NOW, Settings()))
    first, second, third = outcomes
    assert first.kind == STORED and second.kind == STORED
    assert third.kind == DUPLICATE and third.article_id == second.article_id
    kept = store.stored_article(second.article_id)
    assert kept is not None and kept.article.url == urls[1]

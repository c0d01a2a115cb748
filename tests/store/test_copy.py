"""migrate-db: a SQLite store into PostgreSQL and back, every table with its ids, the search
index made anew, resumable, verified by counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from newsdesk.model import Article, FeedEntry
from newsdesk.store import Store, open_store
from newsdesk.store import copy as copying
from tests.storeview import entry_statuses

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _filled(location: str) -> Store:
    store = open_store(location)
    source = store.add_source("https://wire.example/feed", title="Wire", now=NOW)
    store.record_entries(
        source.id,
        [FeedEntry(guid=str(i), url=f"https://wire.example/{i}") for i in range(30)],
        now=NOW,
    )
    for entry_id, source_id, entry in store.next_pending({}, per_source=30, limit=30)[:25]:
        article = Article(
            url=entry.url or "",
            title=f"港口 story {entry.guid}" if entry_id % 5 == 0 else f"Harbour {entry.guid}",
            text=f"The harbour council met about item {entry.guid}.",
            published=NOW - timedelta(hours=entry_id),
        )
        article_id = store.store_entry_article(
            entry_id, source_id, article, raw_page=b"<html>page</html>", now=NOW
        )
        store.save_fingerprint(
            article_id, text_key=f"k{entry_id}", fingerprint=b"\x00\x01", keys=[entry_id, 7]
        )
        store.record_sighting(article_id, source_id=source_id, url=f"{entry.url}?b", now=NOW)
    store.set_links({2: (1, 1), 3: (1, 1)})
    store.count_story_terms([11, 12, 13], window=1000)
    store.log_fetch(url="https://wire.example/feed", now=NOW, outcome="ok", source_id=source.id)
    store.queue_feed_page(source.id, "https://wire.example/feed?page=2", 2, now=NOW)
    return store


def _same(a: Store, b: Store) -> None:
    assert a.counts() == b.counts()
    assert entry_statuses(a) == entry_statuses(b)
    assert {h.article_id for h in a.search("港口")} == {h.article_id for h in b.search("港口")}
    assert len(b.search("港口")) == 5
    assert a.article_view(2) == b.article_view(2)
    assert a.raw_page(3) == b.raw_page(3)
    assert a.lsh_matches([7], exclude=0) == b.lsh_matches([7], exclude=0)
    assert a.story_frequencies([11, 12]) == b.story_frequencies([11, 12])
    assert a.feed_pages() == b.feed_pages()


def test_sqlite_to_postgres_and_back(tmp_path: Path, pg_url: str) -> None:
    sqlite = _filled(str(tmp_path / "from.db"))
    code = CliRunner().invoke(
        main, ["migrate-db", "--from", str(tmp_path / "from.db"), "--to", pg_url]
    )
    assert code.exit_code == 0, code.output
    assert "copied and verified" in code.output and "DIFFERS" not in code.output
    pg = open_store(pg_url)
    _same(sqlite, pg)
    # new rows on the target get new ids, after the copied ones
    assert pg.add_source("https://other.example/feed", now=NOW).id == 2
    back = tmp_path / "back.db"
    result = CliRunner().invoke(main, ["migrate-db", "--from", pg_url, "--to", str(back)])
    assert result.exit_code == 0, result.output
    again = open_store(back)
    assert again.counts()["sources"] == 2 and again.counts()["articles"] == 25
    assert {h.article_id for h in again.search("港口")} == {h.article_id for h in pg.search("港口")}
    for store in (sqlite, pg, again):
        store.close()


def test_a_copy_stopped_midway_is_taken_up_where_it_ended(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite = _filled(str(tmp_path / "from.db"))
    monkeypatch.setattr(copying, "PAGE", 4)
    pages = {"n": 0}

    def stop_after_a_few(table: str, rows: int) -> None:
        pages["n"] += 1
        if pages["n"] == 5:  # in the articles table
            raise KeyboardInterrupt

    pg = open_store(pg_url)
    with pytest.raises(KeyboardInterrupt):
        copying.copy_store(sqlite, pg, progress=stop_after_a_few)
    assert 0 < pg.counts()["articles"] < 25
    copied = copying.copy_store(sqlite, pg)
    assert all(c.complete for c in copied), copied
    _same(sqlite, pg)
    sqlite.close()
    pg.close()


def test_a_long_read_streams_and_memory_stays_flat(location: str) -> None:
    """``Store.stream`` (migrate-db's reads) hands out a page of rows at a time and holds
    no more: its peak memory over 20,000 rows is a fraction of reading them all at once.
    On PostgreSQL the rest wait on the server, in a cursor of its own."""
    import tracemalloc  # noqa: PLC0415

    store = open_store(location)
    rows = [(NOW.isoformat(), f"https://wire.example/{'x' * 200}/{n}", "ok") for n in range(20_000)]
    with store.batch():
        store._db.executemany("INSERT INTO fetch_log (at, url, outcome) VALUES (?, ?, ?)", rows)
    del rows
    read = "SELECT id, at, url, outcome FROM fetch_log ORDER BY id"
    chunks = store.stream(read, (), 500)
    sizes = [len(next(chunks))]
    if "postgres" in location:  # the rows not yet read are the server's, in a cursor
        names = [r[0] for r in store._pg.raw.execute("SELECT name FROM pg_cursors")]  # type: ignore[attr-defined]
        assert any(name.startswith("stream_") for name in names), names
    tracemalloc.start()
    try:
        sizes += [len(chunk) for chunk in chunks]
        _, streamed = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        everything = store._db.execute(read).fetchall()
        _, at_once = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(sizes) == len(everything) == 20_000 and max(sizes) == 500
    assert streamed < at_once / 10, (streamed, at_once)
    store.close()

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.errors import StoreError
from newsdesk.model import Article, Block, FeedEntry
from newsdesk.store import open_reader, open_store
from newsdesk.store.sqlite import MIGRATIONS

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    store = open_store(path)
    assert store.migrate() == []  # already applied on open
    store.close()
    rows = sqlite3.connect(path).execute("SELECT name FROM schema_migrations").fetchall()
    assert rows == [(name,) for name, _ in MIGRATIONS]
    assert rows[0] == ("0001_initial",)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_missing_or_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        open_store(tmp_path / "missing.db", create=False)
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(corrupt)


def test_entries_are_recorded_once(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    source = store.add_source("https://a.example/feed", now=NOW)
    entries = [FeedEntry(guid=str(n), url=f"https://a.example/{n}") for n in range(3)]
    assert store.record_entries(source.id, entries, now=NOW) == 3
    assert store.record_entries(source.id, entries, now=NOW) == 0
    assert len(store.pending_entries()) == 3


def test_articles_upsert_by_canonical_url(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    first = store.store_article(
        Article(url="https://a.example/x?utm_source=rss", title="One", text="alpha"), now=NOW
    )
    second = store.store_article(
        Article(url="https://a.example/x", title="One, updated", text="beta"), now=NOW
    )
    assert first == second and store.counts()["articles"] == 1
    assert [h.article_id for h in store.search("beta")] == [first]
    assert store.search("alpha") == []  # the index follows the upsert


def test_search_takes_words_not_syntax(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    store.store_article(
        Article(url="https://a.example/1", title="Harbour bridge", text="It reopened."), now=NOW
    )
    assert store.search('bridge" OR "x') == []  # quotes cannot break out of the phrase
    assert [h.title for h in store.search("HARBOUR")] == ["Harbour bridge"]
    assert store.search("   ") == []


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(max_size=50),
    text=st.text(max_size=300),
    tags=st.lists(st.text(max_size=10), max_size=3),
)
def test_article_survives_the_store_round_trip(title: str, text: str, tags: list[str]) -> None:
    store = open_store(":memory:")
    article = Article(
        url="https://a.example/r",
        title=title,
        text=text,
        tags=tuple(tags),
        blocks=(Block(kind="paragraph", text=text),),
        published=NOW,
    )
    article_id = store.store_article(article, raw_page=b"<html>raw</html>", now=NOW)
    assert store.article(article_id) == article
    assert store.raw_page(article_id) == (b"<html>raw</html>", None)


def test_a_database_from_before_a_migration_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for statement in MIGRATIONS[0][1].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO schema_migrations VALUES ('0001_initial', 'then')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not up to date"):
        open_reader(path)
    store = open_store(path)
    assert store.migrate() == []
    store.close()
    open_reader(path).close()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_search_text_is_taken_as_words_never_as_an_error(query: str) -> None:
    store = open_store(":memory:")
    store.store_article(
        Article(url="https://x.example/1", title="Harbour", text="The harbour story."), now=NOW
    )
    store.search(query)
    store.close()

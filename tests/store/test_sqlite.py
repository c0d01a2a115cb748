from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.errors import QueryError, StoreError
from newsdesk.model import Article, Block, FeedEntry
from newsdesk.pipeline.page import make_record
from newsdesk.serve.reader import stored_body_html
from newsdesk.store import open_reader, open_store, prepare_record
from newsdesk.store.migrations.sqlite import MIGRATIONS

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


def test_entries_are_recorded_once(location: str) -> None:
    store = open_store(location)
    source = store.add_source("https://a.example/feed", now=NOW)
    entries = [FeedEntry(guid=str(n), url=f"https://a.example/{n}") for n in range(3)]
    assert store.record_entries(source.id, entries, now=NOW) == 3
    assert store.record_entries(source.id, entries, now=NOW) == 0
    assert len(store.pending_entries()) == 3
    first = store.pending_entries(limit=2)
    assert [e.guid for _, _, e in first] == ["0", "1"]
    assert [e.guid for _, _, e in store.pending_entries(after=first[-1][0])] == ["2"]
    assert store.pending_count() == 3


def test_articles_upsert_by_canonical_url(location: str) -> None:
    store = open_store(location)
    first = store.store_article(
        Article(url="https://a.example/x?utm_source=rss", title="One", text="alpha"), now=NOW
    )
    second = store.store_article(
        Article(url="https://a.example/x", title="One, updated", text="beta"), now=NOW
    )
    assert first == second and store.counts()["articles"] == 1
    assert [h.article_id for h in store.search("beta")] == [first]
    assert store.search("alpha") == []  # the index follows the upsert


def test_search_quotes_make_phrases(location: str) -> None:
    store = open_store(location)
    store.store_article(
        Article(url="https://a.example/1", title="Harbour bridge", text="It reopened."), now=NOW
    )
    assert store.search('bridge" OR "x') == []  # a phrase: " OR "
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


def test_a_page_stored_as_the_server_gzipped_it_reads_back(location: str) -> None:
    store = open_store(location)
    page = b"<html>" + b"sent gzipped " * 100 + b"</html>"
    record = replace(prepare_record(Article(url="https://a.example/g")), page=gzip.compress(page))
    article_id = store.store_article(record, now=NOW)
    assert store.raw_page(article_id) == (page, None)


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


def test_the_pages_apart_migration_keeps_every_article_page_and_link(tmp_path: Path) -> None:
    """A database written before 0004 (raw pages inside the articles table) is rebuilt with
    its articles, raw pages, links, sightings, entries and search index intact."""
    path = tmp_path / "0003.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    before = [(name, sql) for name, sql in MIGRATIONS if name < "0004"]
    for name, sql in before:
        for statement in sql.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (name,))
    db.execute("INSERT INTO sources (id, url, created_at) VALUES (1, 'https://s.example/', 'x')")
    for n in (1, 2):
        db.execute(
            "INSERT INTO articles (id, url_key, url, source_id, title, published, "
            "article_json, raw_page, raw_url, fetched_at, text_key, original_id, cluster_id) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                n,
                f"k{n}",
                f"https://s.example/{n}",
                f"Story {n}",
                NOW.isoformat(),
                json.dumps({"title": f"Story {n}", "text": f"Words {n}."}),
                zlib.compress(b"<html>%d</html>" % n) if n == 1 else None,
                f"https://s.example/{n}?utm=x",
                NOW.isoformat(),
                f"t{n}",
                None if n == 1 else 1,
            ),
        )
        db.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
                   (n, f"Story {n}", f"Words {n}."))  # fmt: skip
        db.execute(
            "INSERT INTO sightings (article_id, source_id, url, seen_at) VALUES (?, 1, ?, ?)",
            (n, f"https://s.example/{n}", NOW.isoformat()),
        )
    db.execute(
        "INSERT INTO entries (source_id, guid, seen_at, status, article_id) "
        "VALUES (1, 'g', 'x', 'done', 2)"
    )
    db.commit()
    db.close()

    store = open_store(path)
    assert store.raw_page(1) == (b"<html>1</html>", "https://s.example/1?utm=x")
    assert store.raw_page(2) is None
    stored = store.stored_article(2)
    assert stored is not None and stored.article.title == "Story 2"
    assert (stored.original_id, stored.cluster_id) == (1, 1)
    # stored before bodies were kept: rendered when asked for (0005_body_html)
    assert stored.body_html is None and stored_body_html(stored) == "<p>Words 2.</p>"
    assert store.sightings(1)[0][1] == "https://s.example/1"
    assert store.article_by_text_key("t2") == 2
    assert {h.article_id for h in store.search("words")} == {1, 2}
    assert store.counts()["articles"] == 2
    store.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA foreign_key_check").fetchall() == []
    columns = [r[1] for r in check.execute("PRAGMA table_info(articles)")]
    assert "raw_page" not in columns and columns[-3:] == ["article_json", "body_html", "story_html"]
    assert check.execute("SELECT article_id FROM entries").fetchone() == (2,)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_search_text_is_a_query_or_a_query_error_never_another_error(query: str) -> None:
    store = open_store(":memory:")
    store.store_article(
        Article(url="https://x.example/1", title="Harbour", text="The harbour story."), now=NOW
    )
    with contextlib.suppress(QueryError):
        store.search(query)
    store.close()


def test_snippets_mark_the_query_words_around_their_densest_run() -> None:
    from newsdesk.store.search import _term_pattern, make_snippet  # noqa: PLC0415

    pattern = _term_pattern("harbour council")
    text = (
        "Opening words that say nothing at all about the subject of the story here. "
        "A harbour is named once.\n\nLater the Harbour Council met, and the harbour council "
        "voted on the budget after a long debate about the costs of the works."
    )
    snippet = make_snippet(text, pattern)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "[Harbour] [Council]" in snippet and "[harbour] [council]" in snippet
    assert len(snippet.replace("…", "").split()) == 16
    assert "\n" not in snippet
    # no query word in the text (a title-only hit): the opening words, unmarked
    assert make_snippet("Short text about ports.", pattern) == "Short text about ports."
    assert make_snippet("", pattern) == ""
    # whole words only: "harbours" and "councillor" are not the query's words
    assert "[" not in make_snippet("The harbours and a councillor.", pattern)


def test_lsh_candidates_rank_by_shared_keys_bounded_per_key(location: str) -> None:
    store = open_store(location)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    ids = [
        store.store_article(
            Article(url=f"https://x.example/{n}", title=f"t{n}", text=f"text {n}"), now=now
        )
        for n in range(30)
    ]
    hot, rare_a, rare_b = 1, 2, 3
    for article_id in ids:  # every article shares one hot bucket
        keys = [hot]
        if article_id == ids[3]:
            keys += [rare_a, rare_b]  # and one shares two rare ones as well
        store.save_fingerprint(article_id, text_key=None, fingerprint=b"\0" * 8, keys=keys)
    query = [hot, rare_a, rare_b]
    found = store.lsh_matches(query, exclude=0)
    assert found[0].id == ids[3]  # the most keys first
    # the hot bucket gives only its newest members; the rare ones find the old article
    assert len(found) == 1 + 16 and {m.id for m in found[1:]} == set(ids[-16:])
    assert [m.id for m in store.lsh_matches(query, exclude=0, min_shared=2)] == [ids[3]]
    assert store.lsh_matches(query, exclude=ids[3], min_shared=2) == []


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abcxyzABCXYZ éÉüß’'_-.\n0123ΣσςçΩſK", max_size=120),
    st.lists(
        st.sampled_from(["abc", "xyz", "ab", "éa", "ü", "0", "σ", "xσ", "aς", "c1", "sk"]),
        min_size=1,
    ),
)
def test_snippet_hits_by_find_are_the_regular_expressions(text: str, words: list[str]) -> None:
    from newsdesk.store.search import _hits, _term_pattern  # noqa: PLC0415

    terms = _term_pattern(" ".join(f'"{w}"' for w in words))
    assert terms is not None
    expected = [(m.start(), m.end()) for m in terms.pattern.finditer(text)][:32]
    assert _hits(text, terms) == expected


def test_the_body_html_is_stored_with_the_record_and_kept_in_step(location: str) -> None:
    from newsdesk.render import article_body_html  # noqa: PLC0415

    store = open_store(location)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    first = Article(url="https://b.example/1", title="T", text="One <b>bold</b> claim.")
    article_id = store.store_article(make_record(first), now=now)
    stored = store.stored_article(article_id)
    assert stored is not None and stored.body_html == article_body_html(first)
    assert stored.body_html == "<p>One &lt;b&gt;bold&lt;/b&gt; claim.</p>"
    second = replace(first, text="Two paragraphs.\n\nThe second.")
    store.replace_article(article_id, make_record(second))
    assert store.stored_article(article_id).body_html == article_body_html(second)  # type: ignore[union-attr]
    third = replace(first, text="Fetched again.")
    assert store.store_article(make_record(third), now=now) == article_id  # the same URL
    assert store.stored_article(article_id).body_html == "<p>Fetched again.</p>"  # type: ignore[union-attr]
    from newsdesk.store import ArticleQuery  # noqa: PLC0415

    assert store.list_articles(ArticleQuery())[0].body_html is None  # lists skip it
    assert store.list_articles(ArticleQuery(bodies=True))[0].body_html == "<p>Fetched again.</p>"
    store.close()


def test_the_story_is_stored_with_the_record_and_kept_in_step(location: str) -> None:
    from newsdesk.render import STORY_MARK, story_html  # noqa: PLC0415

    store = open_store(location)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    first = Article(url="https://s.example/1", title="<b>T</b>", text="One claim.")
    article_id = store.store_article(make_record(first), now=now)

    def story() -> str | None:
        view = store.article_view(article_id, story_mark=STORY_MARK)
        assert view is not None
        return view.story_html

    assert story() == story_html(first) and "&lt;b&gt;T&lt;/b&gt;" in (story() or "")
    second = replace(first, title="Second", text="Two paragraphs.\n\nThe second.")
    store.replace_article(article_id, make_record(second))
    assert story() == story_html(second)
    third = replace(first, title="Third")
    assert store.store_article(make_record(third), now=now) == article_id  # the same URL
    assert story() == story_html(third)
    store.replace_identity(article_id, make_record(replace(third, title="Fourth")), source_id=None)
    assert story() == story_html(replace(third, title="Fourth"))
    # A story of another render version, or none (stored before 0007): render it again.
    old = (story() or "").replace(STORY_MARK, "<!-- newsdesk story 0 -->")
    store._db.execute("UPDATE articles SET story_html = ? WHERE id = ?", (old, article_id))
    assert story() is None
    store._db.execute("UPDATE articles SET story_html = NULL WHERE id = ?", (article_id,))
    assert story() is None
    assert store.article_view(article_id + 1) is None
    store.close()


def test_the_article_view_names_sources_copies_sightings_and_the_cluster(location: str) -> None:
    store = open_store(location)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    named = store.add_source("https://feeds.example/a", now=now)
    store.record_check(named.id, now=now, next_check=now, title="Agency wire")
    unnamed = store.add_source("https://feeds.example/b", now=now)
    ids = [
        store.store_article(
            Article(url=f"https://v.example/{i}", title=f"Story {i}", site_name=f"Site {i}",
                    text="Words.", published=now.replace(hour=i)),
            source_id=named.id if i else unnamed.id, now=now,
        )
        for i in range(1, 4)
    ]  # fmt: skip
    lone = store.store_article(Article(url="https://v.example/lone", text="x"), now=now)
    first, second, third = ids
    store.set_links({first: (None, first), second: (first, first), third: (first, first)})
    store.record_sighting(second, source_id=unnamed.id, url="https://b.example/2", now=now)
    store.record_sighting(second, source_id=None, url="https://c.example/2", now=now)
    view = store.article_view(second)
    assert view is not None
    assert (view.source_id, view.source_name, view.title) == (named.id, "Agency wire", "Story 2")
    assert (view.original_id, view.cluster_id, view.cluster_size) == (first, first, 3)
    assert [(c.id, c.title, c.site_name, c.original_id) for c in view.copies] == [
        (first, "Story 1", "Site 1", None),
        (third, "Story 3", "Site 3", first),
    ]
    assert [(s.source_name, s.url) for s in view.sightings] == [
        ("https://feeds.example/b", "https://b.example/2"),  # no title: the source's URL
        (None, "https://c.example/2"),
    ]
    alone = store.article_view(lone)
    assert alone is not None and alone.source_name is None and alone.cluster_size == 1
    assert alone.copies == () and alone.sightings == ()
    store.close()

"""The store on both backends (``location``: a SQLite file, then a PostgreSQL database on
the session's real server): search in every script and in the one query syntax, filters,
and what PostgreSQL adds (work claimed by several relays, its errors named)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.errors import QueryError, StoreError, StoreUnavailableError
from newsdesk.model import Article, FeedEntry
from newsdesk.store import Store, open_reader, open_store
from tests.pgserver import PgServer

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

# Real sentences in each script, as a newsroom in that language writes them.
ARTICLES = [
    ("zh", "鹿特丹港口工人罢工",
     "鹿特丹港口的工人今天开始罢工，要求提高工资。港口运营受到严重影响。"),
    ("ja", "東京湾の港で火災",
     "東京湾の港湾施設で火災が発生し、消防隊が出動した。けが人はいない。"),
    ("ko", "부산항 노동자 파업", "부산항 노동자들이 오늘 임금 인상을 요구하며 파업에 들어갔다."),
    ("th", "ท่าเรือแหลมฉบังหยุดงาน", "คนงานท่าเรือแหลมฉบังประท้วงหยุดงานเพื่อเรียกร้องค่าจ้างที่สูงขึ้น"),
    ("en", "Dock workers strike in Rotterdam", "Dock workers at the port of Rotterdam went on "
     "strike on Monday, demanding higher wages. Shipping lines diverted vessels."),
    ("de", "Hafenarbeiter in Hamburg streiken", "Die Hafenarbeiter in Hamburg streiken für "
     "höhere Löhne. Die Reedereien leiten Schiffe um."),
    ("es", "Huelga de estibadores en Valencia", "Los estibadores del puerto de Valencia "
     "iniciaron una huelga para exigir salarios más altos."),
    ("fr", "Grève des dockers au Havre", "Les dockers du port du Havre sont en grève pour "
     "réclamer des salaires plus élevés."),
]  # fmt: skip


def _newsroom(location: str) -> tuple[Store, dict[str, int]]:
    store = open_store(location)
    wire = store.add_source("https://wire.example/feed.xml", title="Wire Service", now=NOW)
    local = store.add_source("https://local.example/rss", title="Local Paper", now=NOW)
    ids = {}
    for i, (lang, title, text) in enumerate(ARTICLES):
        ids[lang] = store.store_article(
            Article(
                url=f"https://news.example/{lang}/{i}",
                title=title,
                text=text,
                language=lang,
                authors=("Ana Ruiz",) if lang == "es" else ("Sam Lee",),
                published=NOW - timedelta(days=i),
            ),
            source_id=wire.id if i % 2 == 0 else local.id,
            now=NOW,
        )
    return store, ids


def _found(store: Store, query: str) -> set[int]:
    return {hit.article_id for hit in store.search(query, limit=50)}


@pytest.mark.parametrize(
    ("query", "languages"),
    [
        ("港口", {"zh"}),  # a word inside an unbroken run of Chinese
        ("罢工 工资", {"zh"}),
        ("港", {"zh", "ja"}),  # one ideograph: every run holding it
        ("火災", {"ja"}),
        ("港湾施設", {"ja"}),
        ("파업", {"ko"}),  # Korean: a word with its particle attached
        ("부산항", {"ko"}),
        ("ท่าเรือ", {"th"}),  # Thai: no spaces between words
        ("หยุดงาน", {"th"}),
        ("strikes", {"en"}),  # English stems: strike, striking, strikes
        ("wage", {"en"}),
        ("Hafenarbeiter", {"de"}),
        ("höhere", {"de"}),
        ("huelga", {"es"}),
        ("grève", {"fr"}),
        ('"port of rotterdam"', {"en"}),
        ('"rotterdam port"', set()),  # a phrase keeps its order
        ("港口 OR 火災", {"zh", "ja"}),
        ("strike -rotterdam", set()),
        ("huelga OR grève", {"fr", "es"}),
        ("rotter*", {"en"}),
        ("lang:de", {"de"}),
        ("source:wire", {"zh", "ko", "en", "es"}),  # the even ones (by title)
        ("source:1", {"zh", "ko", "en", "es"}),  # (by id)
        ("source:%", set()),  # a filter's value is text, not a LIKE pattern
        ("source:_ire", set()),
        ("author:%", set()),
        ("lang:_e", set()),
        ("author:ruiz", {"es"}),
        ("since:2026-11-29", {"zh", "ja", "ko"}),  # published a day apart, newest first
        ("until:2026-11-26 lang:es", {"es"}),
        ("until:2026-11-26", {"es", "fr"}),
    ],
)
def test_search_in_every_script_and_the_one_syntax(
    location: str, query: str, languages: set[str]
) -> None:
    store, ids = _newsroom(location)
    expected = {ids[lang] for lang in languages}
    assert _found(store, query) == expected, query
    store.close()


def test_snippets_mark_the_words_found(location: str) -> None:
    store, _ = _newsroom(location)
    (hit,) = store.search("港口", marks=("<", ">"))
    assert "<港口>" in hit.snippet
    (hit,) = store.search("Hamburg")
    assert "[Hamburg]" in hit.snippet
    assert store.search("港口 rotterdam") == []
    store.close()


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('"port strike', "unclosed quote"),
        ("port OR", "nothing after it"),
        ("colour:red", "unknown filter 'colour:'"),
        ("-rotterdam", "needs a word to find"),
        ("port OR -strike", "cannot be one of the alternatives"),
        ("since:yesterday", "not a date"),
    ],
)
def test_malformed_queries_are_query_errors_on_both(
    location: str, query: str, problem: str
) -> None:
    store, _ = _newsroom(location)
    with pytest.raises(QueryError, match=problem):
        store.search(query)
    store.close()


def test_articles_q_takes_the_syntax_too(location: str) -> None:
    from newsdesk.store import ArticleQuery  # noqa: PLC0415

    store, ids = _newsroom(location)
    found = store.list_articles(ArticleQuery(q="港口 OR huelga", limit=50))
    assert {a.id for a in found} == {ids["zh"], ids["es"]}
    assert store.list_articles(ArticleQuery(q="!!!", limit=50)) == []
    store.close()


def test_a_reader_sees_what_the_writer_committed(location: str) -> None:
    store, ids = _newsroom(location)
    reader = open_reader(location)
    before = reader.data_version()
    assert {h.article_id for h in reader.search("港口")} == {ids["zh"]}
    store.store_article(Article(url="https://news.example/new", title="港口", text="新"), now=NOW)
    assert reader.data_version() != before
    assert len(reader.search("港口")) == 2
    reader.close()
    store.close()


# -- PostgreSQL: several relays on one database ---------------------------------------------


def _entries(store: Store, count: int) -> None:
    sources = [store.add_source(f"https://s{i}.example/feed", now=NOW) for i in range(3)]
    for source in sources:
        store.record_entries(
            source.id,
            [FeedEntry(guid=f"{source.id}-{n}", url=f"https://x.example/{source.id}/{n}")
             for n in range(count)],
            now=NOW,
        )  # fmt: skip


def test_two_relays_claim_disjoint_pending_entries(pg_url: str) -> None:
    first, second = open_store(pg_url), open_store(pg_url)
    _entries(first, 10)
    taken_first = first.next_pending({}, per_source=4, limit=8)
    taken_second = second.next_pending({}, per_source=4, limit=8)
    a = {e[0] for e in taken_first}
    b = {e[0] for e in taken_second}
    assert len(a) == 8 and len(b) == 8 and not a & b
    # round-robin across sources: each source's oldest first
    assert [e[1] for e in taken_first[:3]] == [1, 2, 3]
    first.close()  # killed, say: its claims stay until their lease ends
    third = open_store(pg_url)
    rest = {e[0] for e in third.next_pending({}, per_source=10, limit=100)}
    assert rest == set(range(1, 31)) - a - b  # what another holds is skipped
    third._db.execute("UPDATE entries SET claimed_until = '2000-01-01T00:00:00+00:00'")
    assert {e[0] for e in third.next_pending({}, per_source=10, limit=100)} == set(range(1, 31))
    second.close()
    third.close()


def test_due_sources_are_claimed_by_one_relay(pg_url: str) -> None:
    first, second = open_store(pg_url), open_store(pg_url)
    for i in range(4):
        first.add_source(f"https://s{i}.example/feed", now=NOW)
    assert len(first.due_sources(NOW)) == 4
    assert second.due_sources(NOW) == []  # claimed: a lease ahead
    assert len(second.due_sources(NOW + timedelta(hours=1))) == 4  # the lease ended
    first.close()
    second.close()


def test_postgres_errors_say_what_to_do(pg_server: PgServer, pg_url: str) -> None:
    with pytest.raises(StoreUnavailableError, match="cannot reach PostgreSQL"):
        open_store("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        open_store(pg_server.url("no_such_database"))
    with pytest.raises(StoreError, match="not a PostgreSQL location"):
        open_store("postgresql://[bad")
    with pytest.raises(StoreError, match="no newsdesk database"):
        open_reader(pg_url)
    store = open_store(pg_url)
    store._db.execute("INSERT INTO schema_migrations VALUES ('9999_future', 'x')")
    store.close()
    with pytest.raises(StoreError, match="newer schema than this newsdesk"):
        open_store(pg_url)


def test_a_postgres_url_secret_stays_out_of_messages(pg_server: PgServer) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{pg_server.port}/no_such_database"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(url)
    assert "hunter2" not in str(caught.value)


def test_a_server_restart_under_a_store_is_survived(pg_server: PgServer, pg_url: str) -> None:
    import subprocess  # noqa: PLC0415

    from tests.pgserver import PG_BIN, _as_server_user  # noqa: PLC0415

    store = open_store(pg_url)
    first = store.add_source("https://a.example/feed", now=NOW)
    subprocess.run(
        _as_server_user([str(PG_BIN / "pg_ctl"), "-D", str(pg_server.data), "-m", "fast",
                         "-l", str(pg_server.data.parent / "log"), "-w", "restart"]),
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    import time  # noqa: PLC0415

    time.sleep(2.1)  # idle past the check: the next transaction finds the connection gone
    second = store.add_source("https://b.example/feed", now=NOW)
    assert [s.id for s in store.sources()] == [first.id, second.id]
    store.close()

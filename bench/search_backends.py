"""What a search costs on SQLite and on PostgreSQL, side by side, over the same demo articles.

Both stores are filled with the serving benchmark's articles (bench/serve.py ``fill``); the
PostgreSQL one is a cluster this script starts (as tests/pgserver.py does) and stops. Each
query is ``Store.search`` as the API calls it (20 hits with their snippets), timed by the wall
clock (PostgreSQL's work is in its server's process), warmed once, then ``--repeat`` times:
the median and the p99 of each kind of query.

    .venv/bin/python bench/search_backends.py --articles 20000 --repeat 30
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.pgserver import ServerUnavailable, start_server, stop_server  # noqa: E402

from newsdesk.demo.generator import Newsroom, story_article  # noqa: E402
from newsdesk.model import Article  # noqa: E402
from newsdesk.store import open_reader, open_store  # noqa: E402
from newsdesk.store.pgsearch import config_for, document_vector, grams_vector  # noqa: E402
from newsdesk.store.records import _iso, _record_values, prepare_record  # noqa: E402
from newsdesk.store.search import cjk_grams  # noqa: E402

QUERIES = {  # the demo's vocabulary is small: "decision" is in every story, "70" in 0.7 %
    "every article's word": "decision",
    "common word": "council",
    "rare word": "70",
    "no match": "zeppelin",
    "two words": "ferry timetable",
    "phrase": '"city council"',
    "exclusion": "council -budget",
    "with a filter": "council lang:en",
}


CHUNK = 5000


def demo_articles(count: int) -> Iterator[tuple[int, Article]]:
    """The demo newsroom's ``count`` stories as the relay would store them (as bench/serve.py
    ``fill`` makes them): (the outlet's number from 0, the Article)."""
    room = Newsroom(seed=21, articles=count)
    for number, outlet in enumerate(room.outlets):
        for story in room.stories(outlet.slug):
            yield number, story_article(outlet, story)


def _sources(location: str) -> list[int]:
    """A migrated store at ``location`` with the demo outlets as sources: their ids."""
    store = open_store(location)
    now = datetime.now(UTC)
    room = Newsroom(seed=21, articles=1)
    ids = [store.add_source(f"https://{o.slug}.example/feed", now=now).id for o in room.outlets]
    store.close()
    return ids


def _rows(count: int, sources: list[int]) -> Iterator[tuple[int, Article, tuple[Any, ...]]]:
    """Each article's id (from 1), the Article, and its ``articles`` row from url_key to
    fetched_at, as ``Store.store_article`` writes it (no raw page: none is searched)."""
    fetched = _iso(datetime.now(UTC))
    for article_id, (outlet, article) in enumerate(demo_articles(count), start=1):
        record = prepare_record(article)
        values = (record.url_key, *_record_values(record, sources[outlet]), fetched)
        yield article_id, article, values


_ARTICLE_COLUMNS = (
    "id, url_key, url, source_id, title, published, language, article_json, raw_url, fetched_at"
)


def bulk_fill_sqlite(path: str, count: int) -> float:
    """Fill a new SQLite store with ``count`` demo articles and their FTS5 rows by
    executemany, in one transaction: the seconds it took."""
    started = time.perf_counter()
    sources = _sources(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    rows = _rows(count, sources)
    with db:
        while chunk := list(islice(rows, CHUNK)):
            db.executemany(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(i, *values) for i, _, values in chunk],
            )
            db.executemany(
                "INSERT INTO articles_fts (rowid, title, text, grams) VALUES (?, ?, ?, ?)",
                [
                    (i, a.title or "", a.text, cjk_grams(f"{a.title or ''}\n{a.text}"))
                    for i, a, _ in chunk
                ],
            )
    db.execute("PRAGMA optimize")
    db.close()
    return time.perf_counter() - started


def bulk_fill_postgres(url: str, count: int) -> float:
    """Fill a new PostgreSQL store with ``count`` demo articles by COPY, and their search
    documents by one INSERT ... SELECT (the store's own ``tsvector`` expression), the GIN
    index built after them: the seconds it took."""
    import psycopg

    started = time.perf_counter()
    sources = _sources(url)
    with psycopg.connect(url, autocommit=True) as db, psycopg.connect(url) as staging:
        db.execute("SET maintenance_work_mem = '1GB'")
        db.execute("CREATE UNLOGGED TABLE bench_docs (id BIGINT, config TEXT, title TEXT, "
                   "body TEXT, grams TEXT)")  # fmt: skip
        db.execute("DROP INDEX article_search_tsv")
        with (
            db.cursor().copy(f"COPY articles ({_ARTICLE_COLUMNS}) FROM STDIN") as articles,
            staging.cursor().copy("COPY bench_docs FROM STDIN") as docs,
        ):
            for article_id, article, values in _rows(count, sources):
                articles.write_row((article_id, *values))
                title = article.title or ""
                docs.write_row(
                    (article_id, config_for(article.language), title, article.text,
                     grams_vector(f"{title}\n{article.text}"))
                )  # fmt: skip
        staging.commit()
        db.execute(
            "INSERT INTO article_search (article_id, config, title, body, tsv) "
            "SELECT id, config::regconfig, title, body, "
            + document_vector("config::regconfig", "title", "body", "grams::tsvector")
            + " FROM bench_docs"
        )
        db.execute("DROP TABLE bench_docs")
        db.execute("CREATE INDEX article_search_tsv ON article_search USING GIN (tsv)")
        db.execute("SELECT setval(pg_get_serial_sequence('articles', 'id'), "
                   "(SELECT MAX(id) FROM articles))")  # fmt: skip
        db.execute("VACUUM ANALYZE articles")
        db.execute("VACUUM ANALYZE article_search")
    return time.perf_counter() - started


def _times(store_location: str, repeat: int) -> dict[str, tuple[float, float, int]]:
    store = open_reader(store_location)
    out = {}
    for name, query in QUERIES.items():
        hits = len(store.search(query, limit=20))  # warm
        spent = []
        for _ in range(repeat):
            started = time.perf_counter()
            store.search(query, limit=20)
            spent.append((time.perf_counter() - started) * 1000)
        spent.sort()
        p99 = spent[min(len(spent) - 1, int(len(spent) * 0.99))]
        out[name] = (statistics.median(spent), p99, hits)
    store.close()
    return out


def _filled(location: str, count: int) -> None:
    """Fill the store at ``location`` with ``count`` demo articles unless it holds some."""
    if not location.startswith("postgresql:") and not Path(location).exists():
        took = bulk_fill_sqlite(location, count)
    else:
        store = open_store(location)
        held = store.counts()["articles"]
        store.close()
        if held:
            print(f"{location.split('?', maxsplit=1)[0]}: {held} articles already", file=sys.stderr)
            return
        took = (bulk_fill_postgres if location.startswith("postgresql:") else bulk_fill_sqlite)(
            location, count
        )
    print(
        f"filled {location.split('?', maxsplit=1)[0]} with {count} in {took:.0f} s", file=sys.stderr
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sqlite", help="a SQLite file to use (filled when new; kept)")
    parser.add_argument("--postgres", help="a PostgreSQL database's URL (filled when empty)")
    parser.add_argument("--fill-only", action="store_true", help="fill the stores, time nothing")
    args = parser.parse_args()
    cluster = Path(tempfile.mkdtemp(prefix="newsdesk-bench-pg-"))
    work = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    server = None
    try:
        postgres = args.postgres
        if postgres is None:
            try:
                server = start_server(cluster)
            except ServerUnavailable as exc:
                print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
                return 1
            postgres = server.socket_url(server.new_database().rsplit("/", 1)[1])
        sqlite = args.sqlite or str(work / "search.db")
        for location in (sqlite, postgres):
            _filled(location, args.articles)
        if args.fill_only:
            return 0
        results = {
            "SQLite": _times(sqlite, args.repeat),
            "PostgreSQL": _times(postgres, args.repeat),
        }
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(cluster, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.articles} demo articles, Store.search (20 hits, snippets), wall clock, "
          f"{args.repeat} runs a query\n")  # fmt: skip
    print("| query | SQLite median / p99 (ms) | PostgreSQL median / p99 (ms) | hits |")
    print("| --- | ---: | ---: | ---: |")
    for name, query in QUERIES.items():
        s_med, s_p99, s_hits = results["SQLite"][name]
        p_med, p_p99, p_hits = results["PostgreSQL"][name]
        print(f"| {name}: `{query}` | {s_med:.1f} / {s_p99:.1f} | {p_med:.1f} / {p_p99:.1f} "
              f"| {s_hits} / {p_hits} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

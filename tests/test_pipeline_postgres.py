"""The pipeline's tests again, on PostgreSQL: the same tests, imported, each store they open
by a file's path opened instead as a database of its own on the test session's server (the
tests of subprocesses, which pass the path on, stay SQLite's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.test_pipeline as pipeline_tests
from newsdesk.store import Store, open_store
from tests.pgserver import PgServer
from tests.test_pipeline import (  # noqa: F401 (collected here, on PostgreSQL)
    memory,
    newsroom,
    test_a_paged_feed_is_read_page_by_page,
    test_duplicates_are_sightings_of_one_article,
    test_entries_are_read_from_the_store_a_few_batches_at_a_time,
    test_ingest_the_demo_newsroom,
    test_live_links_do_not_depend_on_arrival_order,
    test_unreachable_page_falls_back_to_the_feed_content,
)


@pytest.fixture(autouse=True)
def on_postgres(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    databases: dict[str, str] = {}

    def open_on_postgres(path: str | Path, *, create: bool = True) -> Store:
        if str(path) not in databases:
            databases[str(path)] = pg_server.new_database()
        return open_store(databases[str(path)], create=create)

    monkeypatch.setattr(pipeline_tests, "open_store", open_on_postgres)
    yield


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_page_that_raises_fails_alone_in_its_batch(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch is written first without a savepoint a page; a page whose write raises
    rolls it back, and it is written again a savepoint a page: that page's entry is failed
    (internal), every other page of the batch stored as without it. (Its own store, not
    this module's autouse one: on both backends.)"""
    from newsdesk.pipeline import write  # noqa: PLC0415

    location = (
        request.getfixturevalue("pg_url") if backend == "postgres" else str(tmp_path / "n.db")
    )
    store = open_store(location)
    real, calls, target = write.link_article, [0], {}

    def surprising(store: Store, article_id: int, article: object, prints: object) -> object:
        calls[0] += 1
        if calls[0] == 5:
            target["url"] = getattr(article, "url", None)
        if getattr(article, "url", None) == target.get("url"):
            raise RuntimeError("a surprise in one page")
        return real(store, article_id, article, prints)  # type: ignore[arg-type]

    monkeypatch.setattr(write, "link_article", surprising)
    room, transport = request.getfixturevalue("memory")
    with pipeline_tests.Fetcher(pipeline_tests.SETTINGS, transport=transport) as fetcher:
        for url in room.feed_urls():
            store.add_source(url, now=pipeline_tests.datetime.now(pipeline_tests.UTC))
        report = pipeline_tests.run_once(store, fetcher, pipeline_tests.SETTINGS)
    assert report.errors == {"internal": 1} and report.failed_entries == 1
    assert report.stored + report.duplicates == report.new_entries - 1 == 49
    assert pipeline_tests.entry_statuses(store).get("failed") == 1
    stored = {a.url for _, _, a in store.articles(limit=100)}
    assert target["url"] and target["url"] not in stored
    store.close()

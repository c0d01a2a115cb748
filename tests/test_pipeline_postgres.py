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

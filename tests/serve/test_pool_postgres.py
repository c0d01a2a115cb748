"""The server's writing connections on PostgreSQL: a pool (store/postgres.py ``PgPool``)
shared by the API's write routes, on the test session's real server (tests/pgserver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsdesk.serve.common import WRITE_CONNECTIONS
from newsdesk.store.postgres import POOL_NAME
from tests.serve.conftest import Served, serve_store

TOKEN = {"Authorization": "Bearer s3cret"}


@pytest.fixture
def served(pg_url: str) -> Iterator[Served]:
    yield from serve_store(pg_url)


def _pool_stats(served: Served) -> dict[str, int]:
    writers = served.client.app.api.state.writers  # type: ignore[attr-defined]
    stats: dict[str, int] = writers.stats()
    return stats


def _backends(served: Served) -> set[int]:
    """The server processes of the pool's connections now (pg_stat_activity)."""
    rows = served.store._db.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = ?",
        (POOL_NAME,),
    ).fetchall()
    return {int(r[0]) for r in rows}


def test_write_requests_share_a_bounded_pool_of_connections(served: Served) -> None:
    """Thirty writes at once, eight threads: every one recorded, on at most
    WRITE_CONNECTIONS connections made once (not one connection a request)."""
    urls = [f"https://outlet{n}.example/feed.xml" for n in range(30)]

    def add(url: str) -> int:
        return served.client.post("/api/sources", json={"url": url}, headers=TOKEN).status_code

    with ThreadPoolExecutor(8) as threads:
        statuses = list(threads.map(add, urls))
    assert statuses == [202] * len(urls)
    listed = {s["url"] for s in served.client.get("/api/sources?limit=100").json()["items"]}
    assert set(urls) <= listed
    stats = _pool_stats(served)
    assert stats["pool_max"] == WRITE_CONNECTIONS
    assert stats["requests_num"] == len(urls)
    assert 1 <= stats["connections_num"] <= WRITE_CONNECTIONS  # made, over the pool's life
    for url in urls[:10]:  # and one after another: the same connections again
        source_id = next(
            s["id"] for s in served.client.get("/api/sources?limit=100").json()["items"]
            if s["url"] == url
        )  # fmt: skip
        assert served.client.delete(f"/api/sources/{source_id}", headers=TOKEN).status_code == 204
    assert _pool_stats(served)["connections_num"] <= WRITE_CONNECTIONS


def test_a_connection_the_server_dropped_is_replaced(served: Served) -> None:
    """The server ends the pool's connections (a restart, an idle timeout): the next write
    is served on a new one, not answered with an error."""
    assert served.client.post(
        "/api/sources", json={"url": "https://one.example/feed.xml"}, headers=TOKEN
    ).status_code == 202  # fmt: skip
    before = _pool_stats(served)["connections_num"]
    pooled = _backends(served)
    assert pooled
    for pid in pooled:
        served.store._db.execute("SELECT pg_terminate_backend(?)", (pid,))
    response = served.client.post(
        "/api/sources", json={"url": "https://two.example/feed.xml"}, headers=TOKEN
    )
    assert response.status_code == 202, response.text
    assert _pool_stats(served)["connections_num"] > before
    listed = {s["url"] for s in served.client.get("/api/sources?limit=100").json()["items"]}
    assert {"https://one.example/feed.xml", "https://two.example/feed.xml"} <= listed

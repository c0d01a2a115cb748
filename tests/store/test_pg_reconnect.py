"""PostgreSQL going away under a store: a transaction the server restarted under runs again
on a new connection (nothing lost, nothing stored twice); a server that stays away gets a
clear message; a full disk is a clear error with nothing half-written. On a server of the
module's own (the tests restart and stop it), started as the session's is."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.errors import StoreFullError, StoreUnavailableError
from newsdesk.model import Article, FeedEntry
from newsdesk.store import Store, open_store
from tests.pgserver import (
    PgServer,
    _as_server_user,
    pg_ctl,
    running_server,
)
from tests.storeview import entry_statuses

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def own_server() -> Iterator[PgServer]:
    yield from running_server("newsdesk-pg-own-")


def _entries(n: int, start: int = 0) -> list[FeedEntry]:
    return [
        FeedEntry(guid=f"g{i}", url=f"https://a.example/{i}", title=f"Story {i}")
        for i in range(start, start + n)
    ]


def test_a_transaction_a_restart_cut_runs_again(own_server: PgServer) -> None:
    store = open_store(own_server.new_database())
    source = store.add_source("https://a.example/feed", now=NOW)
    attempts: list[int] = []

    def work(attempt: int) -> int:
        attempts.append(attempt)
        new = store.record_entries(source.id, _entries(3), now=NOW)
        if attempt == 0:
            pg_ctl(own_server, "restart", "-m", "fast")  # every connection is cut
        return new + store.record_entries(source.id, _entries(3, start=3), now=NOW)

    assert store.retried_batch(work) == 6  # the second run's count: all six new to it
    assert attempts == [0, 1]
    assert entry_statuses(store) == {"new": 6}  # each once, the cut run's first half undone
    # claiming (a transaction of its own) after a restart too
    pg_ctl(own_server, "restart", "-m", "fast")
    assert len(store.next_pending({}, per_source=10, limit=10)) == 6
    store.close()


def test_a_server_that_stays_away_is_named(
    own_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.store import postgres  # noqa: PLC0415

    monkeypatch.setattr(postgres, "RECONNECT_SECONDS", 1.0)
    store = open_store(own_server.new_database())
    source = store.add_source("https://a.example/feed", now=NOW)
    pg_ctl(own_server, "stop", "-m", "fast")  # (immediate could lose the last commits: the
    try:  # tests' server runs with synchronous_commit off)
        with pytest.raises(StoreUnavailableError, match="could not connect again for 1 s") as e:
            store.retried_batch(lambda _: store.record_entries(source.id, _entries(2), now=NOW))
        assert "Is the server running" in str(e.value)
    finally:
        pg_ctl(own_server, "start")
    # back: the same store goes on, and nothing of the failed transaction was stored
    assert store.record_entries(source.id, _entries(2), now=NOW) == 2
    store.close()


@pytest.fixture
def small_disk(own_server: PgServer) -> Iterator[str]:
    """A database whose tables live on an 8 MB file system of their own (a tmpfs mounted
    for the test: a disk that really fills), the URL."""
    if os.geteuid() != 0:
        pytest.skip("a full disk needs a small file system mounted (root)")
    mount = Path(tempfile.mkdtemp(prefix="newsdesk-small-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        mount.rmdir()
        pytest.skip(f"cannot mount a small file system here: {done.stderr!r}")
    try:
        shutil.chown(mount, "postgres")
        subprocess.run(_as_server_user(["mkdir", str(mount / "space")]), check=True)
        import psycopg  # noqa: PLC0415

        name = f"small{secrets.token_hex(4)}"
        with psycopg.connect(own_server.url(), autocommit=True) as admin:
            admin.execute(f"CREATE TABLESPACE {name} LOCATION '{mount / 'space'}'")
            admin.execute(f"CREATE DATABASE {name} TABLESPACE {name}")
        yield own_server.url(name)
        with psycopg.connect(own_server.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            admin.execute(f"DROP TABLESPACE {name}")
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(small_disk: str) -> None:
    store = open_store(small_disk)
    source = store.add_source("https://a.example/feed", now=NOW)
    store.record_entries(source.id, _entries(400), now=NOW)
    ids = [entry_id for entry_id, _, _ in store.next_pending({}, per_source=400, limit=400)]
    stored = 0
    with pytest.raises(StoreFullError, match="disk is full") as caught:
        for start in range(0, len(ids), 10):  # batches of ten pages, as the writer's
            store.retried_batch(lambda _, start=start: _store_ten(store, source.id, ids, start))
            stored += 10
    assert "free some space" in str(caught.value)
    assert 0 < stored < 400
    # the batch that failed left nothing: its entries wait, no article without its entry
    assert entry_statuses(store) == {"done": stored, "new": 400 - stored}
    assert store.counts()["articles"] == stored
    store.close()


def _store_ten(store: Store, source_id: int, ids: list[int], start: int) -> None:
    for entry_id in ids[start : start + 10]:
        text = " ".join(secrets.token_hex(8) for _ in range(1500))  # 25 kB, incompressible
        article = Article(url=f"https://a.example/{entry_id}", title=f"Story {entry_id}", text=text)
        store.store_entry_article(entry_id, source_id, article, now=NOW)

"""The relay end to end, against the demo newsroom served on 127.0.0.1 by the test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from newsdesk.config import Settings
from newsdesk.demo.generator import Newsroom
from newsdesk.demo.server import RunningNewsroom, serve_newsroom
from newsdesk.fetch import Fetcher
from newsdesk.fetch.schedule import next_check
from newsdesk.model import FeedEntry, FetchResult, ParsedFeed
from newsdesk.pipeline import add_source, run_once
from newsdesk.store import ArticleQuery, open_store
from tests.memory_newsroom import memory_newsroom
from tests.storeview import distinct_keys, entry_statuses, handled_entries, sighting_count

# Extraction in the pass's threads: these tests are about the pipeline's logic, and each
# pass would start its extraction processes afresh (~0.4 s of CPU each); the end-to-end
# ingest, the worker-process and the kill tests run them.
SETTINGS = Settings(allow_private_networks=True, per_host_delay=0.0, workers=4, extract_processes=0)


@pytest.fixture(scope="module")
def newsroom() -> Iterator[RunningNewsroom]:
    """The newsroom on its loopback servers: for the end-to-end test."""
    with serve_newsroom(Newsroom(seed=3, articles=50)) as running:
        yield running


@pytest.fixture(scope="module")
def memory() -> tuple[RunningNewsroom, httpx.MockTransport]:
    """The same newsroom answered from memory: for the tests of the pipeline's logic."""
    return memory_newsroom(Newsroom(seed=3, articles=50))


def test_ingest_the_demo_newsroom(tmp_path: Path, newsroom: RunningNewsroom) -> None:
    """End to end: loopback servers, extraction processes (the relay's default)."""
    store = open_store(tmp_path / "n.db")
    now = datetime.now(UTC)
    settings = replace(SETTINGS, extract_processes=-1)
    with Fetcher(settings) as fetcher:
        for url in newsroom.feed_urls():
            store.add_source(url, now=now)
        report = run_once(store, fetcher, settings)
        assert (report.sources, report.new_entries) == (5, 50)
        # wire stories carried word for word by several outlets are sightings, not articles
        assert report.stored + report.duplicates == 50 and report.duplicates > 0
        assert report.failed_entries == 0 and report.errors == {}
        kinds = {s.kind for s in store.sources()}
        assert kinds == {"rss", "atom", "jsonfeed", "sitemap"}
        rows = store.articles(limit=100)
        relayed = [(i, a) for i, _, a in rows if a.site_name == "The Relay Blog"]
        # Whether a relayed copy counts as syndicated when stored depends on whether its
        # original came first (the extraction processes finish in any order); the copy
        # group each one ends in does not.
        assert relayed and all(store.copies(i) for i, _ in relayed)
        assert all(a.provenance and a.provenance.via == "IFTTT" for _, a in relayed)
        assert all("READ MORE" not in a.text for _, _, a in store.articles(limit=100))
        # A second pass with nothing changed: only conditional requests, all answered 304.
        again = run_once(store, fetcher, settings)
        assert (again.sources, again.not_modified, again.new_entries) == (5, 5, 0)
    assert store.fetch_outcomes() == {"ok": 5, "not_modified": 5}


def test_entries_are_read_from_the_store_a_few_batches_at_a_time(
    tmp_path: Path, memory: tuple[RunningNewsroom, httpx.MockTransport]
) -> None:
    """One fetch thread: batches of 4, entries read 16 at a time; all 50 are processed once,
    and the progress total counts every one."""
    newsroom, transport = memory
    settings = Settings(allow_private_networks=True, per_host_delay=0.0, workers=1)
    store = open_store(tmp_path / "n.db")
    seen: list[tuple[int, int]] = []
    with Fetcher(settings, transport=transport) as fetcher:
        for url in newsroom.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        report = run_once(store, fetcher, settings, progress=lambda d, t: seen.append((d, t)))
    assert report.stored + report.duplicates == 50 and store.pending_count() == 0
    assert seen[-1] == (50, 50) and all(done <= total for done, total in seen)


def test_a_paged_feed_is_read_page_by_page(tmp_path: Path) -> None:
    """Feeds of 4 stories a page (the news sitemap lists all): the first pass reads the
    older pages while every entry is new; the second only asks for the first pages, each
    answered 304. ``feed_pages=1`` reads first pages only."""
    room, transport = memory_newsroom(Newsroom(seed=3, articles=50), feed_page=4)
    store = open_store(tmp_path / "n.db")
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        for url in room.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        report = run_once(store, fetcher, SETTINGS)
        assert report.new_entries == 50 and report.stored + report.duplicates == 50
        assert report.sources == 5 and report.errors == {}
        first = store.fetch_outcomes()
        assert first["ok"] > 5
        again = run_once(store, fetcher, SETTINGS)
        assert (again.not_modified, again.new_entries) == (5, 0)
        assert store.fetch_outcomes() == {"ok": first["ok"], "not_modified": 5}
    one_page = replace(SETTINGS, feed_pages=1)
    store = open_store(tmp_path / "one.db")
    with Fetcher(one_page, transport=transport) as fetcher:
        for url in room.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        report = run_once(store, fetcher, one_page)
    sitemap = sum(1 for o in room.room.outlets if o.feed == "sitemap")
    assert store.fetch_outcomes() == {"ok": 5}
    assert report.new_entries < 50 and report.new_entries >= 4 * (5 - sitemap)


def test_add_discovers_the_feed_from_a_site(
    tmp_path: Path, memory: tuple[RunningNewsroom, httpx.MockTransport]
) -> None:
    newsroom, transport = memory
    store = open_store(tmp_path / "n.db")
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        source = add_source(store, fetcher, newsroom.bases["herald"] + "/", now=datetime.now(UTC))
    assert source.url == newsroom.bases["herald"] + "/atom.xml" and source.kind == "atom"


def test_unreachable_page_falls_back_to_the_feed_content(tmp_path: Path) -> None:
    store = open_store(tmp_path / "n.db")
    now = datetime.now(UTC)
    source = store.add_source("http://127.0.0.1:9/feed", now=now)
    entry = FeedEntry(
        guid="x",
        url="http://127.0.0.1:9/story",
        title="Feed title",
        content="<p>The feed carried the whole story, with a comma, right here.</p>",
    )
    store.record_entries(source.id, [entry], now=now)
    quick = Settings(
        allow_private_networks=True, retries=0, connect_timeout=1.0, per_host_delay=0.0
    )
    with Fetcher(quick) as fetcher:
        report = run_once(store, fetcher, quick)
    assert report.fallbacks == 1 and report.errors.get("network", 0) >= 1
    ((_, _, article),) = store.articles()
    assert article.title == "Feed title" and "whole story" in article.text
    assert store.sources()[0].last_error_kind == "network"  # the feed itself failed too


def test_next_check_bounds_and_backoff() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    settings = Settings(min_interval=300, max_interval=86_400)
    feed = ParsedFeed(
        kind="rss",
        url="u",
        ttl_seconds=7200,
        entries=tuple(
            FeedEntry(guid=str(n), published=now - timedelta(minutes=10 * n)) for n in range(5)
        ),
    )
    assert next_check(now, settings, feed=feed) == now + timedelta(seconds=7200)
    cached = FetchResult(url="u", final_url="u", status=200, cache_control="public, max-age=40000")
    assert next_check(now, settings, result=cached) == now + timedelta(seconds=40000)
    assert next_check(now, settings, error_count=1) == now + timedelta(seconds=600)
    assert next_check(now, settings, error_count=30) == now + timedelta(seconds=86_400)


def _counts(db: Path) -> tuple[int, int, int]:
    store = open_store(db)
    counts = store.counts()
    distinct = distinct_keys(store, "url_key")
    return counts["articles"], distinct, len(store.pending_entries())


def test_kill_nine_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    config = tmp_path / "settings.toml"
    config.write_text("per_host_delay = 0.0\nworkers = 2\n", "utf-8")
    with serve_newsroom(Newsroom(seed=5, articles=400)) as running:
        store = open_store(db)
        for url in running.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        store.close()
        command = [
            sys.executable,
            "-m",
            "newsdesk.cli",
            "run",
            "--once",
            "--db",
            str(db),
            "--config",
            str(config),
            "--allow-private-networks",
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _counts(db)[0] < 40:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        stored, distinct, pending = _counts(db)
        assert stored == distinct and 0 < stored < 400 and pending > 0
        finished = subprocess.run(command, env=env, capture_output=True, timeout=300, check=True)
        assert finished.returncode == 0
    stored, distinct, pending = _counts(db)
    assert stored == distinct and pending == 0
    store = open_store(db)
    statuses = entry_statuses(store)
    texts = distinct_keys(store, "text_key")
    sightings = sighting_count(store)
    # every entry is one stored article or one sighting of a stored one; no text twice
    assert statuses == {"done": stored, "duplicate": 400 - stored}
    assert texts == stored and sightings == 400


def test_extraction_in_worker_processes(
    tmp_path: Path, memory: tuple[RunningNewsroom, httpx.MockTransport]
) -> None:
    newsroom, transport = memory
    store = open_store(tmp_path / "n.db")
    settings = Settings(allow_private_networks=True, per_host_delay=0.0, extract_processes=1)
    with Fetcher(settings, transport=transport) as fetcher:
        store.add_source(newsroom.bases["ledger"] + "/feed.json", now=datetime.now(UTC))
        report = run_once(store, fetcher, settings)
    assert report.stored == 10 and report.failed_entries == 0


def test_ctrl_c_stops_the_loop_after_writes(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    with serve_newsroom(Newsroom(seed=2, articles=10)) as running:
        store = open_store(db)
        for url in running.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        store.close()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsdesk.cli",
                "run",
                "--db",
                str(db),
                "--allow-private-networks",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _handled(db) < 10:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    found = re.search(r"stored (\d+) .*duplicates (\d+)", err)
    assert found and int(found[1]) + int(found[2]) == 10, err
    assert _counts(db) == (int(found[1]), int(found[1]), 0)


def _handled(db: Path) -> int:
    store = open_store(db)
    done = handled_entries(store)
    store.close()
    return int(done)


def _links(
    path: Path, feeds: list[str], transport: httpx.MockTransport
) -> dict[str, tuple[str, str | None, str]]:
    """For every URL seen: (the URL of the article it is, of that article's original, of its
    cluster's representative)."""
    store = open_store(path)
    now = datetime.now(UTC)
    # One source at a time, and one page at a time within it: the order is the test's
    # (with several fetch threads a source's pages arrive in the order they finish, which
    # the machine's load decides, and story clusters may depend on arrival order).
    settings = replace(SETTINGS, workers=1)
    with Fetcher(settings, transport=transport) as fetcher:
        for url in feeds:
            store.add_source(url, now=now)
            run_once(store, fetcher, settings)
    rows = {s.id: s for s in store.list_articles(ArticleQuery(limit=1000))}
    out = {}
    for row in rows.values():
        original = rows[row.original_id].article.url if row.original_id else None
        cluster = rows[row.cluster_id].article.url if row.cluster_id else None
        for _, seen, _ in store.sightings(row.id):
            out[seen] = (row.article.url or "", original, cluster or "")
    store.close()
    return out


def test_live_links_do_not_depend_on_arrival_order(
    tmp_path: Path, memory: tuple[RunningNewsroom, httpx.MockTransport]
) -> None:
    newsroom, transport = memory
    feeds = newsroom.feed_urls()
    forward = _links(tmp_path / "a.db", feeds, transport)
    backward = _links(tmp_path / "b.db", list(reversed(feeds)), transport)
    assert forward == backward
    relayed = [v for u, v in forward.items() if u.startswith(newsroom.bases["relay"])]
    # every relayed copy is the same article as (exact copy), or linked to (near copy), an
    # original on another outlet
    relay = newsroom.bases["relay"]
    assert relayed and all(
        not (original or kept).startswith(relay) for kept, original, _ in relayed
    )


def test_duplicates_are_sightings_of_one_article(
    tmp_path: Path, memory: tuple[RunningNewsroom, httpx.MockTransport]
) -> None:
    newsroom, transport = memory
    store = open_store(tmp_path / "n.db")
    with Fetcher(SETTINGS, transport=transport) as fetcher:
        for url in newsroom.feed_urls():
            store.add_source(url, now=datetime.now(UTC))
        report = run_once(store, fetcher, SETTINGS)
    seen = [store.sightings(r.id) for r in store.list_articles(ArticleQuery(limit=1000))]
    many = [s for s in seen if len(s) > 1]
    assert len(many) > 0
    assert sum(len(s) for s in seen) == report.stored + report.duplicates
    assert all(len({source for source, _, _ in s}) == len(s) for s in many)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="process priority is a Unix notion")
def test_extraction_processes_yield_the_cpu_to_the_writer() -> None:
    from newsdesk.pipeline.page import WORKER_NICENESS  # noqa: PLC0415
    from newsdesk.pipeline.run import _extractor_pool  # noqa: PLC0415

    pool = _extractor_pool(Settings(extract_processes=1))
    assert pool is not None
    with pool:
        theirs = pool.call(os.nice, 0)
    assert theirs == min(19, os.nice(0) + WORKER_NICENESS)
